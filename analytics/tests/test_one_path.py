"""Analytics does one job one way (issue 14): the API and the pages read the same parameters (one FilterSet,
``analytics.filters``), page with the same paginator (``analytics.pagination``) and get every figure from the
same selectors, so the same filters give the same numbers on both; the schema states the rules the FilterSet
applies; every owner report is an ``OwnerView``. The clock is frozen at ``NOW`` (see test_reports.py)."""

from __future__ import annotations

import ast
import datetime
import zoneinfo
from pathlib import Path

import pytest
from django.http import QueryDict
from django.urls import URLPattern, get_resolver
from rest_framework.exceptions import ValidationError

from accounts.scoping import OwnerView
from analytics import selectors
from analytics.api import reports
from analytics.api.public import SessionsRoute, SessionStartView
from analytics.filters import AnalyticsFilter, read_query, zone_names
from analytics.pagination import Pager
from analytics.tests.test_pages import world as pages_world  # noqa: F401 - the pages' world, for both sides
from analytics.tests.test_reports import NOW
from config.tests.openapi_schema import served_spec

PAGE = "/dashboard/analytics"
CALLS_PARTIAL = "/dashboard/analytics/calls"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(selectors, "_now", lambda: NOW)


# --- Same filters, same numbers -------------------------------------------------------------------------------


def _filter_sets(world) -> list[dict[str, str]]:
    return [
        {"tz": "UTC"},
        {"tz": "Asia/Tokyo", "timeRange": "7d"},
        {"tz": "UTC", "timeRange": "all", "status": "ended"},
        {"tz": "Europe/Berlin", "timeRange": "90d", "bot": world["sales"].uuid},
        {"tz": "Asia/Tokyo", "from": "2026-03-09", "to": "2026-03-10"},
        {"tz": "UTC", "timeRange": "all", "from": "2026-01-20", "status": "ended", "bot": world["desk"].uuid},
    ]


@pytest.mark.parametrize("case", range(6))
def test_the_page_and_the_api_answer_the_same_numbers_for_the_same_filters(request, client, client_for, user, case):
    filters = _filter_sets(request.getfixturevalue("pages_world"))[case]
    client.force_login(user)
    page = client.get(PAGE, filters).context
    api = client_for(user)
    range_only = {key: filters[key] for key in ("timeRange", "tz") if key in filters}

    # The call logs: the page's list and summary against /api/analytics/logs with the same filters.
    logs = api.get("/api/analytics/logs", {**filters, "botUuid": filters.get("bot", ""), "limit": 20}).json()
    figures = page["log_figures"]
    assert logs["summary"]["totalCalls"] == figures["total"] == page["calls_pager"].total
    assert logs["summary"]["callsWithTranscripts"] == figures["with_transcript"]
    assert logs["summary"]["callsWithRecordings"] == figures["with_recording"]
    assert logs["summary"]["totalMessages"] == figures["total_messages"]
    assert logs["summary"]["totalCost"] == pytest.approx(figures["total_cost"], abs=0.005)
    assert logs["summary"]["avgDuration"] == round(figures["avg_duration"] or 0)
    assert logs["distributions"]["status"] == figures["by_status"]
    assert [row["id"] for row in logs["logs"]] == [row["vapi_call_id"] for row in page["calls"]]

    # The range's cards: calls, success rate, sessions, bots, files against the calls report and the overview.
    calls = api.get("/api/analytics/calls", range_only).json()["analytics"]
    overview = api.get("/api/analytics/overview", range_only).json()["overview"]
    call_figures = page["call_figures"]
    assert calls["overview"]["totalCalls"] == call_figures["total"]
    assert calls["overview"]["successfulCalls"] == call_figures["successful"]
    assert calls["overview"]["failedCalls"] == call_figures["failed"]
    assert float(calls["overview"]["successRate"]) == pytest.approx(page["success_rate"] or 0, abs=0.005)
    assert calls["duration"]["average"] == round(call_figures["avg_duration"] or 0)
    assert calls["trends"]["volumeTrends"] == [
        {"date": row["date"].isoformat(), "count": row["count"]} for row in page["daily_rows"]
    ]
    assert sum(page["chart"]["calls"]) == call_figures["total"]
    assert overview["breakdown"]["sessions"]["total"] == page["session_figures"]["total"]
    assert overview["breakdown"]["sessions"]["active"] == page["session_figures"]["active"]
    assert overview["breakdown"]["bots"]["total"] == page["bot_figures"]["total"]
    assert overview["breakdown"]["storage"]["totalFiles"] == page["bot_figures"]["files"]

    # The sessions: the page's first page against the report's.
    sessions = api.get("/api/analytics/sessions", {**range_only, "limit": 10}).json()
    assert sessions["pagination"]["total"] == page["sessions_pager"].total
    assert [row["id"] for row in sessions["analytics"]["recentSessions"]] == [row["pk"] for row in page["sessions"]]
    assert [row["status"] for row in sessions["analytics"]["recentSessions"]] == [
        row["status"] for row in page["sessions"]
    ]


