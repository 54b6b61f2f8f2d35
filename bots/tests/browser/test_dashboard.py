"""The bots dashboard in headless Chromium against the live server (PostgreSQL), VAPI played by pytest-httpserver:
the empty state, creating a bot through the form (preview, knowledge base, a schedule in the browser's time zone),
its status badge going live by itself, copying the embed code, errors next to their fields, re-activating and
deleting, and the layout from 375 px to desktop. Screenshots go to artifacts/browser/."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from analytics.tests.factories import CallFactory, SessionFactory
from bots.models import Bot, BotStatus
from bots.tests.browser.conftest import BROWSER_TIME_ZONE
from bots.tests.conftest import requests_to
from bots.tests.factories import BotFactory
from bots.vapi import VOICE_IDS
from config.tests.browser import PHONE_VIEWPORT, VIEWPORT
from documents.models import Document
from documents.tests.factories import DocumentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ASSISTANT_ID = "asst_browser_reception"


def fits_the_width(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_create_a_bot_watch_it_go_live_copy_its_code_and_delete_it(
    context, page, live_server, sign_in, vapi, media, screenshot
):
    user = UserFactory()
    sign_in(context, user)
    vapi.expect_request("/assistant", method="POST").respond_with_json({"id": ASSISTANT_ID}, status=201)
    vapi.expect_request(f"/assistant/{ASSISTANT_ID}", method="DELETE").respond_with_json({"id": ASSISTANT_ID})

    # An empty dashboard invites to create the first bot.
    page.goto(f"{live_server.url}/dashboard")
    expect(page.get_by_role("heading", name="No bots yet — create your first bot")).to_be_visible()
    page.get_by_role("link", name="New bot").first.click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/bots/new")

    # Every field, by its label.
    page.get_by_label("Name", exact=True).fill("Reception")
    page.get_by_label("Welcome message").fill("Guten Tag! Wie kann ich helfen?")
    page.get_by_label("System prompt").fill("You are the receptionist of Example GmbH. Answer briefly.")
    page.get_by_label("Language").select_option("de")
    page.get_by_label("Voice").select_option("emma")
    preview = page.locator("[data-preview-button]")
    expect(preview).to_have_class(re.compile(r"\bpreview-right\b.*\bpreview-light\b"))
    page.get_by_label("Left", exact=True).check()
    page.get_by_label("Dark", exact=True).check()
    expect(preview).to_have_class(re.compile(r"\bpreview-left\b.*\bpreview-dark\b"))
    expect(page.locator("[data-preview-description]")).to_have_text(
        "Preview: the call button, bottom left, dark theme."
    )
    # Radios work from the keyboard, and the preview follows.
    page.get_by_label("Left", exact=True).focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("Right", exact=True)).to_be_checked()
    expect(preview).to_have_class(re.compile(r"\bpreview-right\b"))
    page.keyboard.press("ArrowLeft")
    expect(preview).to_have_class(re.compile(r"\bpreview-left\b"))
    # The knowledge base's fields follow the switches.
    files = page.get_by_label("Files to upload")
    website = page.get_by_label("Website address")
    expect(files).to_be_hidden()
    page.get_by_label("Answer from a knowledge base").check()
    expect(files).to_be_visible()
    expect(website).to_be_hidden()
    page.get_by_role("radio", name="Website URL").check()
    expect(website).to_be_visible()
    expect(files).to_be_hidden()
    page.get_by_role("radio", name="Files").check()
    files.set_input_files([{"name": "hours.txt", "mimeType": "text/plain", "buffer": b"Open nine to five, Mon-Fri."}])
    # Activation in a few seconds, typed in the browser's time zone (Paris), stored in UTC.
    due = (timezone.now() + datetime.timedelta(seconds=5)).replace(microsecond=0)
    local = due.astimezone(zoneinfo.ZoneInfo(BROWSER_TIME_ZONE)).strftime("%Y-%m-%dT%H:%M:%S")
    page.get_by_label("Activate at").fill(local)
    assert page.locator("input[name='tz']").input_value() == BROWSER_TIME_ZONE
    assert fits_the_width(page)
    screenshot(page, "bot-form", full_page=True)

    page.get_by_role("button", name="Create bot").click()

    # The bot's page: created PENDING, and the badge turns ACTIVE by itself when the schedule comes.
    bot = Bot.objects.get(user=user)
    expect(page).to_have_url(f"{live_server.url}/dashboard/bots/{bot.uuid}")
    expect(page.get_by_text("Bot “Reception” created.")).to_be_visible()
    badge = page.locator(".bot-title .badge")
    expect(badge).to_have_text("Pending")
    expect(badge).to_have_text("Active", timeout=20_000)
    bot.refresh_from_db()
    assert bot.status == BotStatus.ACTIVE
    assert bot.activation_scheduled_at == due
    assert (bot.language, bot.voice, bot.position, bot.theme, bot.rag_enabled) == ("de", "emma", "LEFT", "DARK", True)
    assert list(Document.objects.filter(bot=bot).values_list("name", flat=True)) == ["hours.txt"]
    (request,) = requests_to(vapi, "POST", "/assistant")
    body = request.get_json()
    assert body["name"] == "Reception"
    assert body["firstMessage"] == "Guten Tag! Wie kann ich helfen?"
    assert body["model"]["messages"][0]["content"] == "You are the receptionist of Example GmbH. Answer briefly."
    # German: ElevenLabs' multilingual model, told the language (bots/vapi.py).
    assert body["voice"] == {
        "provider": "11labs",
        "voiceId": VOICE_IDS["emma"],
        "model": "eleven_turbo_v2_5",
        "language": "de",
    }
    assert body["transcriber"]["language"] == "de"
    assert body["metadata"] == {"botUuid": bot.uuid, "botId": bot.id}
    expect(page.locator(".bot-title [hx-trigger]")).to_have_count(0)  # polling stopped

    # Copy the embed code.
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Copied to the clipboard")
    assert page.evaluate("() => navigator.clipboard.readText()") == bot.embed_code
    assert f'data-chatbot-uuid="{bot.uuid}"' in bot.embed_code
    expect(page.get_by_role("link", name="Test the widget")).to_have_attribute("href", f"/test-embed?bot={bot.uuid}")
    screenshot(page, "bot-page", full_page=True)
    page.set_viewport_size(PHONE_VIEWPORT)
    assert fits_the_width(page)
    page.set_viewport_size(VIEWPORT)

    # An invalid edit: the error sits under its field, the summary is focused, nothing is saved.
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_role("button", name="Save changes").click()
    name = page.get_by_label("Name", exact=True)
    error = page.locator("#name-errors")
    expect(error).to_have_text("This field may not be blank.")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_attribute("aria-describedby", "name-errors")
    expect(page.locator("#form-errors")).to_be_focused()
    name_box, error_box = name.bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (name_box["y"] + name_box["height"]) < 24
    bot.refresh_from_db()
    assert bot.name == "Reception"

    # Delete, after a confirmation that names the bot.
    page.get_by_role("link", name="Delete", exact=True).click()
    expect(page.get_by_role("heading", name="Delete “Reception”?")).to_be_visible()
    assert Bot.objects.filter(pk=bot.pk).exists()
    page.get_by_role("button", name="Delete bot").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard")
    expect(page.get_by_text("Bot “Reception” deleted.")).to_be_visible()
    expect(page.get_by_role("heading", name="No bots yet — create your first bot")).to_be_visible()
    assert not Bot.objects.filter(pk=bot.pk).exists()
    assert len(requests_to(vapi, "DELETE", f"/assistant/{ASSISTANT_ID}")) == 1

    assert page.console_log.errors() == []


def test_the_dashboard_from_desktop_to_phone_with_bots_of_every_status(
    context, page, live_server, sign_in, vapi, screenshot
):
    user = UserFactory(email="ada@example.com")
    sign_in(context, user)
    now = timezone.now()
    days = [now - datetime.timedelta(days=n) for n in range(6)]
    front_desk = BotFactory(
        user=user,
        name="Front desk",
        active=True,
        voice="jennifer",
        rag_enabled=True,
        rag_source_type="FILES",
        documents_processed=4,
        local_files_stored=4,
        created_at=days[5],
    )
    ventes = BotFactory(
        user=user,
        name="Ventes France",
        active=True,
        language="fr",
        voice="emma",
        rag_enabled=True,
        rag_source_type="FILES",
        documents_processed=3,
        local_files_stored=3,
        created_at=days[4],
    )
    # Their knowledge and this month's traffic, for the overview cards (and the README's screenshot).
    for bot, names in ((front_desk, ("faq.pdf", "prices.docx", "rooms.pdf", "spa.txt")), (ventes, ("tarifs.pdf",))):
        for name in names:
            DocumentFactory(bot=bot, name=name, size=240_000)
    for name in ("catalogue.pdf", "horaires.txt"):
        DocumentFactory(bot=ventes, name=name, size=180_000)
    for hours in range(1, 24, 2):
        CallFactory(bot=front_desk, started_at=now - datetime.timedelta(hours=hours))
    CallFactory(
        bot=ventes, ended_reason="pipeline-error-openai-llm-failed", started_at=now - datetime.timedelta(hours=3)
    )
    SessionFactory.create_batch(5, bot=front_desk)
    BotFactory(
        user=user,
        name="Night shift",
        status=BotStatus.FAILED,
        voice="sarah",
        created_at=days[3],
        activation_error="VAPI refused the request (400): voice is not available on this plan",
    )
    BotFactory(
        user=user,
        name="After-hours line",
        status=BotStatus.ACTIVATING,
        language="es",
        voice="david",
        created_at=days[2],
    )
    BotFactory(
        user=user,
        name="Holiday campaign",
        language="de",
        voice="mark",
        created_at=days[1],
        activation_scheduled_at=now + datetime.timedelta(days=20),
    )
    BotFactory(name="Somebody else's bot", active=True)

    page.goto(f"{live_server.url}/dashboard")

    rows = page.locator("table.bot-list tbody tr")
    expect(rows).to_have_count(5)
    expect(page.get_by_text("Somebody else's bot")).to_have_count(0)
    expect(page.locator(".stat-loading")).to_have_count(0)  # the analytics and storage cards arrived
    expect(rows.filter(has_text="Night shift")).to_contain_text("voice is not available on this plan")
    expect(rows.filter(has_text="Holiday campaign").locator("[hx-trigger='every 2s']")).to_have_count(1)
    expect(rows.filter(has_text="Front desk").locator("[hx-trigger]")).to_have_count(0)
    assert fits_the_width(page)
    screenshot(page, "dashboard")

    page.set_viewport_size(PHONE_VIEWPORT)
    assert fits_the_width(page)
    # One card per bot: the name above its labelled cells, the actions reachable.
    night = rows.filter(has_text="Night shift")
    assert night.get_by_role("link", name="Delete Night shift").bounding_box()["x"] >= 0
    screenshot(page, "dashboard-375", full_page=True)
    page.goto(f"{live_server.url}/dashboard/bots/new")
    assert fits_the_width(page)
    page.goto(f"{live_server.url}/dashboard")
    page.set_viewport_size(VIEWPORT)

    # Re-activate the failed bot from the list (htmx): the fake VAPI creates its assistant, the badge turns Active.
    vapi.expect_request("/assistant", method="POST").respond_with_json({"id": "asst_night"}, status=201)
    night = rows.filter(has_text="Night shift")
    button = night.get_by_role("button", name="Re-activate Night shift")
    button.focus()
    page.keyboard.press("Enter")
    expect(night.locator(".badge")).to_have_text("Active")
    expect(night).not_to_contain_text("voice is not available")
    assert Bot.objects.get(name="Night shift").vapi_assistant_id == "asst_night"
    assert requests_to(vapi, "POST", "/assistant")[0].get_json()["name"] == "Night shift"

    assert page.console_log.errors() == []


def test_the_landing_page_leads_in_and_fits_a_phone(context, page, live_server):
    page.set_viewport_size(PHONE_VIEWPORT)
    page.goto(f"{live_server.url}/")

    expect(page.get_by_role("heading", name="Voice assistants for your website")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("link", name="Sign up")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.get_by_role("heading", name="Try it now")).to_have_count(0)  # no DEMO_BOT_UUID
    assert fits_the_width(page)
    assert page.console_log.errors() == []
