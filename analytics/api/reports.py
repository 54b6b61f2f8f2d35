"""The analytics report routes of the original app, with its paths and JSON shapes (spec/legacy-api.md,
"Analytics routes"), read from our tables instead of VAPI's API and memory. Every route needs a signed-in user
and shows only that user's bots, calls and sessions (the selectors filter every query by owner).

Views are thin: they validate the query parameters, call ``analytics.selectors`` and shape the legacy JSON. The
definitions behind the figures (successful call, active session, device, ...) are in that module's docstring.

Query parameters (all optional; an invalid value answers 400 in the error envelope):

- ``timeRange``: ``7d|30d|90d|all`` (default ``30d``; call logs and their export ``7d``).
- ``tz``: an IANA time zone name (default ``UTC``) for day buckets (trends, calls today/this week/this month)
  and hour buckets. Timestamps in the answers stay ISO 8601 in UTC.
- ``page`` (from 1, default 1) and ``limit`` (1 to 200, default 50): the page of the list a route returns
  (``recentCalls``, ``recentSessions``, ``logs``), newest first. Pages are ``ORDER BY time DESC, id DESC
  LIMIT/OFFSET`` over the owner/time indexes and ``total`` is a ``COUNT`` of the same selection: fine for the
  first hundreds of pages, which is what a dashboard shows; a keyset cursor can be added beside them later.

The aggregates cover the whole selection (every page), as the original's did.

With a read replica configured, these read-only routes read from it (``@replica_reads``, docs/replica.md): their
figures may trail the primary by the replication lag (usually well under a second to a few seconds).
"""

from __future__ import annotations

import csv
import datetime
import functools
import itertools
import zoneinfo
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from analytics.models import CallStatus
from common.admin_tools import csv_cell
from common.replica import replica_reads

DATA_SOURCE = "database"
MAX_LIMIT = 200
MAX_PAGE = 1_000_000
CALL_STATUSES = [selectors.status_to_api(value) for value in CallStatus.values]

# --- Query parameters -----------------------------------------------------------------------------------------


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class TimeZoneField(serializers.Field):
    """An IANA time zone name, e.g. ``Europe/Berlin``, as a ``ZoneInfo``."""

    default_error_messages = {"invalid": '"{name}" is not a known time zone (IANA name, e.g. Europe/Berlin).'}

    def to_internal_value(self, data) -> zoneinfo.ZoneInfo:
        name = str(data).strip()
        if name not in _zone_names():
            self.fail("invalid", name=name[:64])
        return zoneinfo.ZoneInfo(name)

    def to_representation(self, value: zoneinfo.ZoneInfo) -> str:
        return value.key


class _RangeParams(serializers.Serializer):
    timeRange = serializers.ChoiceField(choices=list(selectors.TIME_RANGE_DAYS), default="30d")
    tz = TimeZoneField(default=zoneinfo.ZoneInfo("UTC"))  # defaults skip to_internal_value: already a zone


class _PageParams(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=50)


class _CallsParams(_RangeParams, _PageParams):
    assistantId = serializers.CharField(required=False, allow_blank=True, max_length=100)


class _SessionsParams(_RangeParams, _PageParams):
    botUuid = serializers.CharField(required=False, allow_blank=True, max_length=36)


