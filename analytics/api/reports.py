"""The analytics report routes of the original app, with its paths and JSON shapes (spec/legacy-api.md,
"Analytics routes"), read from our tables instead of VAPI's API and memory. Every route is an ``OwnerView``
(``accounts.scoping``): it needs a signed-in user and reads only ``self.owner``'s bots, calls and sessions, through
the selectors, which filter every query by that owner.

Views are thin: they read the query parameters (``analytics.filters``: the parameters, their defaults and their
400s), call ``analytics.selectors`` (every figure, and the definitions behind them: successful call, active
session, device, …), page lists with ``analytics.pagination.Pager``, and write the legacy JSON through the output
serializers of ``analytics.api.serializers`` (the OpenAPI schema's description of each answer). Timestamps are ISO
8601 in UTC; ``tz`` only decides the day and hour buckets. The aggregates cover the whole selection (every page),
as the original's did.

With a read replica configured, these read-only routes read from it (``@replica_reads``, docs/replica.md): their
figures may trail the primary by the replication lag (usually well under a second to a few seconds).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.scoping import OwnerView
from analytics import selectors
from analytics.api import serializers
from analytics.api.schema import AnalyticsSchema
from analytics.filters import AnalyticsQuery, read_query
from analytics.pagination import Pager
from common.admin_tools import csv_cell
from common.replica import replica_reads

DATA_SOURCE = "database"

# --- Shaping: the legacy API's way of writing the selectors' figures ------------------------------------------


def _round(value, places: int = 0):
    """Half away from zero, as JavaScript's ``Math.round`` and ``toFixed`` do for the original's figures; None is
    0."""
    if value is None:
        return 0
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return int(rounded) if places == 0 else float(rounded)


def _fixed(value: float | None, places: int) -> str:
    """``value`` with ``places`` decimals, as a string (``"0.0…"`` for None)."""
    return f"{_round(value or 0, places):.{places}f}"


def _trend(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"date": row["date"], "count": row["count"]} for row in rows]


def _metadata(generated_at, **extra: Any) -> dict[str, Any]:
    return {"generatedAt": generated_at, "dataSource": DATA_SOURCE, **extra}


def _bot_row(bot: dict[str, Any], **extras: Any) -> dict[str, Any]:
    return {
        "uuid": bot["uuid"],
        "name": bot["name"],
        "status": bot["status"].lower(),
        "createdAt": bot["created_at"],
        **extras,
    }


def _call_row(call: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": call["vapi_call_id"],
        "assistantId": call["assistant_id"],
        "status": selectors.status_to_api(call["status"]),
        "endedReason": call["ended_reason"],
        "createdAt": call["created_at"],
        "startedAt": call["started_at"],
        "endedAt": call["ended_at"],
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


def _session_status(session: dict[str, Any], window: selectors.Window) -> str:
    return selectors.session_status(end_time=session["end_time"], start_time=session["start_time"], now=window.now)


def _session_row(session: dict[str, Any], window: selectors.Window) -> dict[str, Any]:
    return {
        "id": session["pk"],
        "botUuid": session["bot__uuid"],
        "startTime": session["start_time"],
        "endTime": session["end_time"],
        "duration": None if session["duration"] is None else _round(session["duration"]),
        "userAgent": session["user_agent"] or "Unknown",
        "ipAddress": mask_ip(session["ip_address"]),
        "interactions": session["interactions"],
        "status": _session_status(session, window),
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


class ReportView(OwnerView):
    """An owner's report: ``parameters`` are the query parameters it reads (``analytics.filters``; the schema
    lists them from the same declarations, ``AnalyticsSchema``), ``time_range_default`` its default range."""

    schema = AnalyticsSchema()
    parameters: tuple[str, ...] = ("timeRange", "tz")
    time_range_default = "30d"

    def read_query(self) -> AnalyticsQuery:
        """The request's parameters, valid (400 otherwise)."""
        return read_query(self.request.query_params, only=self.parameters, time_range_default=self.time_range_default)


