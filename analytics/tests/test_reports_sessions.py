"""``GET /api/analytics/sessions``: every figure against values computed by hand, time zones, devices and
browsers from user agents, masked addresses, pages, owner scoping. The clock is frozen at ``NOW``."""

from __future__ import annotations

import datetime

import pytest

from analytics import selectors
from analytics.api.reports import mask_ip
from analytics.tests.factories import SessionFactory
from analytics.tests.test_reports import NOW, ago, at, get
from bots.tests.factories import BotFactory

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Mobile/15E148 Safari/604.1"
)
EDGE = f"{CHROME} Edg/124.0.2478.51"
FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0"


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(selectors, "_now", lambda: NOW)


@pytest.fixture
def sessions(user, other_user):
    """Sessions q1..q6 of two bots, newest first; q6 is before the 30-day range."""
    s1, s2 = BotFactory(user=user), BotFactory(user=user)

    def session(bot, start, seconds=None, **fields):
        end = start + datetime.timedelta(seconds=seconds) if seconds is not None else None
        return SessionFactory(bot=bot, start_time=start, end_time=end, **fields)

    rows = {
        "q1": session(s1, ago(minutes=10), user_agent=CHROME, ip_address="203.0.113.7", country="DE", interactions=3),
        "q2": session(
            s1, ago(hours=2), user_agent=IPHONE, ip_address="2001:db8:85a3::8a2e:370:7334", country="DE", interactions=0
        ),
        # 23:30Z on 03-09: 00:30 on 03-10 in Berlin
        "q3": session(s1, at("2026-03-09T23:30:00+00:00"), 60, user_agent=EDGE, ip_address=None, country="US"),
        "q4": session(s2, ago(days=3), 90, user_agent=FIREFOX_ANDROID, ip_address="198.51.100.20", country=None),
        "q5": session(s2, ago(days=20), 7200, user_agent=None, ip_address="192.0.2.1", country="DE"),
        "q6": session(s2, ago(days=40), 30, user_agent=CHROME, ip_address="192.0.2.2", country="FR"),
    }
    stranger = SessionFactory(bot=BotFactory(user=other_user), start_time=ago(minutes=1), end_time=None, country="FR")
    return {"s1": s1, "s2": s2, "stranger": stranger, **rows}


def test_sessions_report(client_for, user, sessions):
    s1, s2 = sessions["s1"], sessions["s2"]

    body = get(client_for(user), "/api/analytics/sessions")

    assert body["success"] is True
    assert (body["timeRange"], body["botUuid"]) == ("30d", None)
    assert body["pagination"] == {"page": 1, "limit": 50, "total": 5, "hasMore": False}
    analytics = body["analytics"]
    # q1 is active (10 minutes old, open); q2, open but silent for 2 hours, q3, q4, q5 are completed; 5 / 30 days
    assert analytics["overview"] == {
        "totalSessions": 5,
        "activeSessions": 1,
        "completedSessions": 4,
        "avgSessionsPerDay": 0,
    }
    # ended sessions: 60, 90, 7200 s -> 7350 s = 2.04 h
    assert analytics["duration"] == {"average": 2450, "minimum": 60, "maximum": 7200, "totalHours": 2}
    assert analytics["trends"] == {
        "sessionTrends": [
            {"date": "2026-02-18", "count": 1},
            {"date": "2026-03-07", "count": 1},
            {"date": "2026-03-09", "count": 1},
            {"date": "2026-03-10", "count": 2},
        ],
        # q2 10:00, q1 11:50, q4 and q5 12:00, q3 23:30
        "hourlyDistribution": [
            {"hour": 10, "count": 1},
            {"hour": 11, "count": 1},
            {"hour": 12, "count": 2},
            {"hour": 23, "count": 1},
        ],
    }
    assert analytics["distributions"] == {
        "geographic": [
            {"country": "DE", "count": 3},
            {"country": "US", "count": 1},
            {"country": "Unknown", "count": 1},
        ],
        "device": [
            {"device": "Desktop", "count": 2},
            {"device": "Mobile", "count": 2},
            {"device": "Unknown", "count": 1},
        ],
        "browser": [
            {"browser": "Chrome", "count": 1},
            {"browser": "Edge", "count": 1},
            {"browser": "Firefox", "count": 1},
            {"browser": "Safari", "count": 1},
            {"browser": "Unknown", "count": 1},
        ],
    }
    assert analytics["byBot"] == [
        {"botUuid": s1.uuid, "sessionCount": 3, "totalDuration": 60, "avgDuration": 60},
        {"botUuid": s2.uuid, "sessionCount": 2, "totalDuration": 7290, "avgDuration": 3645},
    ]
    recent = analytics["recentSessions"]
    assert [row["id"] for row in recent] == [sessions[key].pk for key in ("q1", "q2", "q3", "q4", "q5")]
    assert recent[0] == {
        "id": sessions["q1"].pk,
        "botUuid": s1.uuid,
        "startTime": "2026-03-10T11:50:00Z",
        "endTime": None,
        "duration": None,
        "userAgent": CHROME,
        "ipAddress": "203.0.113.xxx",
        "interactions": 3,
        "status": "active",
    }
    assert (recent[1]["ipAddress"], recent[1]["status"]) == ("2001:db8:85a3::8a2e:370:xxxx", "completed")
    assert recent[2] == {
        "id": sessions["q3"].pk,
        "botUuid": s1.uuid,
        "startTime": "2026-03-09T23:30:00Z",
        "endTime": "2026-03-09T23:31:00Z",
        "duration": 60,
        "userAgent": EDGE,
        "ipAddress": "Unknown",
        "interactions": 4,
        "status": "completed",
    }
    assert (recent[4]["userAgent"], recent[4]["duration"]) == ("Unknown", 7200)
    assert body["metadata"] == {"generatedAt": "2026-03-10T12:00:00Z", "dataSource": "database", "timeZone": "UTC"}


