"""The analytics pages in headless Chromium against the live server: the viewer's zone added to the URL, the three
charts drawn by Chart.js, the range links, the call-log filters and pages swapped by htmx with the address bar
kept in step (back included), a call's conversation and recording, and no horizontal overflow at 375 px.
Screenshots: artifacts/browser/analytics.png (the README's, over manage.py seed_demo's data), analytics-calls.png,
analytics-375.png, call-detail.png."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from analytics.models import CallStatus
from analytics.tests.factories import CallFactory, SessionFactory
from bots.tests.factories import BotFactory
from config.demo import DEMO_USER_ID
from config.tests.browser import PHONE_VIEWPORT, VIEWPORT, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZONE = "Asia/Tokyo"
CHARTS = ("chart-calls", "chart-cost", "chart-duration")
TRANSCRIPT = (
    "AI: Hello! Thanks for calling Front desk. How can I help you today?\n"
    "User: Hi, what are your opening hours on Saturday?\n"
    "AI: On Saturdays we are open from nine in the morning to two in the afternoon.\n"
    "User: Great, and do I need an appointment?\n"
    "AI: No appointment is needed, just drop by."
)


@pytest.fixture
def seeded(user):
    """Two bots and 26 calls over the last 12 days (20 a page: two pages), some sessions."""
    desk = BotFactory(user=user, name="Front desk", active=True)
    sales = BotFactory(user=user, name="Sales", active=True)
    now = timezone.now()
    calls = []
    for n in range(26):
        bot = desk if n % 3 else sales
        created = now - datetime.timedelta(days=n % 12, hours=n % 5, minutes=7 * n)
        failed = n % 7 == 3
        calls.append(
            CallFactory(
                bot=bot,
                created_at=created,
                started_at=created + datetime.timedelta(seconds=4),
                ended_at=created + datetime.timedelta(seconds=40 + 9 * n),
                duration=40 + 9 * n,
                cost=round(0.05 + 0.011 * n, 4),
                ended_reason="pipeline-error-openai-llm-failed" if failed else "customer-ended-call",
                transcript=TRANSCRIPT,
                summary="The caller asked for Saturday's opening hours; no appointment is needed.",
                message_count=5,
            )
        )
    CallFactory(
        bot=sales,
        created_at=now - datetime.timedelta(minutes=2),
        status=CallStatus.IN_PROGRESS,
        ended_reason=None,
        duration=None,
        cost=0,
        ended_at=None,
        transcript=None,
        recording=None,
        summary=None,
    )
    for n in range(14):
        SessionFactory(bot=desk if n % 2 else sales, start_time=now - datetime.timedelta(days=n % 9, hours=n))
    return {"desk": desk, "sales": sales, "calls": calls}


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport=VIEWPORT, timezone_id=ZONE)
    yield context
    context.close()


@pytest.fixture
def phone(browser):
    # Not is_mobile: a mobile viewport widens itself to content that overflows, which would hide the overflow.
    context = browser.new_context(viewport=PHONE_VIEWPORT, timezone_id=ZONE)
    yield context
    context.close()


def drawn_charts(page) -> dict[str, dict]:
    """Each chart's type, number of points, sum of its values, and its canvas' size, once all three exist."""
    page.wait_for_function(f"() => window.Chart && {list(CHARTS)}.every((id) => Chart.getChart(id))")
    return page.evaluate(
        """(ids) => Object.fromEntries(ids.map((id) => {
            const canvas = document.getElementById(id);
            const chart = Chart.getChart(canvas);
            const values = chart.data.datasets[0].data;
            return [id, {
                type: chart.config.type,
                labels: chart.data.labels.length,
                points: values.length,
                sum: values.reduce((total, value) => total + (value || 0), 0),
                width: canvas.clientWidth,
                height: canvas.clientHeight,
            }];
        }))""",
        list(CHARTS),
    )


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("() => window.innerWidth === 375 && document.documentElement.scrollWidth <= window.innerWidth")


def call_rows(page):
    return page.locator("#call-log tbody tr")


def test_the_analytics_page(live_server, desktop, sign_in, screenshot, user, seeded):
    sign_in(desktop, user)
    page = new_page(desktop)
    page.goto(f"{live_server.url}/dashboard/analytics")

    # The browser's zone is added to the URL (one reload), and used.
    page.wait_for_url(re.compile(r"tz=Asia%2FTokyo"))
    expect(page.get_by_text("times in Asia/Tokyo")).to_be_visible()
    assert page.locator("#call-filters input[name=tz]").input_value() == ZONE

    # Cards, and three charts of 31 days (30 x 24 h back from now touches 31 local days) over the 27 calls.
    expect(page.locator(".stat").first).to_contain_text("27")
    charts = drawn_charts(page)
    assert {name: (chart["type"], chart["labels"], chart["points"]) for name, chart in charts.items()} == {
        "chart-calls": ("bar", 31, 31),
        "chart-cost": ("bar", 31, 31),
        "chart-duration": ("line", 31, 31),
    }
    assert charts["chart-calls"]["sum"] == 27
    assert charts["chart-cost"]["sum"] == pytest.approx(sum(call.cost for call in seeded["calls"]), abs=0.01)
    assert all(chart["width"] > 200 and chart["height"] > 150 for chart in charts.values())
    assert page.locator("table caption", has_text="Daily figures").count() == 1  # the charts' text alternative
    # The per-bot table: both bots.
    bots = page.locator("section[aria-labelledby=bots-heading] tbody tr")
    expect(bots).to_have_count(2)
    expect(bots.first).to_contain_text("Front desk")
    screenshot(page, "analytics-calls", full_page=True)

    # The call logs: 20 of 27, then page 2 by htmx (the address bar follows, the charts stay).
    expect(call_rows(page)).to_have_count(20)
    page.get_by_role("link", name="Next page of calls").click()
    expect(page.locator("#call-log")).to_contain_text("Calls 21\u201327 of 27")
    expect(call_rows(page)).to_have_count(7)
    assert re.search(r"/dashboard/analytics\?.*page=2", page.url)
    expect(page.locator("#call-log-status")).to_contain_text("page 2 of 2")

    # A filter: only Sales' calls, swapped in by htmx; the URL keeps the filter (and page 1 again).
    page.get_by_label("Bot", exact=True).select_option(label="Sales")
    expect(page.locator("#call-log")).to_contain_text("of 10")
    expect(call_rows(page)).to_have_count(10)
    assert all("Sales" in text for text in call_rows(page).all_inner_texts())
    page.wait_for_url(re.compile(rf"/dashboard/analytics\?(?!.*page=).*bot={seeded['sales'].uuid}"))
    export = page.locator("#calls-export").get_attribute("href")
    assert export.startswith("/api/analytics/calls/export?")
    assert f"bot={seeded['sales'].uuid}" in export
    page.get_by_label("Status", exact=True).select_option("in-progress")
    expect(call_rows(page)).to_have_count(1)
    assert "status=in-progress" in page.url

    # Back: htmx restores the page as it was, charts redrawn.
    page.go_back()
    expect(call_rows(page)).to_have_count(10)
    assert drawn_charts(page)["chart-calls"]["points"] == 31

    # A reload of the pushed URL is the whole page with the same filters.
    page.reload()
    expect(page.get_by_label("Bot", exact=True)).to_have_value(seeded["sales"].uuid)
    expect(call_rows(page)).to_have_count(10)

    # Another range: the whole page, 8 days.
    page.get_by_role("link", name="Last 7 days").click()
    page.wait_for_url(re.compile(r"timeRange=7d"))
    expect(page.get_by_role("link", name="Last 7 days")).to_have_attribute("aria-current", "page")
    assert {chart["points"] for chart in drawn_charts(page).values()} == {8}

    assert page.console_log.errors() == []


def test_the_readme_screenshot_over_the_demo_data(live_server, desktop, sign_in, screenshot, settings, tmp_path):
    """docs/screenshots/analytics.png is this test's artifacts/browser/analytics.png: the quick start's demo data
    (``bash scripts/run --demo``), as a new user sees it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo")
    sign_in(desktop, User.objects.get(pk=DEMO_USER_ID))
    page = new_page(desktop)
    page.goto(f"{live_server.url}/dashboard/analytics")
    page.wait_for_url(re.compile(r"tz=Asia%2FTokyo"))

    charts = drawn_charts(page)
    assert all(chart["sum"] > 0 for chart in charts.values())
    expect(page.locator("section[aria-labelledby=bots-heading] tbody tr")).to_have_count(6)
    screenshot(page, "analytics", full_page=True)
    assert page.console_log.errors() == []