class OverviewView(ReportView):
    """``GET /api/analytics/overview``: the dashboard's cards, health, growth against the previous range, the
    breakdowns and the latest bots and sessions. Five queries and the signed-in user, whatever the number of rows.

    Bot and session figures are those of the range (bots created, sessions started in it), as the original's;
    ``botsOnline`` is every ACTIVE bot; files are all the owner's uploaded files. The "VAPI Calls" card counts the
    calls of the range and their success rate (1 decimal: up from 80 %, neutral from 60 %, down below).
    ``callsToday``/``callsThisWeek``/``callsThisMonth``: calls since local midnight (``tz``) today, 6 days ago and
    29 days ago, whatever the range. A recent session's ``status`` is ``active`` or ``completed`` (see
    ``SessionsReportView``)."""

    @extend_schema(responses=serializers.OverviewResponseSerializer)
    @replica_reads
    def get(self, request: Request) -> Response:
        query = self.read_query()
        window = query.window()
        owner = self.owner
        bots = selectors.bot_overview_figures(user=owner, window=window)
        calls = selectors.call_overview_figures(user=owner, window=window)
        sessions = selectors.session_overview_figures(user=owner, window=window)
        recent_bots = selectors.bot_recent(user=owner, window=window, limit=5)
        recent_sessions = selectors.session_latest(user=owner, window=window, limit=5)

        bot_growth = _fixed(selectors.growth(bots["total"], bots["previous"]), 1)
        session_growth = _fixed(selectors.growth(sessions["total"], sessions["previous"]), 1)
        success_rate = _fixed(selectors.percent(calls["successful"], calls["total"]), 1)
        rate = float(success_rate)
        size_mb = bots["files_bytes"] / 1024 / 1024
        payload = {
            "success": True,
            "timeRange": query.time_range,
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
                        "change": f"{_fixed(size_mb, 1)}MB",
                        "trend": "neutral",
                        "icon": "📁",
                    },
                ],
                "systemHealth": {
                    "botsOnline": bots["online"],
                    "activeSessions": sessions["active"],
                    "apiStatus": "connected" if settings.VAPI_PRIVATE_KEY else "not_configured",
                    "fileStorageStatus": "active" if bots["files"] else "empty",
                    "lastUpdated": window.now,
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
                    "bots": [_bot_row(bot, ragEnabled=bot["rag_enabled"]) for bot in recent_bots],
                    "sessions": [
                        {
                            "id": session["pk"],
                            "botUuid": session["bot__uuid"],
                            "startTime": session["start_time"],
                            "status": _session_status(session, window),
                        }
                        for session in recent_sessions
                    ],
                },
            },
            "metadata": {
                "generatedAt": window.now,
                "userId": owner.pk,
                "timeRange": query.time_range,
                "dataSource": DATA_SOURCE,
                "timeZone": window.tz.key,
            },
        }
        return Response(serializers.OverviewResponseSerializer(payload).data)


class BotsReportView(ReportView):
    """``GET /api/analytics/bots``: the bots created in the range (status, RAG, creation per local day, voices,
    languages, the latest five), and the top ten of all the owner's bots by calls in the range (ties: newest
    first). Five queries and the signed-in user."""

    @extend_schema(responses=serializers.BotsResponseSerializer)
    @replica_reads
    def get(self, request: Request) -> Response:
        query = self.read_query()
        window = query.window()
        owner = self.owner
        figures = selectors.bot_range_figures(user=owner, window=window)
        creation = selectors.bot_creation_by_day(user=owner, window=window)
        top = selectors.bot_top_by_calls(user=owner, window=window, limit=10)
        distributions = selectors.bot_voice_and_language_counts(user=owner, window=window)
        recent = selectors.bot_recent(user=owner, window=window, limit=5)
        payload = {
            "success": True,
            "timeRange": query.time_range,
            "analytics": {
                "overview": {
                    "totalBots": figures["total"],
                    "activeBots": figures["active"],
                    "inactiveBots": figures["inactive"],
                    "ragEnabledBots": figures["with_rag"],
                    "ragDisabledBots": figures["without_rag"],
                },
                "trends": {"creationTrends": _trend(creation)},
                "topBots": [
                    _bot_row(bot, documentsProcessed=bot["documents_processed"], callCount=bot["call_count"])
                    for bot in top
                ],
                "distributions": distributions,
                "recentActivity": [
                    _bot_row(bot, ragEnabled=bot["rag_enabled"], documentsProcessed=bot["documents_processed"])
                    for bot in recent
                ],
            },
            # The original's "totalBotsInSystem" was already the user's own count; nobody sees everyone's.
            "metadata": _metadata(
                window.now,
                totalBotsInSystem=figures["all_bots"],
                userBotsCount=figures["all_bots"],
                timeZone=window.tz.key,
            ),
        }
        return Response(serializers.BotsResponseSerializer(payload).data)