class _CallFilterParams(_RangeParams):
    """The filters of the call logs and of their CSV export."""

    timeRange = serializers.ChoiceField(choices=list(selectors.TIME_RANGE_DAYS), default="7d")
    assistantId = serializers.CharField(required=False, allow_blank=True, max_length=100)
    botUuid = serializers.CharField(required=False, allow_blank=True, max_length=36)
    bot = serializers.CharField(required=False, allow_blank=True, max_length=36)
    status = serializers.ChoiceField(choices=CALL_STATUSES, required=False, allow_blank=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword: these two cannot be declared as class attributes.
        fields["from"] = serializers.DateField(required=False)
        fields["to"] = serializers.DateField(required=False)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first, last = attrs.get("from"), attrs.get("to")
        if first and last and first > last:
            raise serializers.ValidationError({"from": ["must not be after to."]})
        return attrs


class _LogsParams(_CallFilterParams, _PageParams):
    callId = serializers.CharField(required=False, allow_blank=True, max_length=100)


def _params(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _call_filters(params: dict[str, Any]) -> tuple[str, selectors.CallFilters]:
    """The response's ``timeRange`` ("custom" when ``from``/``to`` set the range) and the selectors' filters."""
    tz = params["tz"]
    if params.get("from") or params.get("to"):
        time_range = "custom"
        window = selectors.window_for_dates(first=params.get("from"), last=params.get("to"), tz=tz)
    else:
        time_range = params["timeRange"]
        window = selectors.window_for_range(time_range=time_range, tz=tz)
    status = params.get("status")
    return time_range, selectors.CallFilters(
        window=window,
        assistant_id=params.get("assistantId") or None,
        bot_uuid=params.get("botUuid") or params.get("bot") or None,
        status=selectors.status_from_api(status) if status else None,
    )


# --- OpenAPI --------------------------------------------------------------------------------------------------


def _time_range(default: str) -> OpenApiParameter:
    return OpenApiParameter(
        "timeRange",
        OpenApiTypes.STR,
        enum=list(selectors.TIME_RANGE_DAYS),
        default=default,
        description="Rows of the last 7, 30 or 90 days, or all.",
    )


TZ = OpenApiParameter("tz", OpenApiTypes.STR, default="UTC", description="IANA time zone of the day and hour buckets.")
PAGE = OpenApiParameter("page", OpenApiTypes.INT, default=1, description="Page of the list, from 1.")
LIMIT = OpenApiParameter("limit", OpenApiTypes.INT, default=50, description=f"Rows per page, at most {MAX_LIMIT}.")
ASSISTANT = OpenApiParameter("assistantId", OpenApiTypes.STR, description="Only this VAPI assistant's calls.")
BOT_UUID = OpenApiParameter("botUuid", OpenApiTypes.STR, description="Only this bot's rows (its public uuid).")
CALL_FILTERS = [
    _time_range("7d"),
    TZ,
    ASSISTANT,
    BOT_UUID,
    OpenApiParameter("bot", OpenApiTypes.STR, description="Same as botUuid."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=CALL_STATUSES, description="Only calls in this status."),
    OpenApiParameter(
        "from", OpenApiTypes.DATE, description="First day (in tz) of a calendar range; replaces timeRange."
    ),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (in tz, inclusive); replaces timeRange."),
]
ERRORS = {
    400: OpenApiResponse(description="Invalid query parameter"),
    401: OpenApiResponse(description="Not signed in"),
}


# --- Shaping --------------------------------------------------------------------------------------------------

_DATETIME = serializers.DateTimeField()


def _iso(value: datetime.datetime | None) -> str | None:
    return _DATETIME.to_representation(value) if value else None


def _round(value, places: int = 0):
    """Half away from zero, as JavaScript's ``Math.round`` and ``toFixed`` do for the original's figures."""
    if value is None:
        return 0
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return int(rounded) if places == 0 else float(rounded)


def _percent(part: int, whole: int, places: int) -> str:
    """``part / whole * 100`` with ``places`` decimals, as a string; ``"0.00…"`` when ``whole`` is 0."""
    if not whole:
        return f"{0:.{places}f}"
    value = Decimal(part * 100) / Decimal(whole)
    return str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _growth(current: int, previous: int) -> str:
    if previous:
        return _percent(current - previous, previous, 1)
    return "100.0" if current else "0.0"


def _counts(rows: list[dict[str, Any]], key: str, label: str | None = None) -> list[dict[str, Any]]:
    return [{label or key: row[key], "count": row["count"]} for row in rows]


def _trend(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"date": row["date"].isoformat(), "count": row["count"]} for row in rows]


def _fold(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Sum the counts of already-grouped rows per ``key``."""
    totals: dict[str, int] = {}
    for row in rows:
        totals[row[key]] = totals.get(row[key], 0) + row["count"]
    return _ranked(totals, key)


def _ranked(counts: dict[str, int], key: str) -> list[dict[str, Any]]:
    """``[{key: name, "count": n}]``, most frequent first, then by name."""
    return [{key: name, "count": count} for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _pagination(page: int, limit: int, total: int) -> dict[str, Any]:
    return {"page": page, "limit": limit, "total": total, "hasMore": page * limit < total}


def _metadata(**extra: Any) -> dict[str, Any]:
    return {"generatedAt": _iso(selectors._now()), "dataSource": DATA_SOURCE, **extra}


_BOT_EXTRAS = {"ragEnabled": "rag_enabled", "documentsProcessed": "documents_processed", "callCount": "call_count"}


def _bot_row(bot: dict[str, Any], *extras: str) -> dict[str, Any]:
    return {
        "uuid": bot["uuid"],
        "name": bot["name"],
        "status": bot["status"].lower(),
        "createdAt": _iso(bot["created_at"]),
        **{extra: bot[_BOT_EXTRAS[extra]] for extra in extras},
    }


def _call_row(call: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": call["vapi_call_id"],
        "assistantId": call["assistant_id"],
        "status": selectors.status_to_api(call["status"]),
        "endedReason": call["ended_reason"],
        "createdAt": _iso(call["created_at"]),
        "startedAt": _iso(call["started_at"]),
        "endedAt": _iso(call["ended_at"]),
        "duration": call["duration"],
        "phoneNumber": call["phone_number"],
        "type": call["type"] or "unknown",
        "cost": call["cost"] or 0,
    }


def _log_row(call: dict[str, Any]) -> dict[str, Any]:
    return _call_row(call) | {
        "hasTranscript": bool(call["transcript"]),
        "transcript": call["transcript"] or None,
        "hasRecording": bool(call["recording"]),
        "recordingUrl": call["recording"] or None,
        "messageCount": call["message_count"],
        "summary": call["summary"] or None,
    }


def mask_ip(address: str | None) -> str:
    """``1.2.3.4`` -> ``1.2.3.xxx``; ``2001:db8::1`` -> ``2001:db8::xxxx``; none -> ``Unknown``."""
    if not address:
        return "Unknown"
    if "." in address:  # IPv4, also IPv4-mapped IPv6 (::ffff:1.2.3.4)
        return address.rsplit(".", 1)[0] + ".xxx"
    return address.rsplit(":", 1)[0] + ":xxxx"


def _session_row(session: dict[str, Any], now: datetime.datetime) -> dict[str, Any]:
    return {
        "id": session["pk"],
        "botUuid": session["bot__uuid"],
        "startTime": _iso(session["start_time"]),
        "endTime": _iso(session["end_time"]),
        "duration": None if session["duration"] is None else _round(session["duration"]),
        "userAgent": session["user_agent"] or "Unknown",
        "ipAddress": mask_ip(session["ip_address"]),
        "interactions": session["interactions"],
        "status": selectors.session_status(end_time=session["end_time"], start_time=session["start_time"], now=now),
    }


_AUDIO_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".m4a": "audio/mp4"}


def _recording(url: str | None) -> dict[str, Any] | None:
    """The original asked the recording's host (HEAD) for its size and type on every view; we do not fetch it:
    the type comes from the file name, the size is unknown."""
    if not url:
        return None
    path = urlsplit(url).path.lower()
    media_type = next((kind for suffix, kind in _AUDIO_TYPES.items() if path.endswith(suffix)), "audio/mpeg")
    return {"url": url, "available": True, "size": None, "type": media_type}


# --- Views ----------------------------------------------------------------------------------------------------


class OverviewView(APIView):
    """``GET /api/analytics/overview``: the dashboard's cards, health, growth against the previous range, the
    breakdowns and the latest bots and sessions. Five queries (bots with their files, calls, sessions, the latest
    bots, the latest sessions) and the signed-in user, whatever the number of rows.

    Bot and session figures are those of the range (bots created, sessions started in it), as the original's;
    ``botsOnline`` is every ACTIVE bot; files are all the owner's uploaded files. The "VAPI Calls" card counts the
    calls of the range and their success rate (1 decimal: up from 80 %, neutral from 60 %, down below).
    ``callsToday``/``callsThisWeek``/``callsThisMonth``: calls since local midnight (``tz``) today, 6 days ago and
    29 days ago, whatever the range. A recent session's ``status`` is ``active`` or ``completed`` (see
    ``SessionsReportView``)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[_time_range("30d"), TZ], responses={200: OpenApiTypes.OBJECT, **ERRORS})
    @replica_reads
    def get(self, request: Request) -> Response:
        params = _params(_RangeParams, request)
        time_range = params["timeRange"]
        window = selectors.window_for_range(time_range=time_range, tz=params["tz"])
        user = request.user
        bots = selectors.bot_overview_figures(user=user, window=window)
        calls = selectors.call_overview_figures(user=user, window=window)
        sessions = selectors.session_overview_figures(user=user, window=window)
        recent_bots = selectors.bot_recent(user=user, window=window, limit=5)
        recent_sessions = selectors.session_latest(user=user, window=window, limit=5)

        bot_growth = _growth(bots["total"], bots["previous"])
        session_growth = _growth(sessions["total"], sessions["previous"])
        success_rate = _percent(calls["successful"], calls["total"], 1)
        rate = float(success_rate)
        size_mb = bots["files_bytes"] / 1024 / 1024
        now = _iso(window.now)
        return Response(
            {
                "success": True,
                "timeRange": time_range,
                "overview": {
                    "quickStats": [
                        {
                            "title": "Total Bots",
                            "value": bots["total"],
                            "change": f"{bot_growth}%",
                            "trend": "up" if float(bot_growth) >= 0 else "down",
                            "icon": "🤖",
                        },
                        {
                            "title": "VAPI Calls",
                            "value": calls["total"],
                            "change": f"{success_rate}% success",
                            "trend": "up" if rate >= 80 else "neutral" if rate >= 60 else "down",
                            "icon": "📞",
                        },
                        {
                            "title": "Active Sessions",
                            "value": sessions["active"],
                            "change": f"{session_growth}%",
                            "trend": "up" if float(session_growth) >= 0 else "down",
                            "icon": "👥",
                        },
                        {
                            "title": "Files Stored",
                            "value": bots["files"],
                            "change": f"{_round(size_mb, 1):.1f}MB",
                            "trend": "neutral",
                            "icon": "📁",
                        },
                    ],
                    "systemHealth": {
                        "botsOnline": bots["online"],
                        "activeSessions": sessions["active"],
                        "apiStatus": "connected" if settings.VAPI_PRIVATE_KEY else "not_configured",
                        "fileStorageStatus": "active" if bots["files"] else "empty",
                        "lastUpdated": now,
                    },
                    "growth": {
                        "bots": {"current": bots["total"], "previous": bots["previous"], "growth": bot_growth},
                        "sessions": {
                            "current": sessions["total"],
                            "previous": sessions["previous"],
                            "growth": session_growth,
                        },
                    },
                    "breakdown": {
                        "bots": {
                            "total": bots["total"],
                            "active": bots["active"],
                            "inactive": bots["inactive"],
                            "ragEnabled": bots["with_rag"],
                            "ragDisabled": bots["without_rag"],
                        },
                        "sessions": {
                            "total": sessions["total"],
                            "active": sessions["active"],
                            "completed": sessions["completed"],
                        },
                        "vapi": {
                            "callsToday": calls["today"],
                            "callsThisWeek": calls["this_week"],
                            "callsThisMonth": calls["this_month"],
                        },
                        "storage": {
                            "totalFiles": bots["files"],
                            "totalSizeMB": _round(size_mb, 2),
                            "botsWithFiles": bots["bots_with_files"],
                        },
                    },
                    "recentActivity": {
                        "bots": [_bot_row(bot, "ragEnabled") for bot in recent_bots],
                        "sessions": [
                            {
                                "id": session["pk"],
                                "botUuid": session["bot__uuid"],
                                "startTime": _iso(session["start_time"]),
                                "status": selectors.session_status(
                                    end_time=session["end_time"], start_time=session["start_time"], now=window.now
                                ),
                            }
                            for session in recent_sessions
                        ],
                    },
                },
                "metadata": {
                    "generatedAt": now,
                    "userId": user.pk,
                    "timeRange": time_range,
                    "dataSource": DATA_SOURCE,
                    "timeZone": window.tz.key,
                },
            }
        )


