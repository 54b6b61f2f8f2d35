import json
from typing import Any

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from analytics.models import Call, Session
from common.admin_filters import ContainsFilter, RangeFilter, autocomplete_filter
from common.admin_tools import ReadOnlyAdmin, change_link, datetime_column


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class SessionStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("active", "Active"), ("completed", "Completed"))

    def queryset(self, request, queryset):
        if self.value() in ("active", "completed"):
            return queryset.filter(end_time__isnull=self.value() == "active")
        return queryset


class _OwnedByBotAdmin(ReadOnlyAdmin):
    """Sessions and calls: records of what happened (they come from the widget and from VAPI, never from a form),
    always shown with their bot and owner."""

    list_select_related = ("bot", "user")
    # Millions of rows: counting the whole table for "N total" on every page is the one query that would grow
    # with the data.
    show_full_result_count = False

    @admin.display(description="Bot", ordering="bot__name")
    def bot_link(self, obj) -> str:
        return change_link(obj.bot)

    @admin.display(description="Owner", ordering="user__email")
    def owner(self, obj) -> str:
        return change_link(obj.user, obj.user.email)

    @admin.display(description="Bot / owner", ordering="bot__name")
    def bot_and_owner(self, obj) -> str:
        return format_html(
            '{}<br><span class="browser-quiet">{}</span>', change_link(obj.bot), change_link(obj.user, obj.user.email)
        )


@admin.register(Session)
class SessionAdmin(_OwnedByBotAdmin):
    # What tells sessions apart at a glance (when, whose, how it went); the session id, end, agent and address are
    # on the session's page.
    list_display = ("started", "bot_and_owner", "state", "duration", "interactions")
    list_display_extra = ("session_id", "end_time", "ip_address", "country")
    started = datetime_column("start_time", "Started")
    list_filter = (
        ("bot", autocomplete_filter("bot")),
        ("user", autocomplete_filter("owner")),
        SessionStateFilter,
        ("interactions", RangeFilter),
        "start_time",
        "end_time",
    )
    search_fields = ("=session_id", "=id", "bot__name", "=bot__uuid", "user__email", "=user__id", "=ip_address")
    ordering = ("-start_time",)
    date_hierarchy = "start_time"
    readonly_fields = (
        "id",
        "session_id",
        "bot_link",
        "owner",
        "state",
        "start_time",
        "end_time",
        "duration",
        "user_agent",
        "ip_address",
        "interactions",
    )
    fields = readonly_fields

    @admin.display(description="State")
    def state(self, obj: Session) -> str:
        return "completed" if obj.end_time else "active"

    @admin.display(description="Duration")
    def duration(self, obj: Session) -> str:
        if obj.end_time is None:
            return "—"
        return _duration((obj.end_time - obj.start_time).total_seconds())


@admin.register(Call)
class CallAdmin(_OwnedByBotAdmin):
    # What tells calls apart at a glance (when, whose, how it ended, how long, how much); the type, message count
    # and VAPI ids are on the call's page.
    list_display = ("created", "bot_and_owner", "status", "ended_reason", "duration_display", "cost_display")
    list_display_extra = ("vapi_call_id", "type", "message_count", "phone_number", "started_at", "ended_at")
    created = datetime_column("created_at", "Created")
    # Free-text columns (type, endedReason) take typed text, never a list of their distinct values: that list
    # would be read from every row on each page.
    list_filter = (
        ("bot", autocomplete_filter("bot")),
        ("user", autocomplete_filter("owner")),
        "status",
        ("ended_reason", ContainsFilter),
        ("type", ContainsFilter),
        ("cost", RangeFilter),
        ("duration", RangeFilter),
        ("message_count", RangeFilter),
        "created_at",
        "started_at",
        "ended_at",
        "updated_at",
    )
    search_fields = (
        "=vapi_call_id",
        "=id",
        "=assistant_id",
        "bot__name",
        "=bot__uuid",
        "user__email",
        "=user__id",
        "phone_number",
        "ended_reason",
        "type",
    )
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    changelist_defer = ("transcript", "summary", "messages", "analysis")
    readonly_fields = (
        "id",
        "vapi_call_id",
        "assistant_id",
        "bot_link",
        "owner",
        "status",
        "type",
        "phone_number",
        "ended_reason",
        "cost_display",
        "duration_display",
        "message_count",
        "recording_link",
        "summary",
        "conversation",
        "analysis_json",
        "transcript",
        "created_at",
        "started_at",
        "ended_at",
        "updated_at",
    )
    fields = readonly_fields

    @admin.display(description="Cost", ordering="cost")
    def cost_display(self, obj: Call) -> str:
        return f"${obj.cost:.4f}"

    @admin.display(description="Duration", ordering="duration")
    def duration_display(self, obj: Call) -> str:
        return _duration(obj.duration)

    @admin.display(description="Recording")
    def recording_link(self, obj: Call) -> str:
        if not obj.recording or not obj.recording.startswith(("https://", "http://")):
            return obj.recording or "—"
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', obj.recording, "Listen")

    @admin.display(description="Conversation")
    def conversation(self, obj: Call) -> str:
        """VAPI's ``messages`` (the system prompt left out when stored), one line each: who, when, what."""
        if not obj.messages:
            return "—"
        lines = [
            (_role(message), _offset(message), _text(message)) for message in obj.messages if isinstance(message, dict)
        ]
        return format_html(
            '<ol class="call-conversation">{}</ol>',
            format_html_join(
                "",
                '<li><span class="call-role">{}</span> <span class="call-offset">{}</span> {}</li>',
                lines,
            ),
        )

    @admin.display(description="Analysis (VAPI)")
    def analysis_json(self, obj: Call) -> str:
        if obj.analysis is None:
            return "—"
        text = json.dumps(obj.analysis, indent=2, ensure_ascii=False, sort_keys=True)
        return format_html('<pre class="call-analysis">{}</pre>', text)


def _role(message: dict[str, Any]) -> str:
    role = message.get("role")
    return {"bot": "Bot", "assistant": "Bot", "user": "Caller"}.get(role, str(role or "?").capitalize())


def _offset(message: dict[str, Any]) -> str:
    seconds = message.get("secondsFromStart")
    return _duration(seconds) if isinstance(seconds, int | float) and not isinstance(seconds, bool) else "—"


def _text(message: dict[str, Any]) -> str:
    text = message.get("message")
    if text is None:
        return ""
    return text if isinstance(text, str) else json.dumps(text, ensure_ascii=False)
