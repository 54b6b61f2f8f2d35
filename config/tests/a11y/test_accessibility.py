"""WCAG 2.2 AA in headless Chromium (issue 18), on the demo data set (config/demo.py, ``manage.py seed_demo``):

- every page of the product and the admin pages staff use, at 1280 and 375 px: no critical or serious axe-core
  violation, after the checks have been shown to catch a page broken on purpose;
- every interactive control of the product's pages reached by Tab at both widths, and the focus indicator of each
  (every Tab stop on the product's pages, every control focused in turn on the admin's) >= 3:1 against what it is
  drawn on (config/tests/a11y/checks.py computes it from the page's styles);
- keyboard only: a new bot filled in and created; the focus after an upload, a document's deletion, Cancel on the
  delete page and a bot's deletion lands on the control, the message or the result, never on <body>.

One module, so one Chromium (the ``browser`` fixture is per module) on the session's one live server, and the data
set seeded once for the whole sweep. What axe found on each page (every impact), the Tab stops and the lowest ring
contrast are written to artifacts/a11y/report.json.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from accounts.tests.factories import StaffUserFactory, UserFactory
from bots.models import Bot
from bots.tests.factories import BotFactory
from config.tests.a11y.checks import (
    assert_the_checks_catch_a_broken_page,
    blocking,
    focus_rings,
    ring_problems,
    run_axe,
    tab_walk,
    walk_problems,
)
from config.tests.browser import PHONE_VIEWPORT, VIEWPORT, new_page
from documents.models import Document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (VIEWPORT, PHONE_VIEWPORT)
REPORT = Path(django_settings.BASE_DIR) / "artifacts" / "a11y" / "report.json"
ASSISTANT_ID = "asst_a11y_keyboard"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def site(settings, live_server):
    """The live server as the browser sees it: its two host names allowed, and VAPI's public key known (the
    widget draws its call button)."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    settings.VAPI_PUBLIC_KEY = "pk-test-a11y"
    return live_server


@pytest.fixture
def vapi(settings, httpserver):
    """VAPI's API played by a local server: a bot created here is activated (its assistant made) and deleted."""
    settings.VAPI_PRIVATE_KEY = "sk-test-a11y"
    settings.VAPI_BASE_URL = httpserver.url_for("").rstrip("/")
    settings.VAPI_TIMEOUT = 2
    settings.PUBLIC_BASE_URL = "https://bots.example.com"
    httpserver.expect_request("/assistant", method="POST").respond_with_json({"id": ASSISTANT_ID}, status=201)
    httpserver.expect_request(f"/assistant/{ASSISTANT_ID}", method="DELETE").respond_with_json({"id": ASSISTANT_ID})
    return httpserver


@pytest.fixture
def context(browser, site):
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/Paris")
    yield context
    context.close()


def product_pages(user) -> list[tuple[str, str, str | None]]:
    """(name, path, selector of what the page loads after it is shown): the product's pages, signed in."""
    from analytics.models import Call

    support = Bot.objects.get(user=user, name="Acme Store support")
    failed = Bot.objects.get(user=user, status="FAILED")
    call = Call.objects.filter(bot=support).exclude(messages=None).exclude(recording=None).first()
    return [
        ("dashboard", "/dashboard", "#storage-stat"),
        ("new-bot", "/dashboard/bots/new", None),
        ("bot", f"/dashboard/bots/{support.uuid}", ".knowledge-card"),
        ("bot-failed", f"/dashboard/bots/{failed.uuid}", ".knowledge-card"),
        ("bot-delete", f"/dashboard/bots/{support.uuid}/delete", None),
        ("knowledge-page", f"/dashboard/bots/{support.uuid}/knowledge", None),
        ("analytics", "/dashboard/analytics", None),
        ("call", f"/dashboard/analytics/calls/{call.vapi_call_id}", None),
        ("test-embed", f"/test-embed?bot={support.uuid}", "[data-voicebot-widget]"),
        ("not-found", "/dashboard/analytics/calls/call_that_is_not_there", None),
    ]