def test_the_call_log_partial_and_the_api_page_alike(request, client, client_for, user):
    """The call log partial's first page and the API's page of the same size: the same rows and pagination."""
    request.getfixturevalue("pages_world")
    client.force_login(user)
    api = client_for(user).get("/api/analytics/logs", {"tz": "UTC", "timeRange": "all", "limit": 20}).json()
    partial = client.get(CALLS_PARTIAL, {"tz": "UTC", "timeRange": "all"}, **HTMX).context
    assert [row["id"] for row in api["logs"]] == [row["vapi_call_id"] for row in partial["calls"]]
    assert api["pagination"] == partial["calls_pager"].legacy() | {"limit": 20}


# --- One reading of the parameters: strictly for the API, leniently for the pages ------------------------------


ALL = tuple(AnalyticsFilter.base_filters)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"tz": "Mars/Olympus_Mons"}, "tz"),
        ({"tz": " UTC"}, "tz"),  # exactly a name of the schema's enum
        ({"timeRange": "1y"}, "timeRange"),
        ({"status": "IN_PROGRESS"}, "status"),
        ({"page": "2.0"}, "page"),
        ({"page": " 2"}, "page"),
        ({"page": "\u0662"}, "page"),  # an Arabic-Indic two: int() reads it, the schema's integer does not
        ({"limit": "201"}, "limit"),
        ({"from": "2026-3-1"}, "from"),
        ({"from": "20260301"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"bot": "x" * 37}, "bot"),
        ({"assistantId": "x" * 100 + " "}, "assistantId"),  # the length as sent, before white space is dropped
        ({"from": "2026-03-10", "to": "2026-03-01"}, "from"),
    ],
)
def test_a_value_the_schema_refuses_is_a_400_for_the_api_and_the_default_for_the_pages(data, field):
    with pytest.raises(ValidationError) as refused:
        read_query(data, only=ALL)
    assert list(refused.value.detail) == [field]

    lenient = read_query(data, only=ALL, lenient=True)
    default = read_query({}, only=ALL)
    if field == "from" and "to" in data:
        assert (lenient.first, lenient.last) == (datetime.date(2026, 3, 1), datetime.date(2026, 3, 10))  # swapped
    else:
        names = {
            "timeRange": "time_range",
            "bot": "bot_uuid",
            "assistantId": "assistant_id",
            "from": "first",
            "to": "last",
        }
        attribute = names.get(field, field)
        assert getattr(lenient, attribute) == getattr(default, attribute)
    assert lenient.tz_asked == (data["tz"] if field == "tz" else "")


def test_a_parameter_given_twice_is_a_400_for_the_api_and_its_last_value_for_the_pages():
    data = QueryDict("bot=a&bot=b&tz=UTC")
    with pytest.raises(ValidationError) as refused:
        read_query(data, only=ALL)
    assert list(refused.value.detail) == ["bot"]
    assert read_query(data, only=ALL, lenient=True).bot_uuid == "b"


def test_empty_values_are_no_values():
    empty = dict.fromkeys(ALL, "")
    assert read_query(empty, only=ALL) == read_query({}, only=ALL)


def test_valid_values():
    query = read_query(
        {
            "timeRange": "90d",
            "tz": "America/Argentina/Buenos_Aires",
            "bot": "b" * 36,
            "status": "in-progress",
            "from": "2026-02-28",
            "page": "3",
            "limit": "200",
        },
        only=ALL,
    )
    assert (query.time_range, query.tz.key, query.bot_uuid, query.status) == (
        "90d",
        "America/Argentina/Buenos_Aires",
        "b" * 36,
        "in-progress",
    )
    assert (query.first, query.last, query.page, query.limit, query.call_time_range) == (
        datetime.date(2026, 2, 28),
        None,
        3,
        200,
        "custom",
    )
    filters = query.call_filters()
    assert (filters.bot_uuid, filters.status) == ("b" * 36, "IN_PROGRESS")
    assert filters.window.start == datetime.datetime(2026, 2, 28, tzinfo=zoneinfo.ZoneInfo("America/Buenos_Aires"))


def test_a_view_reads_only_its_parameters():
    # /api/analytics/overview takes timeRange and tz: a status there is ignored, as before.
    assert read_query({"status": "nonsense"}, only=("timeRange", "tz")).status == ""