class BotsReportView(APIView):
    """``GET /api/analytics/bots``: the bots created in the range (status, RAG, creation per local day, voices,
    languages, the latest five), and the top ten of all the owner's bots by calls in the range (ties: newest
    first). Five queries and the signed-in user."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[_time_range("30d"), TZ], responses={200: OpenApiTypes.OBJECT, **ERRORS})
    @replica_reads
    def get(self, request: Request) -> Response:
        params = _params(_RangeParams, request)
        window = selectors.window_for_range(time_range=params["timeRange"], tz=params["tz"])
        user = request.user
        figures = selectors.bot_range_figures(user=user, window=window)
        creation = selectors.bot_creation_by_day(user=user, window=window)
        top = selectors.bot_top_by_calls(user=user, window=window, limit=10)
        voices_languages = selectors.bot_voice_language_counts(user=user, window=window)
        recent = selectors.bot_recent(user=user, window=window, limit=5)
        return Response(
            {
                "success": True,
                "timeRange": params["timeRange"],
                "analytics": {
                    "overview": {
                        "totalBots": figures["total"],
                        "activeBots": figures["active"],
                        "inactiveBots": figures["inactive"],
                        "ragEnabledBots": figures["with_rag"],
                        "ragDisabledBots": figures["without_rag"],
                    },
                    "trends": {"creationTrends": _trend(creation)},
                    "topBots": [_bot_row(bot, "documentsProcessed", "callCount") for bot in top],
                    "distributions": {
                        "voice": _fold(voices_languages, "voice"),
                        "language": _fold(voices_languages, "language"),
                    },
                    "recentActivity": [_bot_row(bot, "ragEnabled", "documentsProcessed") for bot in recent],
                },
                # The original's "totalBotsInSystem" was already the user's own count; nobody sees everyone's.
                "metadata": _metadata(
                    totalBotsInSystem=figures["all_bots"], userBotsCount=figures["all_bots"], timeZone=window.tz.key
                ),
            }
        )


class CallsReportView(APIView):
    """``GET /api/analytics/calls[?assistantId=]``: the calls of the range: counts, success rate (2 decimals),
    duration statistics (seconds, rounded; ``totalMinutes`` rounded), calls per local day, figures per assistant,
    and a page of the calls themselves (``recentCalls``, newest first). Four queries and the signed-in user."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[_time_range("30d"), TZ, ASSISTANT, PAGE, LIMIT], responses={200: OpenApiTypes.OBJECT, **ERRORS}
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        params = _params(_CallsParams, request)
        page, limit = params["page"], params["limit"]
        window = selectors.window_for_range(time_range=params["timeRange"], tz=params["tz"])
        filters = selectors.CallFilters(window=window, assistant_id=params.get("assistantId") or None)
        user = request.user
        figures = selectors.call_figures(user=user, filters=filters)
        volume = selectors.call_volume_by_day(user=user, filters=filters)
        by_assistant = selectors.call_figures_by_assistant(user=user, filters=filters)
        calls = selectors.call_page(user=user, filters=filters, offset=(page - 1) * limit, limit=limit)
        return Response(
            {
                "success": True,
                "timeRange": params["timeRange"],
                "assistantId": filters.assistant_id,
                "pagination": _pagination(page, limit, figures["total"]),
                "analytics": {
                    "overview": {
                        "totalCalls": figures["total"],
                        "successfulCalls": figures["successful"],
                        "failedCalls": figures["failed"],
                        "successRate": _percent(figures["successful"], figures["total"], 2),
                    },
                    "duration": {
                        "average": _round(figures["avg_duration"]),
                        "minimum": _round(figures["min_duration"]),
                        "maximum": _round(figures["max_duration"]),
                        "totalMinutes": _round((figures["total_duration"] or 0) / 60),
                    },
                    "trends": {"volumeTrends": _trend(volume)},
                    "byAssistant": [
                        {
                            "assistantId": row["assistant_id"],
                            "totalCalls": row["total"],
                            "successfulCalls": row["successful"],
                            "failedCalls": row["failed"],
                            "avgDuration": _round(row["avg_duration"]),
                            "totalDuration": row["total_duration"],
                        }
                        for row in by_assistant
                    ],
                    "recentCalls": [_call_row(call) for call in calls],
                },
                "metadata": _metadata(timeZone=window.tz.key),
            }
        )