def admin_pages(user) -> list[tuple[str, str, str | None]]:
    from analytics.models import Call, Session

    support = Bot.objects.get(user=user, name="Acme Store support")
    call = Call.objects.filter(bot=support).exclude(messages=None).first()
    document = Document.objects.filter(bot=support).first()
    session = Session.objects.filter(bot=support).first()
    return [
        ("admin-index", "/admin/", None),
        *(
            (f"admin-{model.split('/')[1]}-list", f"/admin/{model}/", None)
            for model in (
                "accounts/user",
                "accounts/deletedclerkuser",
                "bots/bot",
                "documents/document",
                "analytics/session",
                "analytics/call",
            )
        ),
        ("admin-user", f"/admin/accounts/user/{user.pk}/change/", None),
        ("admin-bot", f"/admin/bots/bot/{support.pk}/change/", None),
        ("admin-document", f"/admin/documents/document/{document.pk}/change/", None),
        ("admin-session", f"/admin/analytics/session/{session.pk}/change/", None),
        ("admin-call", f"/admin/analytics/call/{call.pk}/change/", None),
    ]


def open_page(page, url: str, ready: str | None, viewport: dict) -> None:
    page.set_viewport_size(viewport)
    page.goto(url)
    if ready:
        page.wait_for_selector(ready, state="attached")
    # htmx's partials of the page are in (a page shows "Loading…" in an aria-busy placeholder until then).
    expect(page.locator("[aria-busy='true']")).to_have_count(0)


def test_every_page_at_both_widths_passes_axe_and_the_keyboard(context, site, sign_in, media):
    from accounts.models import DeletedClerkUser
    from config.demo import demo_seed

    page = new_page(context)
    # First, the checks on a page broken on purpose: each of them finds what is wrong there.
    assert_the_checks_catch_a_broken_page(page)

    owner = demo_seed(base_url=site.url).user
    DeletedClerkUser.objects.create(id="user_2pQk7Lm9XcVbN3rT8sYw1ZaHfGd")
    anonymous = [("landing", "/", None), ("sign-in", "/sign-in", None), ("sign-up", "/sign-up", None)]
    admin_login = [("admin-login", "/admin/login/", None)]

    report: dict[str, dict] = {}
    problems: dict[str, list[str]] = {}

    def audit(pages, *, walk: bool) -> None:
        for name, path, ready in pages:
            for viewport in WIDTHS:
                key = f"{name} @ {viewport['width']}"
                started = time.monotonic()
                open_page(page, f"{site.url}{path}", ready, viewport)
                found = run_axe(page)
                entry = report[key] = {
                    "url": path,
                    "violations": {f"{v['id']} ({v['impact']})": len(v["nodes"]) for v in found["violations"]},
                }
                issues = blocking(found)
                rings = tab_walk(page) if walk else focus_rings(page)
                contrasts = [ring["contrast"] for ring in rings["rings"] if "contrast" in ring]
                entry |= {"controls": rings["controls"], "lowest ring contrast": round(min(contrasts, default=0), 2)}
                if walk:
                    entry["tab stops"] = rings["stops"]
                    issues += walk_problems(rings)
                else:
                    issues += ring_problems(rings["rings"])
                entry["seconds"] = round(time.monotonic() - started, 2)
                if issues:
                    problems[key] = entry["problems"] = issues

    audit([*anonymous, *admin_login], walk=True)
    sign_in(context, owner)
    audit(product_pages(owner), walk=True)
    context.clear_cookies()
    sign_in(context, StaffUserFactory(email="operations.staff@voicebot.example"))
    audit(admin_pages(owner), walk=False)

    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    assert len(report) == 2 * (len(anonymous) + 1 + len(product_pages(owner)) + len(admin_pages(owner)))
    assert problems == {}, "\n".join(f"{key}: {issue}" for key, issues in problems.items() for issue in issues)
    not_found = "error: Failed to load resource: the server responded with a status of 404 (Not Found)"
    assert sorted(set(page.console_log.errors())) == [not_found], "\n".join(page.console_log.errors())


# --- Keyboard only ---------------------------------------------------------------------------------------------


def focused(page) -> str:
    """The focused element, as "tag#id: text" ("body" when nothing has the focus)."""
    return page.evaluate(
        """() => {
          const e = document.activeElement;
          if (!e || e === document.body) return "body";
          const text = (e.getAttribute("aria-label") || e.innerText || e.value || "").trim().replace(/\\s+/g, " ");
          return `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}: ${text.slice(0, 60)}`;
        }"""
    )


def tab_to(page, selector: str, *, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} (focus on {focused(page)})")


