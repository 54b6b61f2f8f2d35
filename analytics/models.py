"""What happens after launch: visitor sessions from the widget and the calls VAPI reports.

Tables ``sessions`` and ``calls`` with the original's camelCase columns. Every row carries its owner
(``userId``) as well as its bot, as the original did, so owner-scoped analytics never need a join.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import validate_ipv46_address
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from common.ids import cuid


class Session(models.Model):
    """One visitor's conversation with a bot through the embedded widget."""

    id = models.CharField(primary_key=True, max_length=64, default=cuid, editable=False)
    session_id = models.CharField("session id", max_length=128, unique=True, db_column="sessionId")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions", db_column="userId"
    )
    bot = models.ForeignKey("bots.Bot", on_delete=models.CASCADE, related_name="sessions", db_column="botId")
    start_time = models.DateTimeField(default=timezone.now, db_default=Now(), db_column="startTime")
    end_time = models.DateTimeField(null=True, blank=True, db_column="endTime")
    user_agent = models.CharField(max_length=1024, null=True, blank=True, db_column="userAgent")
    ip_address = models.CharField(
        "IP address", max_length=45, null=True, blank=True, validators=[validate_ipv46_address], db_column="ipAddress"
    )
    interactions = models.IntegerField(default=0, db_default=0)
    # Beyond the original schema: where the visitor was, when a CDN in front of us says (GEO_COUNTRY_HEADER).
    country = models.CharField(max_length=2, null=True, blank=True, help_text="ISO 3166 code, when known.")

    class Meta:
        db_table = "sessions"
        indexes = [
            # sessions(userId) and sessions(botId) are the foreign keys' own indexes.
            models.Index(fields=["start_time"], name="sessions_startTime_idx"),
            # Analytics read one owner's sessions over a time range.
            models.Index(fields=["user", "start_time"], include=["end_time"], name="sessions_userId_startTime_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(interactions__gte=0), name="sessions_interactions_not_negative"),
        ]

    def __str__(self) -> str:
        return self.session_id


# The most a call may cost (US dollars) and last (seconds): far above any real call (VAPI's longest calls run for
# hours and cost dollars), low enough that a sum over millions of rows stays a finite float and an int.
MAX_CALL_COST = 10_000
MAX_CALL_SECONDS = 7 * 24 * 3600


class CallStatus(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RINGING = "RINGING", "Ringing"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    FORWARDING = "FORWARDING", "Forwarding"
    ENDED = "ENDED", "Ended"


class Call(models.Model):
    """A VAPI call: its cost, duration, transcript, recording and summary."""

    id = models.CharField(primary_key=True, max_length=64, default=cuid, editable=False)
    vapi_call_id = models.CharField("VAPI call id", max_length=100, unique=True, db_column="vapiCallId")
    assistant_id = models.CharField("VAPI assistant id", max_length=100, db_column="assistantId")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calls", db_column="userId"
    )
    bot = models.ForeignKey("bots.Bot", on_delete=models.CASCADE, related_name="calls", db_column="botId")
    status = models.CharField(max_length=11, choices=CallStatus.choices)
    ended_reason = models.CharField(max_length=255, null=True, blank=True, db_column="endedReason")
    phone_number = models.CharField(max_length=64, null=True, blank=True, db_column="phoneNumber")
    type = models.CharField(max_length=64, null=True, blank=True)
    cost = models.FloatField(default=0, db_default=0, help_text="US dollars, as VAPI reports it.")
    duration = models.IntegerField(null=True, blank=True, help_text="Seconds.")
    transcript = models.TextField(null=True, blank=True)
    recording = models.URLField(max_length=2048, null=True, blank=True, help_text="Recording URL.")
    summary = models.TextField(null=True, blank=True)
    message_count = models.IntegerField(default=0, db_default=0, db_column="messageCount")
    # Beyond the original schema, which kept no more than the count: the conversation as VAPI's end-of-call report
    # lists it ([{role, message, time, endTime, secondsFromStart, duration}], system prompt left out, bounded by
    # analytics.services.MAX_STORED_MESSAGES), and VAPI's analysis object as sent (summary, structuredData,
    # successEvaluation…). Null: not reported.
    messages = models.JSONField(null=True, blank=True)
    analysis = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), db_column="createdAt")
    started_at = models.DateTimeField(null=True, blank=True, db_column="startedAt")
    ended_at = models.DateTimeField(null=True, blank=True, db_column="endedAt")
    updated_at = models.DateTimeField(auto_now=True, db_column="updatedAt")

    class Meta:
        db_table = "calls"
        indexes = [
            # calls(userId) and calls(botId) are the foreign keys' own indexes.
            models.Index(fields=["assistant_id"], name="calls_assistantId_idx"),
            models.Index(fields=["status"], name="calls_status_idx"),
            models.Index(fields=["created_at"], name="calls_createdAt_idx"),
            # Analytics and call logs read one owner's calls over a time range, newest first.
            models.Index(
                fields=["user", "-created_at"], include=["status", "ended_reason"], name="calls_userId_createdAt_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=CallStatus.values), name="calls_status_valid"),
            models.CheckConstraint(
                condition=models.Q(cost__gte=0, message_count__gte=0), name="calls_cost_and_messages_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(duration__isnull=True) | models.Q(duration__gte=0),
                name="calls_duration_not_negative",
            ),
            # NaN and Infinity fail it too: one absurd row must not turn every report's sum into Infinity.
            models.CheckConstraint(condition=models.Q(cost__lte=MAX_CALL_COST), name="calls_cost_plausible"),
            models.CheckConstraint(
                condition=models.Q(duration__isnull=True) | models.Q(duration__lte=MAX_CALL_SECONDS),
                name="calls_duration_plausible",
            ),
        ]

    def __str__(self) -> str:
        return self.vapi_call_id
