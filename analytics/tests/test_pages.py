"""The analytics pages (``analytics/pages.py``): sign-in, owner scoping, figures, time range and zone, call-log
filters and pages, the htmx partials, the call detail, empty states, the overview's summary cards, query counts.

The clock is frozen at ``NOW`` (2026-03-10T12:00Z, see test_reports.py) through ``analytics.selectors._now``.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import selectors
from analytics.models import CallStatus
from analytics.pages import transcript_turns
from analytics.tests.factories import CallFactory, SessionFactory
from analytics.tests.test_reports import NOW, ago, at
from bots.models import BotStatus
from bots.tests.factories import BotFactory

PAGE = "/dashboard/analytics"
CALLS = "/dashboard/analytics/calls"
SESSIONS = "/dashboard/analytics/sessions"
SUMMARY = "/dashboard/analytics/summary"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/dashboard/analytics?tz=UTC"}


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(selectors, "_now", lambda: NOW)


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


def call(bot, created_at, **fields):
    duration = fields.pop("duration", 60)
    started = created_at + datetime.timedelta(seconds=5)
    return CallFactory(
        bot=bot,
        created_at=created_at,
        started_at=started,
        ended_at=started + datetime.timedelta(seconds=duration) if duration is not None else None,
        duration=duration,
        **fields,
    )


@pytest.fixture
def world(user, other_user):
    """The owner's two bots and their calls and sessions; a third bot without calls; a stranger's bot whose calls
    and sessions (big costs, recent) must never show."""
    desk = BotFactory(user=user, name="Front desk", status=BotStatus.ACTIVE, created_at=ago(days=60))
    sales = BotFactory(user=user, name="Sales", status=BotStatus.ACTIVE, created_at=ago(days=50))
    quiet = BotFactory(user=user, name="Quiet", status=BotStatus.PENDING, created_at=ago(days=1))
    calls = {
        # 23:30Z on 03-09 is 08:30 on 03-10 in Tokyo
        "late": call(desk, at("2026-03-09T23:30:00+00:00"), cost=0.25, duration=120),
        "today": call(desk, ago(hours=2), cost=0.75, duration=60, ended_reason="assistant-error"),
        "live": call(sales, ago(minutes=3), cost=0, duration=None, status=CallStatus.IN_PROGRESS, ended_reason=None),
        "week": call(sales, ago(days=5), cost=1.0, duration=30),
        "old": call(sales, ago(days=45), cost=2.0, duration=300),  # outside 30d, inside 90d
    }
    for n in range(3):
        SessionFactory(bot=desk, start_time=ago(days=n, hours=1))
    SessionFactory(bot=sales, start_time=ago(minutes=2), end_time=None)  # active
    stranger_bot = BotFactory(user=other_user, name="Stranger bot", active=True)
    stranger = call(stranger_bot, ago(hours=1), cost=99.0, duration=999)
    SessionFactory(bot=stranger_bot, start_time=ago(hours=1))
    return {"desk": desk, "sales": sales, "quiet": quiet, "stranger": stranger, **calls}


def html(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


# --- Sign-in --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [PAGE, CALLS, SESSIONS, SUMMARY, f"{CALLS}/some-call-id"])
def test_anonymous_visitors_are_sent_to_sign_in(client, db, path):
    response = client.get(path, {"tz": "UTC"})
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/sign-in"
    assert parse_qs(target.query)["next"] == [f"{path}?tz=UTC"]


@pytest.mark.parametrize("path", [CALLS, SESSIONS, SUMMARY])
def test_an_anonymous_htmx_request_reloads_the_whole_page_to_sign_in(client, db, path):
    response = client.get(path, **HTMX)
    assert response.status_code == 200
    target = urlsplit(response["HX-Redirect"])
    assert target.path == "/sign-in"
    assert parse_qs(target.query)["next"] == ["/dashboard/analytics?tz=UTC"]


# --- The page -------------------------------------------------------------------------------------------------


def test_the_page_shows_only_the_owners_figures(owner_client, world):
    response = owner_client.get(PAGE, {"tz": "UTC"})
    page = html(response)
    context = response.context
    figures = context["call_figures"]
    # 30 days: late, today, live, week (old is 45 days back; the stranger's never)
    assert (figures["total"], figures["successful"], figures["failed"]) == (4, 2, 1)
    assert figures["total_cost"] == pytest.approx(2.0)
    assert figures["avg_duration"] == pytest.approx(70)  # (120 + 60 + 30) / 3
    assert context["success_rate"] == 50
    assert context["session_figures"]["total"] == 4
    assert context["bot_figures"]["all_bots"] == 3
    assert '<p class="stat-value">$2.00</p>' in page
    assert '<p class="stat-value">50.0%</p>' in page
    assert '<p class="stat-value">1m 10s</p>' in page
    assert "Stranger bot" not in page
    assert "$99" not in page
    assert "$101" not in page
    assert 'aria-current="page">Last 30 days' in page
    assert 'aria-current="page">Analytics' in page  # the layout's tab


def test_the_charts_cover_every_day_of_the_range(owner_client, world):
    chart = owner_client.get(PAGE, {"tz": "UTC"}).context["chart"]
    # 2026-02-08 (30 x 24 h back) to 2026-03-10: 31 local days
    assert len(chart["dates"]) == len(chart["labels"]) == len(chart["calls"]) == 31
    assert (chart["dates"][0], chart["dates"][-1], chart["labels"][-1]) == ("2026-02-08", "2026-03-10", "10 Mar")
    by_date = dict(zip(chart["dates"], zip(chart["calls"], chart["cost"], chart["duration"], strict=True), strict=True))
    assert by_date["2026-03-10"] == (2, 0.75, 60)  # today and live (no duration yet)
    assert by_date["2026-03-09"] == (1, 0.25, 120)
    assert by_date["2026-03-05"] == (1, 1.0, 30)
    assert by_date["2026-03-01"] == (0, 0, None)
    assert sum(chart["calls"]) == 4


def test_days_are_the_viewers(owner_client, world):
    """A call at 23:30 UTC falls on the next day in Tokyo, in the charts as in the times shown."""
    response = owner_client.get(PAGE, {"tz": "Asia/Tokyo"})
    chart = response.context["chart"]
    by_date = dict(zip(chart["dates"], chart["calls"], strict=True))
    assert by_date["2026-03-10"] == 3  # late (08:30 on 03-10 in Tokyo), today, live
    assert by_date["2026-03-09"] == 0
    assert chart["dates"][-1] == "2026-03-10"  # 21:00 in Tokyo
    page = html(response)
    assert "times in Asia/Tokyo" in page
    assert ">10 Mar 2026, 08:30</a>" in page  # the late call, in Tokyo time
    assert 'name="tz" value="Asia/Tokyo"' in page


def test_an_unknown_time_zone_is_utc_without_an_error(owner_client, world):
    response = owner_client.get(PAGE, {"tz": "Mars/Olympus_Mons"})
    page = html(response)
    assert response.context["params"].tz.key == "UTC"
    assert "times in UTC" in page
    assert "Mars/Olympus_Mons" in page  # said, not used
    assert ">9 Mar 2026, 23:30</a>" in page


@pytest.mark.parametrize(
    ("time_range", "total", "days"), [("7d", 4, 8), ("30d", 4, 31), ("90d", 5, 91), ("all", 5, 46)]
)
def test_the_time_range(owner_client, world, time_range, total, days):
    response = owner_client.get(PAGE, {"timeRange": time_range, "tz": "UTC"})
    assert response.context["call_figures"]["total"] == total
    assert len(response.context["chart"]["dates"]) == days  # "all": from the first call's day (45 days ago)
    assert response.context["calls_pager"].total == total
    assert f'aria-current="page">{dict(TIME_RANGE_LABELS)[time_range]}' in html(response)


TIME_RANGE_LABELS = [("7d", "Last 7 days"), ("30d", "Last 30 days"), ("90d", "Last 90 days"), ("all", "All time")]


def test_invalid_parameters_fall_back_to_their_defaults(owner_client, world):
    response = owner_client.get(
        PAGE, {"timeRange": "1y", "tz": "UTC", "status": "done", "from": "yesterday", "page": "-3", "bot": "x" * 99}
    )
    params = response.context["params"]
    assert (params.time_range, params.status, params.first, params.page, params.bot) == ("30d", "", None, 1, "")
    assert response.context["calls_pager"].total == 4


def test_the_per_bot_table(owner_client, world):
    rows = owner_client.get(PAGE, {"tz": "UTC"}).context["bot_rows"]
    assert [(row["name"], row["total"], row["successful"], row["failed"]) for row in rows] == [
        ("Front desk", 2, 1, 1),
        ("Sales", 2, 1, 0),
        ("Quiet", 0, 0, 0),
    ]
    desk, sales, quiet = rows
    assert (desk["success_rate"], desk["total_cost"], desk["avg_duration"], desk["total_duration"]) == (
        50,
        pytest.approx(1.0),
        90,
        180,
    )
    assert (sales["success_rate"], sales["avg_duration"]) == (50, 30)
    assert (quiet["success_rate"], quiet["avg_duration"], quiet["total_cost"]) == (None, None, 0.0)


# --- Call logs ------------------------------------------------------------------------------------------------


def logged(response) -> list[str]:
    return [row["vapi_call_id"] for row in response.context["calls"]]


def test_the_call_logs_newest_first(owner_client, world):
    response = owner_client.get(PAGE, {"tz": "UTC"})
    assert logged(response) == [world[key].vapi_call_id for key in ("live", "today", "late", "week")]
    page = html(response)
    assert '<span class="badge badge-in_progress">In progress</span>' in page
    assert f'href="/dashboard/analytics/calls/{world["late"].vapi_call_id}?timeRange=30d&amp;tz=UTC"' in page


def test_the_call_logs_filters(owner_client, world):
    def ids(**params):
        return logged(owner_client.get(PAGE, {"tz": "UTC", **params}))

    assert ids(bot=world["sales"].uuid) == [world["live"].vapi_call_id, world["week"].vapi_call_id]
    assert ids(status="in-progress") == [world["live"].vapi_call_id]
    assert ids(status="ended", bot=world["desk"].uuid) == [world["today"].vapi_call_id, world["late"].vapi_call_id]
    # calendar days replace the range: 03-09 only (UTC), then in Tokyo (where "late" is on 03-10)
    assert ids(**{"from": "2026-03-09", "to": "2026-03-09"}) == [world["late"].vapi_call_id]
    assert ids(**{"from": "2026-03-09", "to": "2026-03-09", "tz": "Asia/Tokyo"}) == []
    # older than the range, found by dates; reversed dates are swapped
    assert ids(**{"from": "2026-01-20", "to": "2026-01-25"}) == [world["old"].vapi_call_id]
    assert ids(**{"from": "2026-01-25", "to": "2026-01-20"}) == [world["old"].vapi_call_id]
    # another user's bot selects nothing of theirs
    assert ids(bot=world["stranger"].bot.uuid) == []


def test_the_filters_are_kept_in_the_form(owner_client, world):
    page = html(
        owner_client.get(PAGE, {"tz": "UTC", "bot": world["sales"].uuid, "status": "ended", "from": "2026-03-01"})
    )
    assert f'<option value="{world["sales"].uuid}" selected>Sales</option>' in page
    assert '<option value="ended" selected>Ended</option>' in page
    assert 'name="from" value="2026-03-01"' in page
    for label in ("Bot", "Status", "From", "To"):
        assert re.search(rf'<label for="filter-\w+">{label}</label>', page)


def test_the_call_logs_pages(owner_client, user):
    bot = BotFactory(user=user, active=True)
    made = [call(bot, ago(hours=n)).vapi_call_id for n in range(45)]  # 45 calls, 20 a page
    first = owner_client.get(PAGE, {"tz": "UTC"})
    assert logged(first) == made[:20]
    assert "Page 1 of 3" in html(first)
    second = owner_client.get(CALLS, {"tz": "UTC", "page": 2}, **HTMX)
    assert logged(second) == made[20:40]
    third = owner_client.get(CALLS, {"tz": "UTC", "page": 3}, **HTMX)
    assert logged(third) == made[40:]
    page = html(second)
    assert 'hx-get="/dashboard/analytics/calls?timeRange=30d&amp;tz=UTC&amp;page=3"' in page
    assert 'hx-get="/dashboard/analytics/calls?timeRange=30d&amp;tz=UTC"' in page  # page 1
    assert 'href="/dashboard/analytics?timeRange=30d&amp;tz=UTC&amp;page=3#calls"' in page
    # past the last page: the last page
    beyond = owner_client.get(CALLS, {"tz": "UTC", "page": 99}, **HTMX)
    assert logged(beyond) == made[40:]
    assert beyond["HX-Push-Url"] == "/dashboard/analytics?timeRange=30d&tz=UTC&page=3"


def test_the_call_logs_partial_is_for_htmx_and_pushes_the_pages_url(owner_client, world):
    query = {"timeRange": "7d", "tz": "Asia/Tokyo", "bot": world["desk"].uuid, "status": "ended"}
    response = owner_client.get(CALLS, query, **HTMX)
    fragment = html(response)
    assert next(template.name for template in response.templates) == "analytics/_calls.html"
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="call-log"')
    assert logged(response) == [world["today"].vapi_call_id, world["late"].vapi_call_id]
    push = urlsplit(response["HX-Push-Url"])
    assert push.path == PAGE
    assert parse_qs(push.query) == {key: [value] for key, value in query.items()}
    # the live region, out of band
    assert 'id="call-log-status"' in fragment
    assert 'hx-swap-oob="true"' in fragment
    assert "Calls 1 to 2 of 2." in fragment
    # opened without htmx (a new tab): the page, same filters
    plain = owner_client.get(CALLS, query)
    assert plain.status_code == 302
    assert urlsplit(plain["Location"]).path == PAGE
    assert parse_qs(urlsplit(plain["Location"]).query) == {key: [value] for key, value in query.items()}


def test_the_page_has_the_htmx_filter_form(owner_client, world):
    page = html(owner_client.get(PAGE, {"tz": "UTC"}))
    form = re.search(r'<form id="call-filters"[^>]*>', page, re.S).group(0)
    assert 'hx-get="/dashboard/analytics/calls"' in form
    assert 'hx-trigger="change, submit"' in form
    assert 'hx-push-url="true"' in form
    assert 'hx-target="#call-log"' in form


def test_the_csv_link_carries_the_filters(owner_client, world):
    query = {
        "timeRange": "90d",
        "tz": "Asia/Tokyo",
        "bot": world["sales"].uuid,
        "status": "ended",
        "from": "2026-01-01",
    }
    response = owner_client.get(PAGE, query)
    href = re.search(r'href="([^"]+)"[^>]*id="calls-export"', html(response)).group(1).replace("&amp;", "&")
    target = urlsplit(href)
    assert target.path == "/api/analytics/calls/export"
    assert parse_qs(target.query) == {key: [value] for key, value in query.items()}
    # signed in by the page's session, the link downloads those calls
    export = owner_client.get(href)
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert sorted(row["vapiCallId"] for row in rows) == sorted([world["week"].vapi_call_id, world["old"].vapi_call_id])


# --- Sessions -------------------------------------------------------------------------------------------------


def test_the_sessions_table_and_its_pages(owner_client, user, other_user):
    bot = BotFactory(user=user, name="Lobby", active=True)
    made = [SessionFactory(bot=bot, start_time=ago(hours=n), country="FR").pk for n in range(25)]
    SessionFactory(bot=BotFactory(user=other_user, active=True), start_time=ago(minutes=1))
    first = owner_client.get(PAGE, {"tz": "UTC"})
    assert [row["pk"] for row in first.context["sessions"]] == made[:10]
    assert first.context["empty"] == "no-calls"  # the sessions show without calls too
    third = owner_client.get(SESSIONS, {"tz": "UTC", "sessions_page": 3}, **HTMX)
    fragment = html(third)
    assert [row["pk"] for row in third.context["sessions"]] == made[20:]
    assert fragment.lstrip().startswith('<div id="sessions-list"')
    assert "Sessions 21\u201325 of 25" in fragment
    assert "Lobby" in fragment
    assert 'hx-get="/dashboard/analytics/sessions?timeRange=30d&amp;tz=UTC&amp;sessions_page=2"' in fragment
    assert '<span class="badge badge-completed">Completed</span>' in fragment
    plain = owner_client.get(SESSIONS, {"tz": "UTC", "sessions_page": 2})
    assert plain.status_code == 302
    assert plain["Location"].endswith("sessions_page=2#sessions")


# --- Call detail ----------------------------------------------------------------------------------------------


def test_the_call_detail(owner_client, world):
    late = world["late"]
    late.transcript = "AI: Hello! How can I help?\nUser: When do you open?\nAI: At nine.\nAnd we close at five."
    late.message_count = 4
    late.save()
    response = owner_client.get(f"{CALLS}/{late.vapi_call_id}", {"tz": "Asia/Tokyo"})
    page = html(response)
    turns = re.findall(r'<li( class="from-user")?>\s*<span class="speaker">([^<]+)</span>', page)
    assert turns == [("", "Front desk"), (' class="from-user"', "Caller"), ("", "Front desk")]
    assert "At nine.<br>And we close at five." in page
    assert f'<audio class="recording" controls preload="none" src="{late.recording}"' in page
    assert late.summary in page
    assert "4 messages" in page
    assert "10 Mar 2026, 08:30" in page  # created, in Tokyo
    assert "$0.25" in page
    assert "2m 00s" in page
    assert "customer-ended-call" in page
    assert 'href="/dashboard/analytics?timeRange=30d&amp;tz=Asia%2FTokyo#calls"' in page


def test_the_call_detail_prefers_vapis_messages_with_their_timing(owner_client, world):
    late = world["late"]
    late.transcript = "AI: transcript line"
    late.messages = [
        {"role": "bot", "message": "Hello! <b>How</b> can I help?", "secondsFromStart": 0.4},
        {"role": "user", "message": "When do you open?", "secondsFromStart": 65.2},
        {"role": "bot", "message": "At nine."},
    ]
    late.save()

    page = html(owner_client.get(f"{CALLS}/{late.vapi_call_id}"))

    speakers = re.findall(
        r'<li( class="from-user")?>\s*<span class="speaker">([^<]+)(?:<span[^>]*>([^<]+)</span>)?', page
    )
    assert speakers == [
        ("", "Front desk ", "· 0:00"),
        (' class="from-user"', "Caller ", "· 1:05"),
        ("", "Front desk", ""),
    ]
    assert "Hello! &lt;b&gt;How&lt;/b&gt; can I help?" in page
    assert "transcript line" not in page


def test_another_users_call_is_not_found(owner_client, world):
    assert owner_client.get(f"{CALLS}/{world['stranger'].vapi_call_id}").status_code == 404
    assert owner_client.get(f"{CALLS}/no-such-call").status_code == 404


def test_a_call_without_transcript_or_recording(owner_client, world):
    live = world["live"]
    live.transcript, live.recording = None, "javascript:alert(1)"
    live.save()
    page = html(owner_client.get(f"{CALLS}/{live.vapi_call_id}"))
    assert "No transcript yet" in page
    assert "<audio" not in page
    assert "javascript:" not in page
    assert "No recording for this call." in page


@pytest.mark.parametrize(
    ("transcript", "expected"),
    [
        (None, []),
        ("", []),
        ("AI: Hi\nUser: Hello", [(False, "Hi"), (True, "Hello")]),
        ("assistant: Hi\ncustomer:Yes\n\n  more  \nBot: ok", [(False, "Hi"), (True, "Yes\nmore"), (False, "ok")]),
        ("Welcome!\nUser: thanks", [(False, "Welcome!"), (True, "thanks")]),
        ("User: \nAI: Ratio: 3:1", [(False, "Ratio: 3:1")]),
    ],
)
def test_transcript_turns(transcript, expected):
    assert [(turn.from_user, turn.text) for turn in transcript_turns(transcript)] == expected


# --- Empty states ---------------------------------------------------------------------------------------------


def test_without_bots_the_page_says_to_create_one(owner_client, other_user):
    CallFactory(bot=BotFactory(user=other_user, active=True))
    response = owner_client.get(PAGE, {"tz": "UTC"})
    page = html(response)
    assert response.context["empty"] == "no-bots"
    assert '<a class="button" href="/dashboard">Create a bot</a>' in page
    assert "<canvas" not in page
    assert "call-filters" not in page


def test_with_bots_but_no_calls_the_page_says_to_make_a_test_call(owner_client, user, other_user):
    bot = BotFactory(user=user, name="Helper", active=True)
    CallFactory(bot=BotFactory(user=other_user, active=True))
    page = html(owner_client.get(PAGE, {"tz": "UTC"}))
    assert "Embed your bot and make a test call" in page
    assert f'href="/test-embed?bot={bot.uuid}"' in page
    assert "<canvas" not in page


def test_calls_outside_the_range_only(owner_client, world):
    page = html(owner_client.get(PAGE, {"tz": "UTC", "timeRange": "7d", "bot": world["quiet"].uuid}))
    assert "make a test call" not in page
    assert page.count("<canvas") == 3
    assert "No calls match these filters" in page
    assert "clear them" in page


# --- The dashboard's summary ----------------------------------------------------------------------------------


def test_the_summary_cards(owner_client, user, other_user):
    bot = BotFactory(user=user, active=True)
    call(bot, at("2026-02-28T20:00:00+00:00"))  # March in Tokyo, February in UTC
    call(bot, ago(days=2), ended_reason="pipeline-error-openai")  # failed
    call(bot, ago(days=1))
    SessionFactory(bot=bot, start_time=ago(days=3))
    SessionFactory(bot=bot, start_time=at("2026-02-28T16:00:00+00:00"))  # March in Tokyo
    CallFactory(bot=BotFactory(user=other_user, active=True), created_at=ago(hours=1))

    response = owner_client.get(SUMMARY, {"tz": "UTC"}, **HTMX)
    fragment = html(response).strip()
    assert fragment.startswith('<div class="stat-group" id="analytics-summary">')
    assert fragment.endswith("</div>")
    assert re.sub(r"<!--.*?-->", "", fragment).count('<div class="stat-group"') == 1
    assert (response.context["interactions"], response.context["success_rate"]) == (3, 50)
    assert "Interactions this month" in fragment
    assert "Call success rate this month" in fragment
    assert "2 calls + 1 widget session since 1 Mar 2026" in fragment
    assert "1 of 2 calls ended without an error" in fragment

    tokyo = owner_client.get(SUMMARY, {"tz": "Asia/Tokyo"}, **HTMX)
    assert (tokyo.context["calls"], tokyo.context["sessions"], tokyo.context["interactions"]) == (3, 2, 5)
    assert tokyo.context["success_rate"] == pytest.approx(200 / 3)
    assert "66.7%" in html(tokyo)


def test_the_summary_without_anything(owner_client):
    fragment = html(owner_client.get(SUMMARY, **HTMX))
    assert "0 calls + 0 widget sessions" in fragment
    assert "—" in fragment


# --- Query counts ---------------------------------------------------------------------------------------------


def queries(client, path: str, headers=None, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params, **(headers or {}))
        assert response.status_code == 200, response.content[:300]
    return len(captured)


def more(user, bots: int, calls: int) -> dict:
    made = [BotFactory(user=user, active=True) for _ in range(bots)]
    for n in range(calls):
        bot = made[n % bots]
        call(bot, ago(days=n % 25, hours=n % 7), ended_reason="assistant-error" if n % 3 else "customer-ended-call")
        SessionFactory(bot=bot, start_time=ago(days=n % 25, minutes=5))
    return {"bot": made[0], "call": CallFactory(bot=made[0], created_at=ago(hours=1))}


# (path, parameters, headers, queries): Django's session and the user, then the view's own.
QUERY_COUNTS = [
    (PAGE, {"tz": "Europe/Berlin"}, None, 2 + 9),
    (PAGE, {"timeRange": "all", "status": "ended", "from": "2026-01-01", "page": 2}, None, 2 + 9),
    (CALLS, {"tz": "UTC", "page": 2}, HTMX, 2 + 2),
    (SESSIONS, {"tz": "UTC", "sessions_page": 2}, HTMX, 2 + 2),
    (SUMMARY, {"tz": "Asia/Tokyo"}, HTMX, 2 + 2),
]


@pytest.mark.parametrize(("path", "params", "headers", "expected"), QUERY_COUNTS)
def test_each_page_costs_the_same_queries_however_many_rows(owner_client, user, path, params, headers, expected):
    more(user, bots=1, calls=1)
    few = queries(owner_client, path, headers, **params)
    more(user, bots=5, calls=20)
    many = queries(owner_client, path, headers, **params)
    assert (few, many) == (expected, expected)


def test_the_call_detail_costs_the_same_queries(owner_client, user):
    made = more(user, bots=1, calls=1)
    few = queries(owner_client, f"{CALLS}/{made['call'].vapi_call_id}")
    made = more(user, bots=5, calls=20)
    many = queries(owner_client, f"{CALLS}/{made['call'].vapi_call_id}")
    assert (few, many) == (2 + 1, 2 + 1)


def test_the_empty_states_cost_few_queries(owner_client, user):
    assert queries(owner_client, PAGE, tz="UTC") == 2 + 1  # bot figures: no bot, nothing more
    BotFactory(user=user, active=True)
    # bots, call figures, any call at all?, session figures, the sessions' page
    assert queries(owner_client, PAGE, tz="UTC") == 2 + 6