def test_a_bot_created_and_deleted_and_documents_handled_by_keyboard_with_the_focus_kept(
    context, site, sign_in, media, vapi
):
    user = UserFactory()
    knowledge_bot = BotFactory(user=user, active=True, rag_enabled=True, rag_source_type="FILES", name="Aurora desk")
    sign_in(context, user)
    page = new_page(context)
    value = "(selector) => document.querySelector(selector).value"

    # The dashboard's "New bot", then every field of the form, by keyboard alone.
    page.goto(f"{site.url}/dashboard")
    tab_to(page, "main a[href$='/dashboard/bots/new']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site.url}/dashboard/bots/new")
    tab_to(page, "#id_name")
    page.keyboard.type("Keyboard desk")
    page.keyboard.press("Tab")
    page.keyboard.type("Hello! How can I help?")
    page.keyboard.press("Tab")
    page.keyboard.type("You answer the front desk's questions, briefly.")
    page.keyboard.press("Tab")  # Language, then Voice: the next one in each list
    language = page.evaluate(value, "#id_language")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(value, "#id_language") != language
    language = page.evaluate(value, "#id_language")
    page.keyboard.press("Tab")
    voice = page.evaluate(value, "#id_voice")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(value, "#id_voice") != voice
    voice = page.evaluate(value, "#id_voice")
    page.keyboard.press("Tab")  # Position: the checked radio of the group, then Left by the arrows
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Tab")  # Theme: Dark
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-preview-button]")).to_have_class(re.compile(r"\bpreview-left\b.*\bpreview-dark\b"))
    tab_to(page, "button[type='submit']")
    assert focused(page) == "button: Create bot"
    page.keyboard.press("Enter")

    # Created: the page starts on the message that says so, and Tab goes on from there.
    expect(page.get_by_text("Bot “Keyboard desk” created.")).to_be_visible()
    bot = Bot.objects.get(user=user, name="Keyboard desk")
    expect(page).to_have_url(f"{site.url}/dashboard/bots/{bot.uuid}")
    assert focused(page).startswith("ul: Bot “Keyboard desk” created.")
    assert (bot.language, bot.voice, bot.position, bot.theme) == (language, voice, "LEFT", "DARK")
    assert bot.welcome_message == "Hello! How can I help?"
    page.keyboard.press("Tab")
    assert focused(page) == "a: Your bots"  # the breadcrumb: the first control after the message

    # Cancel on the delete page comes back to the Delete link, which deletes: the dashboard starts on the message.
    tab_to(page, "#delete-bot")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Delete “Keyboard desk”?")).to_be_visible()
    tab_to(page, "main a[href$='#delete-bot']")
    assert focused(page) == "a: Cancel"
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site.url}/dashboard/bots/{bot.uuid}#delete-bot")
    assert focused(page) == "a#delete-bot: Delete"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Delete “Keyboard desk”?")).to_be_visible()
    tab_to(page, "main button[type='submit']")
    assert focused(page) == "button: Delete bot"
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site.url}/dashboard")
    assert focused(page).startswith("ul: Bot “Keyboard desk” deleted.")
    assert not Bot.objects.filter(pk=bot.pk).exists()

    # Upload: the focus stays on Upload (busy, not disabled, while the file goes up); the result is announced.
    page.goto(f"{site.url}/dashboard/bots/{knowledge_bot.uuid}")
    page.wait_for_selector("#upload-form")
    tab_to(page, "#upload-files")
    page.set_input_files(
        "#upload-files",
        files=[
            {"name": "hours.txt", "mimeType": "text/plain", "buffer": b"Open from nine to five.\n"},
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"Parking is free for guests.\n"},
        ],
    )
    page.keyboard.press("Tab")
    assert focused(page) == "button: Upload"
    page.keyboard.press("Enter")
    expect(page.locator("#upload-status")).to_contain_text("Uploaded 2 files")
    expect(page.locator("#documents tr", has_text="notes.txt")).to_have_count(1)
    assert focused(page) == "button: Upload"
    expect(page.locator("#upload-form button")).not_to_have_attribute("aria-disabled", "true")

    # Deleting a document removes its row and the focused button: the focus goes to the message that says so,
    # and the next Tab into the documents table.
    page.once("dialog", lambda dialog: dialog.accept())
    tab_to(page, f"#delete-{Document.objects.get(bot=knowledge_bot, name='notes.txt').pk}")
    page.keyboard.press("Enter")
    expect(page.locator("#documents tr", has_text="notes.txt")).to_have_count(0)
    expect(page.locator("#knowledge-status")).to_be_focused()
    assert focused(page) == "div#knowledge-status: Deleted notes.txt."
    page.keyboard.press("Tab")
    assert focused(page).startswith("div#documents-table")

    assert page.console_log.errors() == []