def test_a_call_as_a_conversation(live_server, desktop, sign_in, screenshot, user, seeded):
    sign_in(desktop, user)
    page = new_page(desktop)
    page.goto(f"{live_server.url}/dashboard/analytics?tz={ZONE}")
    call_rows(page).first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/dashboard/analytics/calls/[\w-]+\?"))

    turns = page.locator("ol.transcript > li")
    expect(turns).to_have_count(5)
    expect(turns.nth(0)).not_to_have_class(re.compile("from-user"))
    expect(turns.nth(1)).to_have_class(re.compile("from-user"))
    expect(turns.nth(1)).to_contain_text("opening hours on Saturday")
    # The caller's turns on one side, the bot's on the other.
    bot_box, user_box = turns.nth(0).bounding_box(), turns.nth(1).bounding_box()
    assert user_box["x"] + user_box["width"] > bot_box["x"] + bot_box["width"] + 20
    audio = page.locator("audio.recording")
    expect(audio).to_have_attribute("src", re.compile(r"^https://storage\.vapi\.example/recordings/"))
    assert audio.evaluate("(element) => element.controls") is True
    expect(page.locator("dl.details")).to_contain_text("customer-ended-call")
    screenshot(page, "call-detail", full_page=True)

    page.get_by_role("link", name="← Back to analytics").click()
    page.wait_for_url(re.compile(r"/dashboard/analytics\?.*#calls"))
    assert page.console_log.errors() == []


