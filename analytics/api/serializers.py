"""What the analytics routes answer, one output serializer per response (spec/legacy-api.md, "Analytics routes"):
the views shape their figures into plain dicts (datetimes as datetimes) and these render them, so the OpenAPI schema
is the description of what is sent. Fields are in the order the legacy JSON has them; a field that can be null says
so (``allow_null``); fixed sets of values are enums. The widget's and VAPI's routes (``public.py``,
``analytics/webhooks.py``) have theirs here too.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics.filters import CALL_STATUSES, CUSTOM_RANGE, TIME_RANGES
from analytics.selectors import BROWSERS, DEVICES

BOT_STATUSES = ["pending", "activating", "active", "failed"]
SESSION_STATUSES = ["active", "completed"]


@extend_schema_field({"type": "number"})
class NumberField(serializers.Field):
    """A number as computed (an integer stays one: a cost of ``0`` is sent as ``0``, as the legacy API did)."""

    def to_representation(self, value):
        return value


def _choice(choices, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=list(choices), **kwargs)


class NamedChoiceField(serializers.ChoiceField):
    """A choice among a set that the schema names once (``component``, written by ``AnalyticsSchema``): a set
    used by several answers under a field name other sets use too (``status``, ``timeRange``)."""

    def __init__(self, choices, *, component: str, **kwargs) -> None:
        super().__init__(choices=list(choices), **kwargs)
        self.component = component


def _call_status(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(CALL_STATUSES, component="CallStatus", **kwargs)


def _time_range(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(TIME_RANGES, component="TimeRange", **kwargs)


def _count(label_field: serializers.Field, label: str) -> type[serializers.Serializer]:
    return type(
        f"{label[0].upper()}{label[1:]}Count",
        (serializers.Serializer,),
        {label: label_field, "count": serializers.IntegerField()},
    )


class DayCountSerializer(serializers.Serializer):
    date = serializers.DateField()
    count = serializers.IntegerField()


class PaginationSerializer(serializers.Serializer):
    page = serializers.IntegerField()
    limit = serializers.IntegerField()
    total = serializers.IntegerField()
    hasMore = serializers.BooleanField()


class MetadataSerializer(serializers.Serializer):
    generatedAt = serializers.DateTimeField()
    dataSource = serializers.CharField()


class ZonedMetadataSerializer(MetadataSerializer):
    timeZone = serializers.CharField()


# --- Overview -------------------------------------------------------------------------------------------------


class QuickStatSerializer(serializers.Serializer):
    title = serializers.CharField()
    value = serializers.IntegerField()
    change = serializers.CharField()
    trend = _choice(["up", "down", "neutral"])
    icon = serializers.CharField()


class SystemHealthSerializer(serializers.Serializer):
    botsOnline = serializers.IntegerField()
    activeSessions = serializers.IntegerField()
    apiStatus = _choice(["connected", "not_configured"])
    fileStorageStatus = _choice(["active", "empty"])
    lastUpdated = serializers.DateTimeField()


class GrowthFigureSerializer(serializers.Serializer):
    current = serializers.IntegerField()
    previous = serializers.IntegerField()
    growth = serializers.CharField(help_text="Percent change from the previous range, 1 decimal.")


class GrowthSerializer(serializers.Serializer):
    bots = GrowthFigureSerializer()
    sessions = GrowthFigureSerializer()


class BotBreakdownSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    active = serializers.IntegerField()
    inactive = serializers.IntegerField()
    ragEnabled = serializers.IntegerField()
    ragDisabled = serializers.IntegerField()


class SessionBreakdownSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    active = serializers.IntegerField()
    completed = serializers.IntegerField()


class CallBreakdownSerializer(serializers.Serializer):
    callsToday = serializers.IntegerField()
    callsThisWeek = serializers.IntegerField()
    callsThisMonth = serializers.IntegerField()


class StorageBreakdownSerializer(serializers.Serializer):
    totalFiles = serializers.IntegerField()
    totalSizeMB = serializers.FloatField()
    botsWithFiles = serializers.IntegerField()


class BreakdownSerializer(serializers.Serializer):
    bots = BotBreakdownSerializer()
    sessions = SessionBreakdownSerializer()
    vapi = CallBreakdownSerializer()
    storage = StorageBreakdownSerializer()


class BotRowSerializer(serializers.Serializer):
    uuid = serializers.CharField()
    name = serializers.CharField()
    status = _choice(BOT_STATUSES)
    createdAt = serializers.DateTimeField()


class RecentBotSerializer(BotRowSerializer):
    ragEnabled = serializers.BooleanField()


class RecentSessionSerializer(serializers.Serializer):
    id = serializers.CharField()
    botUuid = serializers.CharField()
    startTime = serializers.DateTimeField()
    status = NamedChoiceField(SESSION_STATUSES, component="SessionStatus")


class RecentActivitySerializer(serializers.Serializer):
    bots = RecentBotSerializer(many=True)
    sessions = RecentSessionSerializer(many=True)


class OverviewSerializer(serializers.Serializer):
    quickStats = QuickStatSerializer(many=True)
    systemHealth = SystemHealthSerializer()
    growth = GrowthSerializer()
    breakdown = BreakdownSerializer()
    recentActivity = RecentActivitySerializer()


class OverviewMetadataSerializer(serializers.Serializer):
    generatedAt = serializers.DateTimeField()
    userId = serializers.CharField()
    timeRange = _time_range()
    dataSource = serializers.CharField()
    timeZone = serializers.CharField()


class OverviewResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    timeRange = _time_range()
    overview = OverviewSerializer()
    metadata = OverviewMetadataSerializer()


# --- Bots -----------------------------------------------------------------------------------------------------


class BotCountsSerializer(serializers.Serializer):
    totalBots = serializers.IntegerField()
    activeBots = serializers.IntegerField()
    inactiveBots = serializers.IntegerField()
    ragEnabledBots = serializers.IntegerField()
    ragDisabledBots = serializers.IntegerField()


class BotTrendsSerializer(serializers.Serializer):
    creationTrends = DayCountSerializer(many=True)


class TopBotSerializer(BotRowSerializer):
    documentsProcessed = serializers.IntegerField()
    callCount = serializers.IntegerField()


class BotDistributionsSerializer(serializers.Serializer):
    voice = _count(serializers.CharField(), "voice")(many=True)
    language = _count(serializers.CharField(), "language")(many=True)


class LatestBotSerializer(RecentBotSerializer):
    documentsProcessed = serializers.IntegerField()


class BotsAnalyticsSerializer(serializers.Serializer):
    overview = BotCountsSerializer()
    trends = BotTrendsSerializer()
    topBots = TopBotSerializer(many=True)
    distributions = BotDistributionsSerializer()
    recentActivity = LatestBotSerializer(many=True)


class BotsMetadataSerializer(MetadataSerializer):
    totalBotsInSystem = serializers.IntegerField()
    userBotsCount = serializers.IntegerField()
    timeZone = serializers.CharField()


class BotsResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    timeRange = _time_range()
    analytics = BotsAnalyticsSerializer()
    metadata = BotsMetadataSerializer()


# --- Calls ----------------------------------------------------------------------------------------------------


class CallRowSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The VAPI call id.")
    assistantId = serializers.CharField()
    status = _call_status()
    endedReason = serializers.CharField(allow_null=True)
    createdAt = serializers.DateTimeField()
    startedAt = serializers.DateTimeField(allow_null=True)
    endedAt = serializers.DateTimeField(allow_null=True)
    duration = serializers.IntegerField(allow_null=True, help_text="Seconds; null until the call has ended.")
    phoneNumber = serializers.CharField(allow_null=True)
    type = serializers.CharField()
    cost = NumberField(help_text="US dollars.")


class CallCountsSerializer(serializers.Serializer):
    totalCalls = serializers.IntegerField()
    successfulCalls = serializers.IntegerField()
    failedCalls = serializers.IntegerField()
    successRate = serializers.CharField(help_text="Percent, 2 decimals.")


class CallDurationSerializer(serializers.Serializer):
    average = serializers.IntegerField()
    minimum = serializers.IntegerField()
    maximum = serializers.IntegerField()
    totalMinutes = serializers.IntegerField()


class CallTrendsSerializer(serializers.Serializer):
    volumeTrends = DayCountSerializer(many=True)


class AssistantFiguresSerializer(serializers.Serializer):
    assistantId = serializers.CharField()
    totalCalls = serializers.IntegerField()
    successfulCalls = serializers.IntegerField()
    failedCalls = serializers.IntegerField()
    avgDuration = serializers.IntegerField()
    totalDuration = serializers.IntegerField()


class CallsAnalyticsSerializer(serializers.Serializer):
    overview = CallCountsSerializer()
    duration = CallDurationSerializer()
    trends = CallTrendsSerializer()
    byAssistant = AssistantFiguresSerializer(many=True)
    recentCalls = CallRowSerializer(many=True)


class CallsResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    timeRange = _time_range()
    assistantId = serializers.CharField(allow_null=True)
    pagination = PaginationSerializer()
    analytics = CallsAnalyticsSerializer()
    metadata = ZonedMetadataSerializer()


# --- Sessions -------------------------------------------------------------------------------------------------


class SessionCountsSerializer(serializers.Serializer):
    totalSessions = serializers.IntegerField()
    activeSessions = serializers.IntegerField()
    completedSessions = serializers.IntegerField()
    avgSessionsPerDay = serializers.IntegerField()


class SessionDurationSerializer(serializers.Serializer):
    average = serializers.IntegerField()
    minimum = serializers.IntegerField()
    maximum = serializers.IntegerField()
    totalHours = serializers.IntegerField()


class HourCountSerializer(serializers.Serializer):
    hour = serializers.IntegerField(min_value=0, max_value=23)
    count = serializers.IntegerField()


class SessionTrendsSerializer(serializers.Serializer):
    sessionTrends = DayCountSerializer(many=True)
    hourlyDistribution = HourCountSerializer(many=True)


class SessionDistributionsSerializer(serializers.Serializer):
    geographic = _count(serializers.CharField(help_text="ISO 3166 code, or Unknown."), "country")(many=True)
    device = _count(_choice(DEVICES), "device")(many=True)
    browser = _count(_choice(BROWSERS), "browser")(many=True)


class BotSessionFiguresSerializer(serializers.Serializer):
    botUuid = serializers.CharField()
    sessionCount = serializers.IntegerField()
    totalDuration = serializers.IntegerField()
    avgDuration = serializers.IntegerField()


class SessionRowSerializer(serializers.Serializer):
    id = serializers.CharField()
    botUuid = serializers.CharField()
    startTime = serializers.DateTimeField()
    endTime = serializers.DateTimeField(allow_null=True)
    duration = serializers.IntegerField(allow_null=True, help_text="Seconds; null while the session is open.")
    userAgent = serializers.CharField()
    ipAddress = serializers.CharField(help_text="Masked: the last part is xxx (IPv4) or xxxx (IPv6).")
    interactions = serializers.IntegerField()
    status = NamedChoiceField(SESSION_STATUSES, component="SessionStatus")


class SessionsAnalyticsSerializer(serializers.Serializer):
    overview = SessionCountsSerializer()
    duration = SessionDurationSerializer()
    trends = SessionTrendsSerializer()
    distributions = SessionDistributionsSerializer()
    byBot = BotSessionFiguresSerializer(many=True)
    recentSessions = SessionRowSerializer(many=True)


class SessionsResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    timeRange = _time_range()
    botUuid = serializers.CharField(allow_null=True)
    pagination = PaginationSerializer()
    analytics = SessionsAnalyticsSerializer()
    metadata = ZonedMetadataSerializer()


# --- Call logs ------------------------------------------------------------------------------------------------


class LogRowSerializer(CallRowSerializer):
    hasTranscript = serializers.BooleanField()
    transcript = serializers.CharField(allow_null=True)
    hasRecording = serializers.BooleanField()
    recordingUrl = serializers.CharField(allow_null=True)
    messageCount = serializers.IntegerField()
    summary = serializers.CharField(allow_null=True)


class LogSummarySerializer(serializers.Serializer):
    totalCalls = serializers.IntegerField()
    callsWithTranscripts = serializers.IntegerField()
    callsWithRecordings = serializers.IntegerField()
    totalMessages = serializers.IntegerField()
    totalCost = serializers.FloatField(help_text="US dollars, 2 decimals.")
    avgDuration = serializers.IntegerField()


class AssistantLogFiguresSerializer(serializers.Serializer):
    assistantId = serializers.CharField()
    callCount = serializers.IntegerField()
    totalDuration = serializers.IntegerField()
    totalCost = serializers.FloatField()


class LogDistributionsSerializer(serializers.Serializer):
    status = _count(_call_status(), "status")(many=True)
    assistant = AssistantLogFiguresSerializer(many=True)


class LogsMetadataSerializer(ZonedMetadataSerializer):
    botUuid = serializers.CharField(allow_null=True)
    # "from" is a Python keyword: added below.


LogsMetadataSerializer._declared_fields["from"] = serializers.DateField(allow_null=True)
LogsMetadataSerializer._declared_fields["to"] = serializers.DateField(allow_null=True)


class LogsResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    timeRange = NamedChoiceField([*TIME_RANGES, CUSTOM_RANGE], component="CallLogTimeRange")
    assistantId = serializers.CharField(allow_null=True)
    status = _call_status(allow_null=True)
    pagination = PaginationSerializer()
    logs = LogRowSerializer(many=True)
    summary = LogSummarySerializer()
    distributions = LogDistributionsSerializer()
    metadata = LogsMetadataSerializer()


class RecordingSerializer(serializers.Serializer):
    url = serializers.CharField()
    available = serializers.BooleanField()
    size = serializers.IntegerField(allow_null=True, help_text="Bytes; not known (the recording is not fetched).")
    type = serializers.CharField(help_text="Media type, from the file name.")


@extend_schema_field(
    {
        "type": "object",
        "description": "VAPI's analysis of the call as it reported it; older calls: the summary alone.",
        "properties": {
            "summary": {"type": "string"},
            "structuredData": {"type": "object", "additionalProperties": True},
            "structuredDataMulti": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
            "successEvaluation": {"type": "string"},
        },
        "additionalProperties": True,
        "nullable": True,
    }
)
class AnalysisField(serializers.Field):
    """VAPI's ``analysis`` object, passed on as stored (the original sent VAPI's own)."""

    def to_representation(self, value):
        return value


class MessageSerializer(serializers.Serializer):
    """One utterance of the conversation, as VAPI's end-of-call report lists it."""

    role = _choice(["user", "bot", "assistant"], help_text="``bot``: the assistant (VAPI's word).")
    message = serializers.CharField()
    time = NumberField(required=False, help_text="When it began, epoch milliseconds.")
    endTime = NumberField(required=False, help_text="When it ended, epoch milliseconds.")
    secondsFromStart = NumberField(required=False)
    duration = NumberField(required=False, help_text="Milliseconds.")


class CallDetailSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The VAPI call id.")
    assistantId = serializers.CharField()
    status = _call_status()
    createdAt = serializers.DateTimeField()
    startedAt = serializers.DateTimeField(allow_null=True)
    endedAt = serializers.DateTimeField(allow_null=True)
    duration = serializers.IntegerField(allow_null=True)
    phoneNumber = serializers.CharField(allow_null=True)
    type = serializers.CharField()
    cost = NumberField(help_text="US dollars.")
    endedReason = serializers.CharField(allow_null=True)
    transcript = serializers.CharField(allow_null=True)
    recording = RecordingSerializer(allow_null=True)
    messages = MessageSerializer(
        many=True, help_text="What the caller and the bot said, in order (empty when VAPI reported no messages)."
    )
    analysis = AnalysisField(allow_null=True)


class CallDetailResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    call = CallDetailSerializer()
    metadata = MetadataSerializer()


# --- The widget's routes and VAPI's webhook -------------------------------------------------------------------


class SuccessSerializer(serializers.Serializer):
    success = serializers.BooleanField()


class SessionStartedSerializer(SuccessSerializer):
    sessionId = serializers.CharField()
    message = serializers.CharField()


class SessionInteractionSerializer(SuccessSerializer):
    interactions = serializers.IntegerField(help_text="The session's interactions so far.")