class CallsReportView(ReportView):
    """``GET /api/analytics/calls[?assistantId=]``: the calls of the range: counts, success rate (2 decimals),
    duration statistics (seconds, rounded; ``totalMinutes`` rounded), calls per local day, figures per assistant,
    and a page of the calls themselves (``recentCalls``, newest first). Four queries and the signed-in user."""

    parameters = ("timeRange", "tz", "assistantId", "page", "limit")

    @extend_schema(responses=serializers.CallsResponseSerializer)
    @replica_reads
    def get(self, request: Request) -> Response:
        query = self.read_query()
        filters = query.call_filters()
        owner = self.owner
        figures = selectors.call_figures(user=owner, filters=filters)
        volume = selectors.call_volume_by_day(user=owner, filters=filters)
        by_assistant = selectors.call_figures_by_assistant(user=owner, filters=filters)
        pager = Pager(page=query.page, per_page=query.limit, total=figures["total"])
        calls = selectors.call_page(user=owner, filters=filters, offset=pager.offset, limit=pager.per_page)
        payload = {
            "success": True,
            "timeRange": query.time_range,
            "assistantId": filters.assistant_id,
            "pagination": pager.legacy(),
            "analytics": {
                "overview": {
                    "totalCalls": figures["total"],
                    "successfulCalls": figures["successful"],
                    "failedCalls": figures["failed"],
                    "successRate": _fixed(selectors.percent(figures["successful"], figures["total"]), 2),
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
            "metadata": _metadata(filters.window.now, timeZone=filters.window.tz.key),
        }
        return Response(serializers.CallsResponseSerializer(payload).data)


class SessionsReportView(ReportView):
    """``GET /api/analytics/sessions[?botUuid=]``: the widget sessions started in the range: counts (active,
    completed), sessions per day (``avgSessionsPerDay``: over the range's days; for ``all``, over the local days
    since the first session), duration statistics (ended sessions, seconds rounded; ``totalHours`` rounded),
    sessions per local day and per local hour, countries, devices and browsers, figures per bot, and a page of
    the sessions (``recentSessions``, newest first; IP addresses masked; ``status`` is ``active`` or
    ``completed``; an open session silent longer than ``SESSION_ACTIVE_MINUTES`` is completed). Seven queries and the
    signed-in user.

    GET only: the same path's POST is the widget's (``analytics.api.public.SessionsRoute`` routes the two)."""

    parameters = ("timeRange", "tz", "botUuid", "page", "limit")

    @extend_schema(responses=serializers.SessionsResponseSerializer)
    @replica_reads
    def get(self, request: Request) -> Response:
        query = self.read_query()
        filters = query.session_filters()
        window = filters.window
        owner = self.owner
        figures = selectors.session_figures(user=owner, filters=filters)
        by_day = selectors.session_count_by_day(user=owner, filters=filters)
        by_hour = selectors.session_count_by_hour(user=owner, filters=filters)
        countries = selectors.session_count_by_country(user=owner, filters=filters)
        devices_browsers = selectors.session_count_by_device_and_browser(user=owner, filters=filters)
        by_bot = selectors.session_figures_by_bot(user=owner, filters=filters)
        pager = Pager(page=query.page, per_page=query.limit, total=figures["total"])
        sessions = selectors.session_page(user=owner, filters=filters, offset=pager.offset, limit=pager.per_page)
        payload = {
            "success": True,
            "timeRange": query.time_range,
            "botUuid": filters.bot_uuid,
            "pagination": pager.legacy(),
            "analytics": {
                "overview": {
                    "totalSessions": figures["total"],
                    "activeSessions": figures["active"],
                    "completedSessions": figures["completed"],
                    "avgSessionsPerDay": _round(selectors.sessions_per_day(figures=figures, window=window)),
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
                    "geographic": [{"country": row["country_name"], "count": row["count"]} for row in countries],
                    "device": devices_browsers["device"],
                    "browser": devices_browsers["browser"],
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
                "recentSessions": [_session_row(session, window) for session in sessions],
            },
            "metadata": _metadata(window.now, timeZone=window.tz.key),
        }
        return Response(serializers.SessionsResponseSerializer(payload).data)


CALL_LOG_FILTERS = ("timeRange", "tz", "assistantId", "botUuid", "bot", "status", "from", "to")

LOGS_RESPONSE = PolymorphicProxySerializer(
    component_name="CallLogsOrCall",
    serializers=[serializers.LogsResponseSerializer, serializers.CallDetailResponseSerializer],
    resource_type_field_name=None,
)


class LogsView(ReportView):
    """``GET /api/analytics/logs``: the call logs (ids are VAPI call ids).

    With ``callId``: that one call in the original's detail shape (``recording`` ``{url, available, size,
    type}`` or null, ``messages`` the conversation as VAPI reported it, ``analysis`` VAPI's analysis object — or
    ``{summary}`` for calls stored before it was kept — or null), with its ``endedReason``, which the original
    frontend shows; another user's call or none: 404 "Call not found". One query and the signed-in user.

    Without: a page of the calls the filters select (``timeRange``, default 7d, or the calendar days
    ``from``..``to`` in ``tz``, which replace it and make ``timeRange`` "custom"; ``botUuid``/``bot``,
    ``assistantId``, ``status``), newest first, with the summary and distributions of the whole selection
    (``totalCost`` 2 decimals; ``avgDuration`` over calls with a duration). Three queries and the signed-in user.
    """

    parameters = (*CALL_LOG_FILTERS, "page", "limit", "callId")
    time_range_default = "7d"

    @extend_schema(
        responses={
            200: LOGS_RESPONSE,
            404: OpenApiResponse(description="Call not found (callId names no call of the signed-in user)"),
        }
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        query = self.read_query()
        if query.call_id:
            return self._one(query.call_id)
        filters = query.call_filters()
        owner = self.owner
        figures = selectors.call_log_figures(user=owner, filters=filters)
        by_assistant = selectors.call_figures_by_assistant(user=owner, filters=filters)
        pager = Pager(page=query.page, per_page=query.limit, total=figures["total"])
        calls = selectors.call_page(
            user=owner, filters=filters, offset=pager.offset, limit=pager.per_page, fields=selectors.CALL_LOG_FIELDS
        )
        payload = {
            "success": True,
            "timeRange": query.call_time_range,
            "assistantId": filters.assistant_id,
            "status": query.status or None,
            "pagination": pager.legacy(),
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
                "status": figures["by_status"],
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
                filters.window.now,
                timeZone=filters.window.tz.key,
                botUuid=filters.bot_uuid,
                **{"from": query.first, "to": query.last},
            ),
        }
        return Response(serializers.LogsResponseSerializer(payload).data)

    def _one(self, vapi_call_id: str) -> Response:
        call = selectors.call_get(user=self.owner, vapi_call_id=vapi_call_id)
        payload = {
            "success": True,
            "call": {
                "id": call.vapi_call_id,
                "assistantId": call.assistant_id,
                "status": selectors.status_to_api(call.status),
                "createdAt": call.created_at,
                "startedAt": call.started_at,
                "endedAt": call.ended_at,
                "duration": call.duration,
                "phoneNumber": call.phone_number,
                "type": call.type or "unknown",
                "cost": call.cost,
                "endedReason": call.ended_reason,
                "transcript": call.transcript or None,
                "recording": _recording(call.recording),
                "messages": call.messages or [],
                "analysis": call.analysis or ({"summary": call.summary} if call.summary else None),
            },
            "metadata": _metadata(selectors.current_time()),
        }
        return Response(serializers.CallDetailResponseSerializer(payload).data)


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


class CallsExportView(ReportView):
    """``GET /api/analytics/calls/export``: the owner's calls that the call-log filters select (same parameters
    and defaults as ``/api/analytics/logs``, without paging), as a CSV file streamed from a server-side cursor,
    newest first. Cells that a spreadsheet would run as formulas are defused (``csv_cell``). One query and the
    signed-in user."""

    parameters = CALL_LOG_FILTERS
    time_range_default = "7d"

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # The answer is CSV whatever the Accept header says; errors stay JSON (the first renderer).
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="CSV (UTF-8) with a header row of the columns "
                + ", ".join(EXPORT_COLUMNS)
                + '; Content-Disposition: attachment; filename="calls-<local date>.csv"',
            )
        }
    )
    @replica_reads
    def get(self, request: Request) -> StreamingHttpResponse:
        filters = self.read_query().call_filters()
        rows = selectors.call_export_rows(user=self.owner, filters=filters)
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