def test_readable_at_375_px(live_server, phone, sign_in, screenshot, user, seeded):
    sign_in(phone, user)
    page = new_page(phone)
    page.goto(f"{live_server.url}/dashboard/analytics")
    page.wait_for_url(re.compile(r"tz=Asia%2FTokyo"))
    charts = drawn_charts(page)
    assert all(0 < chart["width"] <= PHONE_VIEWPORT["width"] and chart["height"] > 100 for chart in charts.values())
    assert no_horizontal_overflow(page)
    screenshot(page, "analytics-375", full_page=True)
    # The header keeps one row, and who is signed in.
    assert page.locator(".site-header .header-row").bounding_box()["height"] < 70
    expect(page.locator(".account-email")).to_be_visible()
    expect(page.locator(".account-email")).to_contain_text(user.email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    # The per-bot table says it scrolls, and the keyboard can scroll it.
    by_bot = page.get_by_role("region", name="Calls per bot, scrolls sideways")
    expect(page.locator("#bots-scroll-hint")).to_be_visible()
    by_bot.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0")

    page.get_by_label("Status", exact=True).select_option("ended")
    expect(page.locator("#call-log")).to_contain_text("of 26")
    assert no_horizontal_overflow(page)

    page.goto(f"{live_server.url}/dashboard/analytics/calls/{seeded['calls'][0].vapi_call_id}?tz={ZONE}")
    expect(page.locator("ol.transcript > li")).to_have_count(5)
    assert no_horizontal_overflow(page)
    assert page.console_log.errors() == []
