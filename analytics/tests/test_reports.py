"""The analytics report routes (overview and bots here; calls, logs and export in test_reports_calls.py; sessions
in test_reports_sessions.py): every figure against values computed by hand from known rows, time zones, ranges,
owner scoping, parameters, query counts, OpenAPI.

The clock is frozen at ``NOW`` through ``analytics.selectors._now``; rows get explicit times.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import selectors
from analytics.models import CallStatus
from analytics.tests.factories import CallFactory, SessionFactory
from bots.models import BotStatus
from bots.tests.factories import BotFactory
from documents.tests.factories import DocumentFactory

NOW = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)  # a Tuesday; Berlin is UTC+1 (CET) then
UTC = datetime.UTC


def ago(**delta) -> datetime.datetime:
    return NOW - datetime.timedelta(**delta)


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(selectors, "_now", lambda: NOW)


def get(client, url: str, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


# --- A known world: the owner's bots, files, calls and sessions, and a stranger's --------------------------------


@pytest.fixture
def world(user, other_user):
    """Times relative to NOW (2026-03-10T12:00Z). The 30-day range starts 2026-02-08T12:00Z, its previous range
    2026-01-09T12:00Z."""
    bots = {
        # created 2026-03-07T23:30Z: 03-07 in UTC, 03-08 in Berlin
        "new": BotFactory(
            user=user,
            created_at=at("2026-03-07T23:30:00+00:00"),
            status=BotStatus.ACTIVE,
            rag_enabled=True,
            voice="jennifer",
            language="en",
            vapi_assistant_id="asst-new",
            documents_processed=4,
        ),
        "mid": BotFactory(
            user=user, created_at=ago(days=10), status=BotStatus.PENDING, rag_enabled=False, voice="mark", language="de"
        ),
        # the previous 30-day range
        "p1": BotFactory(
            user=user, created_at=ago(days=31), status=BotStatus.ACTIVE, rag_enabled=True, vapi_assistant_id="asst-p1"
        ),
        "p2": BotFactory(user=user, created_at=ago(days=45), status=BotStatus.PENDING),
        "p3": BotFactory(user=user, created_at=ago(days=59), status=BotStatus.FAILED),
        # before both
        "old": BotFactory(user=user, created_at=ago(days=100), status=BotStatus.ACTIVE, vapi_assistant_id="asst-old"),
    }
    # Files: 1.5 + 0.5 MiB on "new", 1 MiB on "old"; a crawled page is not a file.
    DocumentFactory(bot=bots["new"], size=1_572_864)
    DocumentFactory(bot=bots["new"], size=524_288)
    DocumentFactory(bot=bots["old"], size=1_048_576)
    DocumentFactory(bot=bots["mid"], size=5_000, file_path=None, source_url="https://example.com/")

    ended = CallStatus.ENDED
    calls = {
        "c1": CallFactory(bot=bots["old"], created_at=ago(hours=1), ended_reason="customer-ended-call"),
        "c2": CallFactory(
            bot=bots["old"], created_at=at("2026-03-10T00:30:00+00:00"), ended_reason="pipeline-error-openai-llm-failed"
        ),
        # today in Berlin (00:30 local), yesterday in UTC
        "c3": CallFactory(
            bot=bots["old"], created_at=at("2026-03-09T23:30:00+00:00"), ended_reason="assistant-ended-call"
        ),
        "c4": CallFactory(
            bot=bots["new"], created_at=ago(days=5), status=CallStatus.IN_PROGRESS, ended_reason=None, duration=None
        ),
        "c5": CallFactory(bot=bots["new"], created_at=ago(days=20), status=ended, ended_reason=None),
        "c6": CallFactory(bot=bots["p1"], created_at=ago(days=45), ended_reason="customer-ended-call"),
        "c7": CallFactory(bot=bots["p1"], created_at=ago(days=25), ended_reason="customer-ended-call"),
    }
    sessions = {
        "s1": SessionFactory(bot=bots["new"], start_time=ago(minutes=10), end_time=None),  # active
        "s2": SessionFactory(bot=bots["new"], start_time=ago(hours=2), end_time=None),  # open but silent: completed
        "s3": SessionFactory(
            bot=bots["mid"], start_time=ago(days=3), end_time=ago(days=3) + datetime.timedelta(minutes=2)
        ),
        "s4": SessionFactory(bot=bots["mid"], start_time=ago(days=35)),
        "s5": SessionFactory(bot=bots["mid"], start_time=ago(days=50)),
        "s6": SessionFactory(bot=bots["mid"], start_time=ago(days=55)),
        "s7": SessionFactory(bot=bots["mid"], start_time=ago(days=70)),
    }
    # A stranger's rows at the same times: never in the owner's figures.
    stranger_bot = BotFactory(user=other_user, created_at=ago(days=1), status=BotStatus.ACTIVE, rag_enabled=True)
    DocumentFactory(bot=stranger_bot, size=2_097_152)
    CallFactory(bot=stranger_bot, created_at=ago(hours=1), assistant_id="asst-old")
    SessionFactory(bot=stranger_bot, start_time=ago(minutes=5), end_time=None)
    return {"bots": bots, "calls": calls, "sessions": sessions, "stranger_bot": stranger_bot}


# --- Overview -------------------------------------------------------------------------------------------------


def test_overview(client_for, user, world, settings):
    settings.VAPI_PRIVATE_KEY = "sk_live_something"
    bots, sessions = world["bots"], world["sessions"]

    body = get(client_for(user), "/api/analytics/overview")

    assert body["success"] is True
    assert body["timeRange"] == "30d"
    overview = body["overview"]
    assert overview["quickStats"] == [
        # bots created in the range: new, mid; in the previous range: p1, p2, p3 -> (2 - 3) / 3
        {"title": "Total Bots", "value": 2, "change": "-33.3%", "trend": "down", "icon": "🤖"},
        # c1..c5 and c7; successful: c1, c3, c5 (no reason), c7 -> 4 / 6
        {"title": "VAPI Calls", "value": 6, "change": "66.7% success", "trend": "neutral", "icon": "📞"},
        # s1 only (s2 is open but silent for 2 hours); sessions 3 in range, 3 in the previous one -> 0.0
        {"title": "Active Sessions", "value": 1, "change": "0.0%", "trend": "up", "icon": "👥"},
        {"title": "Files Stored", "value": 3, "change": "3.0MB", "trend": "neutral", "icon": "📁"},
    ]
    assert overview["systemHealth"] == {
        "botsOnline": 3,  # every ACTIVE bot: new, p1, old
        "activeSessions": 1,
        "apiStatus": "connected",
        "fileStorageStatus": "active",
        "lastUpdated": "2026-03-10T12:00:00Z",
    }
    assert overview["growth"] == {
        "bots": {"current": 2, "previous": 3, "growth": "-33.3"},
        "sessions": {"current": 3, "previous": 3, "growth": "0.0"},
    }
    assert overview["breakdown"] == {
        "bots": {"total": 2, "active": 1, "inactive": 1, "ragEnabled": 1, "ragDisabled": 1},
        "sessions": {"total": 3, "active": 1, "completed": 2},  # s2 is open but silent: completed
        # today from 03-10 00:00Z: c1, c2; from 03-04: + c3, c4; from 02-09: + c5, c7
        "vapi": {"callsToday": 2, "callsThisWeek": 4, "callsThisMonth": 6},
        "storage": {"totalFiles": 3, "totalSizeMB": 3.0, "botsWithFiles": 2},
    }
    assert overview["recentActivity"] == {
        "bots": [
            {
                "uuid": bots["new"].uuid,
                "name": bots["new"].name,
                "status": "active",
                "createdAt": "2026-03-07T23:30:00Z",
                "ragEnabled": True,
            },
            {
                "uuid": bots["mid"].uuid,
                "name": bots["mid"].name,
                "status": "pending",
                "createdAt": "2026-02-28T12:00:00Z",
                "ragEnabled": False,
            },
        ],
        "sessions": [
            {
                "id": sessions["s1"].pk,
                "botUuid": bots["new"].uuid,
                "startTime": "2026-03-10T11:50:00Z",
                "status": "active",
            },
            {
                "id": sessions["s2"].pk,
                "botUuid": bots["new"].uuid,
                "startTime": "2026-03-10T10:00:00Z",
                "status": "completed",
            },
            {
                "id": sessions["s3"].pk,
                "botUuid": bots["mid"].uuid,
                "startTime": "2026-03-07T12:00:00Z",
                "status": "completed",
            },
        ],
    }
    assert body["metadata"] == {
        "generatedAt": "2026-03-10T12:00:00Z",
        "userId": user.pk,
        "timeRange": "30d",
        "dataSource": "database",
        "timeZone": "UTC",
    }


def test_overview_day_buckets_follow_the_time_zone(client_for, user, world):
    # In Berlin (UTC+1) today began at 2026-03-09T23:00Z: c3 (23:30Z) is today's.
    berlin = get(client_for(user), "/api/analytics/overview", tz="Europe/Berlin")["overview"]["breakdown"]["vapi"]
    assert berlin == {"callsToday": 3, "callsThisWeek": 4, "callsThisMonth": 6}
    # In New York (UTC-4 since 03-08) today began at 04:00Z: only c1.
    new_york = get(client_for(user), "/api/analytics/overview", tz="America/New_York")["overview"]["breakdown"]["vapi"]
    assert new_york == {"callsToday": 1, "callsThisWeek": 4, "callsThisMonth": 6}


def test_overview_all_time(client_for, user, world, settings):
    settings.VAPI_PRIVATE_KEY = ""
    overview = get(client_for(user), "/api/analytics/overview", timeRange="all")["overview"]

    assert [card["value"] for card in overview["quickStats"]] == [6, 7, 1, 3]
    # no previous range: growth is 100 % when there is anything
    assert overview["quickStats"][0]["change"] == "100.0%"
    assert overview["quickStats"][1]["change"] == "71.4% success"  # + c6, successful: 5 / 7
    assert overview["growth"] == {
        "bots": {"current": 6, "previous": 0, "growth": "100.0"},
        "sessions": {"current": 7, "previous": 0, "growth": "100.0"},
    }
    assert overview["breakdown"]["bots"] == {"total": 6, "active": 3, "inactive": 3, "ragEnabled": 2, "ragDisabled": 4}
    assert overview["breakdown"]["sessions"] == {"total": 7, "active": 1, "completed": 6}
    assert overview["breakdown"]["vapi"] == {"callsToday": 2, "callsThisWeek": 4, "callsThisMonth": 6}
    assert overview["systemHealth"]["apiStatus"] == "not_configured"


def test_overview_seven_days(client_for, user, world):
    overview = get(client_for(user), "/api/analytics/overview", timeRange="7d")["overview"]
    # bots: new in range, mid (10 days ago) in the previous 7 days; sessions: s1, s2, s3 against none
    assert overview["growth"] == {
        "bots": {"current": 1, "previous": 1, "growth": "0.0"},
        "sessions": {"current": 3, "previous": 0, "growth": "100.0"},
    }
    assert overview["quickStats"][1] == {
        "title": "VAPI Calls",
        "value": 4,  # c1..c4; successful c1, c3
        "change": "50.0% success",
        "trend": "down",
        "icon": "📞",
    }


def test_overview_of_a_user_without_data(client_for, user):
    overview = get(client_for(user), "/api/analytics/overview")["overview"]
    assert [(card["value"], card["change"], card["trend"]) for card in overview["quickStats"]] == [
        (0, "0.0%", "up"),
        (0, "0.0% success", "down"),
        (0, "0.0%", "up"),
        (0, "0.0MB", "neutral"),
    ]
    assert overview["systemHealth"]["fileStorageStatus"] == "empty"
    assert overview["breakdown"]["storage"] == {"totalFiles": 0, "totalSizeMB": 0.0, "botsWithFiles": 0}
    assert overview["recentActivity"] == {"bots": [], "sessions": []}


def test_overview_shows_a_stranger_only_their_own(client_for, other_user, world):
    overview = get(client_for(other_user), "/api/analytics/overview")["overview"]
    assert [card["value"] for card in overview["quickStats"]] == [1, 1, 1, 1]
    assert overview["breakdown"]["storage"] == {"totalFiles": 1, "totalSizeMB": 2.0, "botsWithFiles": 1}
    assert overview["breakdown"]["vapi"] == {"callsToday": 1, "callsThisWeek": 1, "callsThisMonth": 1}
    assert [bot["uuid"] for bot in overview["recentActivity"]["bots"]] == [world["stranger_bot"].uuid]
    assert [session["botUuid"] for session in overview["recentActivity"]["sessions"]] == [world["stranger_bot"].uuid]


# --- Bots -----------------------------------------------------------------------------------------------------


def test_bots_report(client_for, user, world):
    bots = world["bots"]

    body = get(client_for(user), "/api/analytics/bots")

    assert body["success"] is True
    assert body["timeRange"] == "30d"
    analytics = body["analytics"]
    assert analytics["overview"] == {
        "totalBots": 2,
        "activeBots": 1,
        "inactiveBots": 1,
        "ragEnabledBots": 1,
        "ragDisabledBots": 1,
    }
    assert analytics["trends"] == {
        "creationTrends": [{"date": "2026-02-28", "count": 1}, {"date": "2026-03-07", "count": 1}]
    }

    def top(key, calls):
        bot = bots[key]
        return {
            "uuid": bot.uuid,
            "name": bot.name,
            "status": bot.status.lower(),
            "createdAt": bot.created_at.isoformat().replace("+00:00", "Z"),
            "documentsProcessed": bot.documents_processed,
            "callCount": calls,
        }

    # Every bot of the owner, by calls in the range (old: c1-c3; new: c4, c5; p1: c7, not c6), then newest first.
    assert analytics["topBots"] == [
        top("old", 3),
        top("new", 2),
        top("p1", 1),
        top("mid", 0),
        top("p2", 0),
        top("p3", 0),
    ]
    assert analytics["distributions"] == {
        "voice": [{"voice": "jennifer", "count": 1}, {"voice": "mark", "count": 1}],
        "language": [{"language": "de", "count": 1}, {"language": "en", "count": 1}],
    }
    assert analytics["recentActivity"] == [
        {
            "uuid": bots["new"].uuid,
            "name": bots["new"].name,
            "status": "active",
            "createdAt": "2026-03-07T23:30:00Z",
            "ragEnabled": True,
            "documentsProcessed": 4,
        },
        {
            "uuid": bots["mid"].uuid,
            "name": bots["mid"].name,
            "status": "pending",
            "createdAt": "2026-02-28T12:00:00Z",
            "ragEnabled": False,
            "documentsProcessed": 0,
        },
    ]
    assert body["metadata"] == {
        "generatedAt": "2026-03-10T12:00:00Z",
        "dataSource": "database",
        "totalBotsInSystem": 6,
        "userBotsCount": 6,
        "timeZone": "UTC",
    }


def test_bots_report_in_berlin_and_over_all_time(client_for, user, world):
    client = client_for(user)
    berlin = get(client, "/api/analytics/bots", tz="Europe/Berlin")["analytics"]["trends"]["creationTrends"]
    assert berlin == [{"date": "2026-02-28", "count": 1}, {"date": "2026-03-08", "count": 1}]

    everything = get(client, "/api/analytics/bots", timeRange="all")["analytics"]
    assert everything["overview"] == {
        "totalBots": 6,
        "activeBots": 3,
        "inactiveBots": 3,
        "ragEnabledBots": 2,
        "ragDisabledBots": 4,
    }
    assert [row["count"] for row in everything["trends"]["creationTrends"]] == [1] * 6
    # calls of all time: old 3, new 2, p1 2 (c6 counts now); ties: the newer bot first
    assert [(bot["uuid"], bot["callCount"]) for bot in everything["topBots"][:3]] == [
        (world["bots"]["old"].uuid, 3),
        (world["bots"]["new"].uuid, 2),
        (world["bots"]["p1"].uuid, 2),
    ]
    assert everything["distributions"]["voice"] == [{"voice": "jennifer", "count": 5}, {"voice": "mark", "count": 1}]
    assert len(everything["recentActivity"]) == 5


def test_bots_report_shows_a_stranger_only_their_own(client_for, other_user, world):
    analytics = get(client_for(other_user), "/api/analytics/bots")["analytics"]
    assert analytics["overview"]["totalBots"] == 1
    assert [(bot["uuid"], bot["callCount"]) for bot in analytics["topBots"]] == [(world["stranger_bot"].uuid, 1)]


# --- Every route: sign-in, parameters, query counts, OpenAPI ---------------------------------------------------

ROUTES = (
    "/api/analytics/overview",
    "/api/analytics/bots",
    "/api/analytics/calls",
    "/api/analytics/sessions",
    "/api/analytics/logs",
    "/api/analytics/calls/export",
)


@pytest.mark.parametrize("url", ROUTES)
def test_routes_need_sign_in(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 401
    assert response.json()["success"] is False
    assert response.json()["error"] == "Unauthorized"


@pytest.mark.parametrize("url", ROUTES)
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"timeRange": "1y"}, "timeRange"),
        ({"timeRange": "30"}, "timeRange"),
        ({"tz": "Mars/Olympus_Mons"}, "tz"),
        ({"tz": "../../etc/passwd"}, "tz"),
    ],
)
def test_invalid_range_or_time_zone_is_400(client_for, user, url, params, field):
    response = client_for(user).get(url, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["success"] is False
    assert body["error"].startswith(f"{field}: ")
    assert field in body["errors"]


@pytest.mark.parametrize("url", ["/api/analytics/calls", "/api/analytics/sessions", "/api/analytics/logs"])
@pytest.mark.parametrize(
    "params",
    [{"page": "0"}, {"page": "x"}, {"page": "-1"}, {"limit": "0"}, {"limit": "201"}, {"limit": "ten"}],
)
def test_invalid_page_or_limit_is_400(client_for, user, url, params):
    response = client_for(user).get(url, params)
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith(f"{next(iter(params))}: ")


def _queries(client, url: str, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
        assert response.status_code == 200, response.content
        b"".join(response.streaming_content) if response.streaming else response.content
    return len(queries)


def _more_rows(user, count: int) -> None:
    for n in range(count):
        bot = BotFactory(user=user, created_at=ago(days=n % 40), status=BotStatus.ACTIVE)
        DocumentFactory(bot=bot, size=1000)
        CallFactory(bot=bot, created_at=ago(days=n % 40, hours=1), ended_reason="assistant-error" if n % 3 else None)
        CallFactory(bot=bot, created_at=ago(hours=n), status=CallStatus.QUEUED, ended_reason=None, duration=None)
        SessionFactory(bot=bot, start_time=ago(days=n % 40, minutes=5), country="FR" if n % 2 else None)
        SessionFactory(bot=bot, start_time=ago(minutes=n), end_time=None)


# (route, parameters, queries): the signed-in user, then the route's own.
QUERY_COUNTS = [
    ("/api/analytics/overview", {}, 1 + 5),
    ("/api/analytics/overview", {"timeRange": "all", "tz": "Asia/Kolkata"}, 1 + 5),
    ("/api/analytics/bots", {}, 1 + 5),
    ("/api/analytics/calls", {"assistantId": ""}, 1 + 4),
    ("/api/analytics/sessions", {"limit": 200}, 1 + 7),
    ("/api/analytics/logs", {"timeRange": "all", "status": "ended"}, 1 + 3),
    ("/api/analytics/calls/export", {"timeRange": "all"}, 1 + 1),
]


@pytest.mark.parametrize(("url", "params", "expected"), QUERY_COUNTS)
def test_each_route_costs_the_same_queries_however_many_rows(client_for, user, url, params, expected):
    client = client_for(user)
    _more_rows(user, 2)
    few = _queries(client, url, **params)
    _more_rows(user, 40)
    many = _queries(client, url, **params)
    assert (few, many) == (expected, expected)


def test_one_call_of_the_logs_costs_two_queries(client_for, user):
    call = CallFactory(bot=BotFactory(user=user))
    assert _queries(client_for(user), "/api/analytics/logs", callId=call.vapi_call_id) == 2


def test_openapi_schema_of_the_routes_has_no_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, (dict(GENERATOR_STATS._warn_cache), dict(GENERATOR_STATS._error_cache))
    validate_schema(schema)
    assert set(ROUTES) <= set(schema["paths"])
    assert set(schema["paths"]["/api/analytics/sessions"]) == {"get", "post"}  # the report and the widget's start
    logs = {parameter["name"] for parameter in schema["paths"]["/api/analytics/logs"]["get"]["parameters"]}
    assert logs == {
        "timeRange",
        "tz",
        "page",
        "limit",
        "assistantId",
        "botUuid",
        "bot",
        "status",
        "from",
        "to",
        "callId",
    }
    assert "text/csv" in schema["paths"]["/api/analytics/calls/export"]["get"]["responses"]["200"]["content"]
