"""The admin's lists fit a 1280 px window (issue 15): every column of the users, Clerk tombstones, bots, documents,
sessions and calls lists is inside the results box, without a horizontal scroll, and no cell's text is cut. Rows
are seeded with long-ish, realistic values (emails, bot and file names, VAPI's longer ended reasons), and the
filter sidebar is shown (the narrower case: staff may fold it away)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import DeletedClerkUser
from accounts.tests.factories import StaffUserFactory, UserFactory
from analytics.tests.factories import CallFactory, SessionFactory
from bots.tests.factories import BotFactory
from config.tests.browser import VIEWPORT, new_page
from documents.tests.factories import DocumentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTS = [
    "accounts/user",
    "accounts/deletedclerkuser",
    "bots/bot",
    "documents/document",
    "analytics/session",
    "analytics/call",
]

# Every header cell and body cell inside the results box, the box not scrolling, and no cell's content wider than
# the cell (text cut or overflowing).
CLIPPED_CELLS = """
() => {
  const box = document.querySelector("#changelist .results");
  const table = document.getElementById("result_list");
  const problems = [];
  if (box.scrollWidth > box.clientWidth) {
    problems.push(`the results scroll sideways: ${box.scrollWidth} > ${box.clientWidth}`);
  }
  const right = box.getBoundingClientRect().right;
  for (const cell of table.querySelectorAll("thead th, tbody td, tbody th")) {
    const name = `${cell.tagName} ${cell.className} "${cell.textContent.trim().slice(0, 40)}"`;
    const edge = cell.getBoundingClientRect().right;
    if (edge > right + 0.5) problems.push(`${name} ends at ${edge} beyond ${right}`);
    if (cell.scrollWidth > cell.clientWidth) problems.push(`${name} is cut: ${cell.scrollWidth} > ${cell.clientWidth}`);
  }
  return problems;
}
"""


def seed() -> None:
    now = timezone.now()
    DeletedClerkUser.objects.create(id="user_2pQk7Lm9XcVbN3rT8sYw1ZaHfGd")
    owners = [
        UserFactory(
            email="margaret.oconnor-whitfield@northwind-dental.example",
            first_name="Margaret",
            last_name="O'Connor-Whitfield",
        ),
        UserFactory(
            email="j.villanueva@lakeside-veterinary-clinic.example", first_name="Joaquín", last_name="Villanueva"
        ),
    ]
    reasons = ["customer-ended-call", "assistant-ended-call-after-message-spoken", "silence-timed-out"]
    for n, owner in enumerate(owners):
        bot = BotFactory(
            user=owner, active=True, name=f"Northwind Dental front-desk receptionist {n}", language="pt-BR"
        )
        DocumentFactory(bot=bot, name=f"2026 patient intake and insurance guide (revised edition) {n}.pdf")
        SessionFactory(bot=bot, session_id=f"session_1765012345678_k3j9x2m1q{n}", interactions=12)
        for reason in reasons:
            CallFactory(
                bot=bot,
                ended_reason=reason,
                cost=12.3456,
                duration=3725,
                created_at=now - datetime.timedelta(hours=n),
            )


@pytest.fixture
def page(browser, live_server, settings, sign_in) -> Iterator:
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    seed()
    sign_in(context, StaffUserFactory(email="operations.staff@voicebot.example"))
    yield new_page(context)
    context.close()


def test_every_column_of_every_list_fits_a_1280_px_window(page, live_server, screenshot):
    # One test for the six lists: the rows are seeded once (seconds, in a suite that must stay short).
    from bots.models import Bot

    problems = {}
    # And a filtered list: a picked bot's long name in the sidebar must not widen it.
    for path in [*LISTS, f"analytics/call/?bot={Bot.objects.order_by('name').first().pk}"]:
        page.goto(f"{live_server.url}/admin/{path}" if "?" in path else f"{live_server.url}/admin/{path}/")
        page.wait_for_selector("#result_list tbody tr")
        screenshot(page, "admin-list-" + path.replace("/", "-").replace("?", "-").replace("=", "-"))
        assert page.locator("#changelist-filter").is_visible()  # the narrower layout
        if clipped := page.evaluate(CLIPPED_CELLS):
            problems[path] = clipped

    assert problems == {}, "\n".join(f"{path}: {problem}" for path, clipped in problems.items() for problem in clipped)
    assert page.console_log.errors() == []


def test_staff_pick_a_bot_in_the_filter_fold_the_filters_away_and_add_a_column(page, live_server, screenshot):
    from bots.models import Bot

    bot = Bot.objects.get(name__endswith="receptionist 1")
    page.goto(f"{live_server.url}/admin/analytics/call/")

    page.locator("select[data-browser-filter='bot'] + .select2").click()
    page.locator(".select2-search__field").fill("receptionist 1")
    page.locator(".select2-results__option", has_text=bot.name).click()

    page.wait_for_url(f"**/admin/analytics/call/?bot={bot.pk}")
    expect(page.locator("#active-filters")).to_contain_text(f"Showing calls of bot {bot.name}")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)

    page.locator("#filters-toggle").click()
    expect(page.locator("#changelist-filter")).to_be_hidden()
    page.reload()  # remembered
    expect(page.locator("#changelist-filter")).to_be_hidden()
    expect(page.locator("#filters-toggle")).to_have_text("Show filters")
    page.locator("#filters-toggle").click()
    expect(page.locator("#changelist-filter")).to_be_visible()

    page.locator(".browser-columns summary").click()
    page.get_by_label("Type").check()
    page.locator(".browser-columns button").click()
    page.wait_for_url(f"**/admin/analytics/call/?bot={bot.pk}")  # the same list, with the column
    expect(page.locator("#result_list thead th.column-type")).to_have_text("Type")
    page.locator(".browser-columns summary").click()
    screenshot(page, "admin-list-columns")
    assert page.console_log.errors() == []
