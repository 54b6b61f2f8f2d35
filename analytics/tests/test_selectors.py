"""The selectors the dashboard pages added (the others are tested through the API's routes, test_reports*.py):
daily and per-bot call figures, the total cost of ``call_figures``, ``call_exists``, ``window_for_month``, and
the fields of ``session_page``. Each against values computed by hand, owner-scoped, one query whatever the rows."""

from __future__ import annotations

import zoneinfo

import pytest

from analytics import selectors
from analytics.models import CallStatus
from analytics.tests.factories import CallFactory, SessionFactory
from analytics.tests.test_reports import NOW, ago, at
from bots.tests.factories import BotFactory

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
UTC = zoneinfo.ZoneInfo("UTC")


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(selectors, "_now", lambda: NOW)


@pytest.fixture
def calls(user, other_user):
    desk = BotFactory(user=user, name="Desk", active=True)
    sales = BotFactory(user=user, name="Sales", active=True)
    CallFactory(bot=desk, created_at=at("2026-03-09T23:30:00+00:00"), cost=0.5, duration=100)
    CallFactory(bot=desk, created_at=at("2026-03-09T10:00:00+00:00"), cost=0.25, duration=50)
    CallFactory(bot=desk, created_at=ago(hours=1), cost=0.125, duration=None, status=CallStatus.RINGING)
    CallFactory(bot=sales, created_at=ago(hours=2), cost=1.0, duration=30, ended_reason="assistant-error")
    CallFactory(bot=sales, created_at=ago(days=40), cost=4.0, duration=400)  # outside 30 days
    CallFactory(bot=BotFactory(user=other_user, active=True), created_at=ago(hours=1), cost=50.0, duration=9)
    return {"desk": desk, "sales": sales}


def filters(tz=UTC, time_range="30d", **extra) -> selectors.CallFilters:
    return selectors.CallFilters(window=selectors.window_for_range(time_range=time_range, tz=tz), **extra)


def test_call_figures_by_day(user, calls, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = selectors.call_figures_by_day(user=user, filters=filters())
    assert [(str(row["date"]), row["count"], row["total_cost"], row["avg_duration"]) for row in rows] == [
        ("2026-03-09", 2, 0.75, 75),
        ("2026-03-10", 2, 1.125, 30),  # the ringing call has no duration: left out of the average
    ]


def test_call_figures_by_day_in_the_viewers_zone(user, calls):
    rows = selectors.call_figures_by_day(user=user, filters=filters(TOKYO))
    # 23:30Z on 03-09 is 03-10 in Tokyo; 10:00Z is 19:00 on 03-09
    assert [(str(row["date"]), row["count"]) for row in rows] == [("2026-03-09", 1), ("2026-03-10", 3)]


def test_call_figures_by_day_with_filters(user, calls):
    rows = selectors.call_figures_by_day(user=user, filters=filters(bot_uuid=calls["sales"].uuid))
    assert [(str(row["date"]), row["count"]) for row in rows] == [("2026-03-10", 1)]
    assert selectors.call_figures_by_day(user=user, filters=filters(status=CallStatus.QUEUED)) == []


def test_call_figures_by_bot(user, calls, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = selectors.call_figures_by_bot(user=user, filters=filters())
    assert rows == [
        {
            "bot__uuid": calls["desk"].uuid,
            "bot__name": "Desk",
            "total": 3,
            "successful": 2,
            "failed": 0,
            "avg_duration": 75,
            "total_duration": 150,
            "total_cost": 0.875,
        },
        {
            "bot__uuid": calls["sales"].uuid,
            "bot__name": "Sales",
            "total": 1,
            "successful": 0,
            "failed": 1,
            "avg_duration": 30,
            "total_duration": 30,
            "total_cost": 1.0,
        },
    ]
    everything = selectors.call_figures_by_bot(user=user, filters=filters(time_range="all"))
    assert [(row["bot__name"], row["total"], row["total_cost"]) for row in everything] == [
        ("Desk", 3, 0.875),
        ("Sales", 2, 5.0),
    ]


def test_call_figures_total_cost(user, other_user, calls):
    assert selectors.call_figures(user=user, filters=filters())["total_cost"] == pytest.approx(1.875)
    assert selectors.call_figures(user=user, filters=filters(time_range="all"))["total_cost"] == pytest.approx(5.875)
    nobody = BotFactory().user
    assert selectors.call_figures(user=nobody, filters=filters())["total_cost"] == 0


def test_call_exists(user, other_user, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert selectors.call_exists(user=user) is False
    CallFactory(bot=BotFactory(user=other_user, active=True))
    assert selectors.call_exists(user=user) is False
    CallFactory(bot=BotFactory(user=user, active=True), created_at=ago(days=400))
    assert selectors.call_exists(user=user) is True


@pytest.mark.parametrize(
    ("now", "tz", "start"),
    [
        (NOW, UTC, "2026-03-01T00:00:00+00:00"),
        (NOW, TOKYO, "2026-02-28T15:00:00+00:00"),
        # 2026-03-31T20:00Z is already April 1st in Tokyo
        (at("2026-03-31T20:00:00+00:00"), TOKYO, "2026-03-31T15:00:00+00:00"),
        (at("2026-03-31T20:00:00+00:00"), UTC, "2026-03-01T00:00:00+00:00"),
    ],
)
def test_window_for_month(monkeypatch, now, tz, start):
    monkeypatch.setattr(selectors, "_now", lambda: now)
    window = selectors.window_for_month(tz=tz)
    assert (window.now, window.tz, window.start, window.end, window.days) == (now, tz, at(start), None, None)


def test_session_page_fields(user, db):
    bot = BotFactory(user=user, name="Lobby", active=True)
    session = SessionFactory(bot=bot, start_time=ago(minutes=10), country="JP")
    window = selectors.window_for_range(time_range="30d", tz=UTC)
    rows = selectors.session_page(
        user=user,
        filters=selectors.SessionFilters(window=window),
        offset=0,
        limit=5,
        fields=("pk", "bot__name", "country"),
    )
    assert rows == [{"pk": session.pk, "bot__name": "Lobby", "country": "JP", "duration": 180.0}]


def test_call_get_brings_its_bot(user, db, django_assert_num_queries):
    made = CallFactory(bot=BotFactory(user=user, name="Desk", active=True))
    with django_assert_num_queries(1):
        call = selectors.call_get(user=user, vapi_call_id=made.vapi_call_id)
        assert call.bot.name == "Desk"