def test_sessions_report_in_berlin(client_for, user, sessions):
    trends = get(client_for(user), "/api/analytics/sessions", tz="Europe/Berlin")["analytics"]["trends"]
    assert trends == {
        "sessionTrends": [
            {"date": "2026-02-18", "count": 1},
            {"date": "2026-03-07", "count": 1},
            {"date": "2026-03-10", "count": 3},
        ],
        # one hour later: q3 at 00:30, q2 11:00, q1 12:50, q4 and q5 13:00
        "hourlyDistribution": [
            {"hour": 0, "count": 1},
            {"hour": 11, "count": 1},
            {"hour": 12, "count": 1},
            {"hour": 13, "count": 2},
        ],
    }


def test_sessions_report_over_seven_days_and_all_time(client_for, user, sessions):
    client = client_for(user)
    week = get(client, "/api/analytics/sessions", timeRange="7d")["analytics"]["overview"]
    # q1..q4 (q2 open but silent: completed): 4 / 7 = 0.57
    assert week == {"totalSessions": 4, "activeSessions": 1, "completedSessions": 3, "avgSessionsPerDay": 1}

    everything = get(client, "/api/analytics/sessions", timeRange="all", limit=200)["analytics"]
    # first session on 01-29: 41 days to 03-10 -> 6 / 41
    assert everything["overview"] == {
        "totalSessions": 6,
        "activeSessions": 1,
        "completedSessions": 5,
        "avgSessionsPerDay": 0,
    }
    assert everything["duration"] == {"average": 1845, "minimum": 30, "maximum": 7200, "totalHours": 2}
    assert everything["distributions"]["geographic"] == [
        {"country": "DE", "count": 3},
        {"country": "FR", "count": 1},
        {"country": "US", "count": 1},
        {"country": "Unknown", "count": 1},
    ]


def test_average_sessions_per_day_rounds_half_up(client_for, user):
    bot = BotFactory(user=user)
    for hours in range(15):
        SessionFactory(bot=bot, start_time=ago(hours=hours + 1))
    overview = get(client_for(user), "/api/analytics/sessions")["analytics"]["overview"]
    assert overview["avgSessionsPerDay"] == 1  # 15 / 30 = 0.5, rounded as Math.round does (not to even)


def test_sessions_report_for_one_bot(client_for, user, sessions):
    body = get(client_for(user), "/api/analytics/sessions", botUuid=sessions["s2"].uuid)

    assert body["botUuid"] == sessions["s2"].uuid
    assert body["pagination"]["total"] == 2
    assert body["analytics"]["overview"] == {
        "totalSessions": 2,
        "activeSessions": 0,
        "completedSessions": 2,
        "avgSessionsPerDay": 0,
    }
    assert [row["botUuid"] for row in body["analytics"]["byBot"]] == [sessions["s2"].uuid]
    assert [row["id"] for row in body["analytics"]["recentSessions"]] == [sessions["q4"].pk, sessions["q5"].pk]


def test_sessions_report_for_another_users_bot_is_empty(client_for, user, sessions):
    body = get(client_for(user), "/api/analytics/sessions", botUuid=sessions["stranger"].bot.uuid)
    assert body["pagination"]["total"] == 0
    assert body["analytics"]["recentSessions"] == []
    assert body["analytics"]["byBot"] == []