class SessionsReportView(APIView):
    """``GET /api/analytics/sessions[?botUuid=]``: the widget sessions started in the range: counts (active,
    completed), sessions per day (``avgSessionsPerDay``: over the range's days; for ``all``, over the local days
    since the first session), duration statistics (ended sessions, seconds rounded; ``totalHours`` rounded),
    sessions per local day and per local hour, countries, devices and browsers, figures per bot, and a page of
    the sessions (``recentSessions``, newest first; IP addresses masked; ``status`` is ``active`` or
    ``completed``; an open session silent longer than ``SESSION_ACTIVE_MINUTES`` is completed). Seven queries and the
    signed-in user.

    GET only: the widget's public POST (session start) is added by a subclass with its own permissions."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[_time_range("30d"), TZ, BOT_UUID, PAGE, LIMIT], responses={200: OpenApiTypes.OBJECT, **ERRORS}
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        params = _params(_SessionsParams, request)
        page, limit = params["page"], params["limit"]
        window = selectors.window_for_range(time_range=params["timeRange"], tz=params["tz"])
        filters = selectors.SessionFilters(window=window, bot_uuid=params.get("botUuid") or None)
        user = request.user
        figures = selectors.session_figures(user=user, filters=filters)
        by_day = selectors.session_count_by_day(user=user, filters=filters)
        by_hour = selectors.session_count_by_hour(user=user, filters=filters)
        countries = selectors.session_count_by_country(user=user, filters=filters)
        devices_browsers = selectors.session_count_by_device_and_browser(user=user, filters=filters)
        by_bot = selectors.session_figures_by_bot(user=user, filters=filters)
        sessions = selectors.session_page(user=user, filters=filters, offset=(page - 1) * limit, limit=limit)

        days = window.days
        if days is None and figures["first_start"] is not None:
            first_day = figures["first_start"].astimezone(window.tz).date()
            days = (window.now.astimezone(window.tz).date() - first_day).days + 1
        return Response(
            {
                "success": True,
                "timeRange": params["timeRange"],
                "botUuid": filters.bot_uuid,
                "pagination": _pagination(page, limit, figures["total"]),
                "analytics": {
                    "overview": {
                        "totalSessions": figures["total"],
                        "activeSessions": figures["active"],
                        "completedSessions": figures["completed"],
                        "avgSessionsPerDay": _round(figures["total"] / days) if days else 0,
                    },
                    "duration": {
                        "average": _round(figures["avg_duration"]),
                        "minimum": _round(figures["min_duration"]),
                        "maximum": _round(figures["max_duration"]),
                        "totalHours": _round((figures["total_duration"] or 0) / 3600),
                    },
                    "trends": {
                        "sessionTrends": _trend(by_day),
                        "hourlyDistribution": [{"hour": row["hour"], "count": row["count"]} for row in by_hour],
                    },
                    "distributions": {
                        "geographic": _counts(countries, "country_name", "country"),
                        "device": _ranked(devices_browsers["device"], "device"),
                        "browser": _ranked(devices_browsers["browser"], "browser"),
                    },
                    "byBot": [
                        {
                            "botUuid": row["bot__uuid"],
                            "sessionCount": row["count"],
                            "totalDuration": _round(row["total_duration"]),
                            "avgDuration": _round(row["avg_duration"]),
                        }
                        for row in by_bot
                    ],
                    "recentSessions": [_session_row(session, window.now) for session in sessions],
                },
                "metadata": _metadata(timeZone=window.tz.key),
            }
        )


class LogsView(APIView):
    """``GET /api/analytics/logs``: the call logs (ids are VAPI call ids).

    With ``callId``: that one call in the original's detail shape (``recording`` ``{url, available, size,
    type}`` or null, ``messages`` always ``[]`` as we keep only their count, ``analysis`` ``{summary}`` or
    null); another user's call or none: 404 "Call not found". One query and the signed-in user.

    Without: a page of the calls the filters select (``timeRange``, default 7d, or the calendar days
    ``from``..``to`` in ``tz``, which replace it and make ``timeRange`` "custom"; ``botUuid``/``bot``,
    ``assistantId``, ``status``), newest first, with the summary and distributions of the whole selection
    (``totalCost`` 2 decimals; ``avgDuration`` over calls with a duration). Three queries and the signed-in user.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            *CALL_FILTERS,
            PAGE,
            LIMIT,
            OpenApiParameter("callId", OpenApiTypes.STR, description="One call (its VAPI id) in detail."),
        ],
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(description="Call not found"), **ERRORS},
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        params = _params(_LogsParams, request)
        if params.get("callId"):
            return self._one(request, params["callId"])
        page, limit = params["page"], params["limit"]
        time_range, filters = _call_filters(params)
        user = request.user
        figures = selectors.call_log_figures(user=user, filters=filters)
        by_assistant = selectors.call_figures_by_assistant(user=user, filters=filters)
        calls = selectors.call_page(
            user=user,
            filters=filters,
            offset=(page - 1) * limit,
            limit=limit,
            fields=selectors.CALL_LOG_FIELDS,
        )
        statuses = [
            {"status": selectors.status_to_api(value), "count": figures[f"status_{value}"]}
            for value in CallStatus.values
            if figures[f"status_{value}"]
        ]
        statuses.sort(key=lambda row: (-row["count"], row["status"]))
        return Response(
            {
                "success": True,
                "timeRange": time_range,
                "assistantId": filters.assistant_id,
                "status": params.get("status") or None,
                "pagination": _pagination(page, limit, figures["total"]),
                "logs": [_log_row(call) for call in calls],
                "summary": {
                    "totalCalls": figures["total"],
                    "callsWithTranscripts": figures["with_transcript"],
                    "callsWithRecordings": figures["with_recording"],
                    "totalMessages": figures["total_messages"],
                    "totalCost": _round(figures["total_cost"], 2),
                    "avgDuration": _round(figures["avg_duration"]),
                },
                "distributions": {
                    "status": statuses,
                    "assistant": [
                        {
                            "assistantId": row["assistant_id"],
                            "callCount": row["total"],
                            "totalDuration": row["total_duration"],
                            "totalCost": _round(row["total_cost"], 2),
                        }
                        for row in by_assistant
                    ],
                },
                "metadata": _metadata(
                    timeZone=filters.window.tz.key,
                    botUuid=filters.bot_uuid,
                    **{
                        "from": params["from"].isoformat() if params.get("from") else None,
                        "to": params["to"].isoformat() if params.get("to") else None,
                    },
                ),
            }
        )

    def _one(self, request: Request, vapi_call_id: str) -> Response:
        call = selectors.call_get(user=request.user, vapi_call_id=vapi_call_id)
        return Response(
            {
                "success": True,
                "call": {
                    "id": call.vapi_call_id,
                    "assistantId": call.assistant_id,
                    "status": selectors.status_to_api(call.status),
                    "createdAt": _iso(call.created_at),
                    "startedAt": _iso(call.started_at),
                    "endedAt": _iso(call.ended_at),
                    "duration": call.duration,
                    "phoneNumber": call.phone_number,
                    "type": call.type or "unknown",
                    "cost": call.cost,
                    "transcript": call.transcript or None,
                    "recording": _recording(call.recording),
                    "messages": [],
                    "analysis": {"summary": call.summary} if call.summary else None,
                },
                "metadata": _metadata(),
            }
        )