class WidgetBotSerializer(serializers.Serializer):
    uuid = serializers.CharField()
    name = serializers.CharField()
    status = _choice(BOT_STATUSES)
    assistantId = serializers.CharField(allow_null=True)
    welcomeMessage = serializers.CharField()
    language = serializers.CharField()
    position = _choice(["left", "right"])
    theme = _choice(["light", "dark"])


class WidgetConfigSerializer(SuccessSerializer):
    bot = WidgetBotSerializer()
    vapiPublicKey = serializers.CharField(allow_null=True)


class NavigationInfoSerializer(SuccessSerializer):
    message = serializers.CharField()
    endpoints = serializers.DictField(child=serializers.CharField())


class NavigationLoggedSerializer(SuccessSerializer):
    message = serializers.CharField()
    url = serializers.CharField()
    command = serializers.CharField()


class VapiServerMessageSerializer(serializers.Serializer):
    """A VAPI server message (spec/vapi.md): ``{"message": {"type": …, …}}``. ``status-update`` and
    ``end-of-call-report`` are recorded; every other type is acknowledged."""

    message = serializers.DictField(help_text="The message: its type, its call, and what the type carries.")


class WebhookAnswerSerializer(SuccessSerializer):
    type = serializers.CharField(help_text="The message's type (unknown when it has none).")
    outcome = _choice(["recorded", "ignored", "unknown assistant"])