def test_sessions_report_pages(client_for, user, sessions):
    client = client_for(user)
    pages = [get(client, "/api/analytics/sessions", limit=2, page=page) for page in (1, 2, 3)]
    assert [page["pagination"] for page in pages] == [
        {"page": 1, "limit": 2, "total": 5, "hasMore": True},
        {"page": 2, "limit": 2, "total": 5, "hasMore": True},
        {"page": 3, "limit": 2, "total": 5, "hasMore": False},
    ]
    assert [[row["id"] for row in page["analytics"]["recentSessions"]] for page in pages] == [
        [sessions["q1"].pk, sessions["q2"].pk],
        [sessions["q3"].pk, sessions["q4"].pk],
        [sessions["q5"].pk],
    ]


def test_a_stranger_sees_only_their_session(client_for, other_user, sessions):
    analytics = get(client_for(other_user), "/api/analytics/sessions")["analytics"]
    assert analytics["overview"]["totalSessions"] == analytics["overview"]["activeSessions"] == 1
    assert analytics["distributions"]["geographic"] == [{"country": "FR", "count": 1}]
    assert [row["id"] for row in analytics["recentSessions"]] == [sessions["stranger"].pk]


def test_a_user_without_sessions(client_for, user):
    analytics = get(client_for(user), "/api/analytics/sessions", timeRange="all")["analytics"]
    assert analytics["overview"] == {
        "totalSessions": 0,
        "activeSessions": 0,
        "completedSessions": 0,
        "avgSessionsPerDay": 0,
    }
    assert analytics["duration"] == {"average": 0, "minimum": 0, "maximum": 0, "totalHours": 0}
    assert analytics["trends"] == {"sessionTrends": [], "hourlyDistribution": []}
    assert analytics["distributions"] == {"geographic": [], "device": [], "browser": []}
    assert analytics["byBot"] == analytics["recentSessions"] == []


def test_a_session_is_active_for_its_first_minutes(client_for, user, settings):
    settings.SESSION_ACTIVE_MINUTES = 30
    bot = BotFactory(user=user)
    SessionFactory(bot=bot, start_time=ago(minutes=30), end_time=None)  # just active
    SessionFactory(bot=bot, start_time=ago(minutes=30, seconds=1), end_time=None)  # silent too long: completed
    analytics = get(client_for(user), "/api/analytics/sessions")["analytics"]
    assert analytics["overview"]["activeSessions"] == 1
    assert [row["status"] for row in analytics["recentSessions"]] == ["active", "completed"]


@pytest.mark.parametrize(
    ("user_agent", "device", "browser"),
    [
        (CHROME, "Desktop", "Chrome"),
        (EDGE, "Desktop", "Edge"),
        (f"{CHROME} OPR/110.0.0.0", "Desktop", "Opera"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Desktop", "Firefox"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
            "Safari/605.1.15",
            "Desktop",
            "Safari",
        ),
        (IPHONE, "Mobile", "Safari"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
            "Mobile",
            "Chrome",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile "
            "Safari/537.36",
            "Mobile",
            "Chrome",
        ),
        (FIREFOX_ANDROID, "Mobile", "Firefox"),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
            "Mobile/15E148 Safari/604.1",
            "Tablet",
            "Safari",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
            "Safari/537.36",
            "Tablet",
            "Chrome",
        ),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Bot", "Other"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/124.0.0.0 Safari/537.36", "Bot", "Chrome"),
        ("curl/8.5.0", "Desktop", "Other"),
        ("", "Unknown", "Unknown"),
        (None, "Unknown", "Unknown"),
    ],
)
def test_device_and_browser_from_the_user_agent(client_for, user, user_agent, device, browser):
    SessionFactory(bot=BotFactory(user=user), start_time=ago(hours=1), user_agent=user_agent)
    distributions = get(client_for(user), "/api/analytics/sessions")["analytics"]["distributions"]
    assert distributions["device"] == [{"device": device, "count": 1}]
    assert distributions["browser"] == [{"browser": browser, "count": 1}]


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("203.0.113.7", "203.0.113.xxx"),
        ("10.0.0.255", "10.0.0.xxx"),
        ("2001:db8::1", "2001:db8::xxxx"),
        ("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:0db8:0000:0000:0000:ff00:0042:xxxx"),
        ("::ffff:192.0.2.128", "::ffff:192.0.2.xxx"),
        (None, "Unknown"),
        ("", "Unknown"),
    ],
)
def test_ip_addresses_are_masked(address, masked):
    assert mask_ip(address) == masked