class _Echo:
    def write(self, value: str) -> str:
        return value


EXPORT_COLUMNS = (
    "vapiCallId",
    "botUuid",
    "botName",
    "assistantId",
    "status",
    "type",
    "endedReason",
    "phoneNumber",
    "cost",
    "duration",
    "createdAt",
    "startedAt",
    "endedAt",
    "messageCount",
    "summary",
    "transcript",
    "recording",
)
_STATUS_COLUMN = EXPORT_COLUMNS.index("status")


class CallsExportView(APIView):
    """``GET /api/analytics/calls/export``: the owner's calls that the call-log filters select (same parameters
    and defaults as ``/api/analytics/logs``, without paging), as a CSV file streamed from a server-side cursor,
    newest first. Cells that a spreadsheet would run as formulas are defused (``csv_cell``). One query and the
    signed-in user."""

    permission_classes = [IsAuthenticated]

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # The answer is CSV whatever the Accept header says; errors stay JSON (the first renderer).
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        parameters=CALL_FILTERS,
        responses={(200, "text/csv"): OpenApiTypes.STR, **ERRORS},
    )
    @replica_reads
    def get(self, request: Request) -> StreamingHttpResponse:
        params = _params(_CallFilterParams, request)
        _, filters = _call_filters(params)
        rows = selectors.call_export_rows(user=request.user, filters=filters)
        # The query starts here, in the view, so that it runs where the view's reads are routed (the read replica,
        # with its fallback to the primary); the rest of the rows stream from the same cursor after the view.
        first = next(rows, None)
        rows = itertools.chain([first], rows) if first is not None else iter(())
        writer = csv.writer(_Echo())

        def lines() -> Iterator[str]:
            yield writer.writerow(EXPORT_COLUMNS)
            for row in rows:
                row = list(row)
                row[_STATUS_COLUMN] = selectors.status_to_api(row[_STATUS_COLUMN])
                yield writer.writerow([csv_cell(value) for value in row])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        today = filters.window.now.astimezone(filters.window.tz).date()
        response["Content-Disposition"] = f'attachment; filename="calls-{today.isoformat()}.csv"'
        return response