# --- The paginator --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "per_page", "total", "expected"),
    [
        (1, 20, 0, (1, 0, 0, 0, False)),
        (1, 20, 45, (3, 0, 1, 20, True)),
        (3, 20, 45, (3, 40, 41, 45, False)),
        (2, 50, 50, (1, 50, 51, 50, False)),  # past the end (the API answers it empty)
    ],
)
def test_pager(page, per_page, total, expected):
    pager = Pager(page=page, per_page=per_page, total=total)
    assert (pager.pages, pager.offset, pager.first_row, pager.last_row, pager.has_more) == expected
    assert pager.legacy() == {"page": page, "limit": per_page, "total": total, "hasMore": expected[-1]}
    assert pager.within().page == min(page, pager.pages)


# --- The schema states what the FilterSet reads ---------------------------------------------------------------


def _operation(spec, path):
    return spec["paths"][path]["get"]


@pytest.mark.parametrize(
    "view",
    [
        reports.OverviewView,
        reports.BotsReportView,
        reports.CallsReportView,
        reports.SessionsReportView,
        reports.LogsView,
        reports.CallsExportView,
    ],
)
def test_each_report_documents_exactly_the_parameters_it_reads(view):
    spec = served_spec()
    path = {
        reports.OverviewView: "/api/analytics/overview",
        reports.BotsReportView: "/api/analytics/bots",
        reports.CallsReportView: "/api/analytics/calls",
        reports.SessionsReportView: "/api/analytics/sessions",
        reports.LogsView: "/api/analytics/logs",
        reports.CallsExportView: "/api/analytics/calls/export",
    }[view]
    parameters = {parameter["name"]: parameter for parameter in _operation(spec, path)["parameters"]}
    assert set(parameters) == set(view.parameters)
    assert all(parameter["allowEmptyValue"] for parameter in parameters.values())
    assert parameters["timeRange"]["schema"] == {
        "type": "string",
        "enum": ["7d", "30d", "90d", "all"],
        "default": view.time_range_default,
    }
    assert parameters["tz"]["schema"] == {"allOf": [{"$ref": "#/components/schemas/TimeZone"}], "default": "UTC"}
    if "limit" in parameters:
        assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}
        assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}
    if "from" in parameters:
        assert parameters["from"]["schema"] == {"type": "string", "format": "date"}
        assert parameters["status"]["schema"]["enum"] == ["queued", "ringing", "in-progress", "forwarding", "ended"]
    assert spec["components"]["schemas"]["TimeZone"]["enum"] == sorted(zone_names())


def test_the_export_is_documented_as_csv():
    responses = _operation(served_spec(), "/api/analytics/calls/export")["responses"]
    assert set(responses["200"]["content"]) == {"text/csv"}


# --- One scoping mechanism ------------------------------------------------------------------------------------


def _analytics_api_views() -> dict[str, type]:
    views = {}
    for pattern in get_resolver().url_patterns:
        patterns = getattr(pattern, "url_patterns", [pattern])
        for inner in patterns:
            if isinstance(inner, URLPattern) and inner.callback.__module__.startswith("analytics"):
                cls = getattr(inner.callback, "cls", None)
                if cls is not None:
                    views[str(inner.pattern)] = cls
    return views


def test_every_owner_report_is_an_owner_view():
    views = _analytics_api_views()
    owner_reports = {
        "api/analytics/overview": reports.OverviewView,
        "api/analytics/bots": reports.BotsReportView,
        "api/analytics/calls": reports.CallsReportView,
        "api/analytics/calls/export": reports.CallsExportView,
        "api/analytics/logs": reports.LogsView,
    }
    for route, view in owner_reports.items():
        assert views[route] is view
        assert issubclass(view, OwnerView)
    # One path, two views: the report (owner) and the widget's session start (public).
    assert views["api/analytics/sessions"] is SessionsRoute
    assert (SessionsRoute.get, SessionsRoute.post) == (reports.SessionsReportView, SessionStartView)
    assert issubclass(reports.SessionsReportView, OwnerView)
    assert not issubclass(SessionStartView, OwnerView)


def test_no_analytics_view_reads_request_user():
    """Owner views read ``self.owner``; nothing under analytics/api reads the user from the request."""
    for path in Path(reports.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "user":
                assert not (isinstance(node.value, ast.Name) and node.value.id == "request"), path.name


def test_the_sessions_path_serves_both_views(client, client_for, user, api_client):
    from bots.tests.factories import BotFactory

    bot = BotFactory(user=user, active=True)
    anonymous_report = api_client.get("/api/analytics/sessions")
    started = api_client.post("/api/analytics/sessions", {"botUuid": bot.uuid}, format="json")
    report = client_for(user).get("/api/analytics/sessions")
    other = client_for(user).put("/api/analytics/sessions")
    assert (anonymous_report.status_code, started.status_code, report.status_code, other.status_code) == (
        401,
        200,
        200,
        405,
    )
    assert report.json()["pagination"]["total"] == 1
    for response in (anonymous_report, started, report, other):
        assert response["Allow"] == "GET, POST, HEAD, OPTIONS"
