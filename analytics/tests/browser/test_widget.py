"""The embeddable widget (public/js/external-chatbot-voice.js) in headless Chromium, against the live server:
drawn from the bot's public config, cross-origin, calls on a stand-in for VAPI's SDK (see conftest.FAKE_VAPI),
sessions recorded from start to end, and voice navigation limited to the page's own site and allowed hosts."""

from __future__ import annotations

import html
import json
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from analytics.models import Session
from analytics.tests.browser.conftest import VAPI_PUBLIC_KEY
from bots.models import BotStatus, Position, Theme
from bots.tests.factories import BotFactory
from config.tests.browser import VIEWPORT, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIGHT_BUTTON = "rgb(79, 70, 229)"
DARK_BUTTON = "rgb(17, 24, 39)"
EDGE = 40  # px: the button sits 20 px from the corner


def open_test_page(page, origins, bot=None, **params):
    """The test page for ``bot`` (opened on the page origin); returns the response and what the widget drew."""
    query = urlencode({**({"bot": bot.uuid} if bot else {}), **params})
    response = page.goto(f"{origins.page}/test-embed?{query}")
    drawn = page.evaluate("() => window.VoiceBotWidget ? window.VoiceBotWidget.ready : null")
    return response, drawn


def call_button(page, bot):
    return page.get_by_role("button", name=f"Voice call with {bot.name}")


def fake_calls(page) -> list[dict]:
    return page.evaluate("() => window.__fakeVapiCalls")


def say(page, transcript: str) -> None:
    """The caller says something: VAPI reports it as a final user transcript."""
    page.evaluate(
        """(transcript) => window.__fakeVapi.emit("message",
            { type: "transcript", role: "user", transcriptType: "final", transcript })""",
        transcript,
    )


def background(locator) -> str:
    return locator.evaluate("(element) => getComputedStyle(element).backgroundColor")


def session_of(bot) -> Session:
    return wait_until(lambda: Session.objects.filter(bot=bot).first(), message="the session row")


# --- Drawing ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "theme", "preview", "side", "color", "shot"),
    [
        (Position.RIGHT, Theme.LIGHT, {}, "right", LIGHT_BUTTON, "light-right"),
        (Position.LEFT, Theme.DARK, {}, "left", DARK_BUTTON, "dark-left"),
        # The test page's preview parameters change the embed code's attributes, which win over the saved bot.
        (Position.RIGHT, Theme.LIGHT, {"position": "left", "theme": "dark"}, "left", DARK_BUTTON, None),
    ],
)
def test_an_active_bot_gets_a_call_button_in_its_corner_and_theme(
    page, origins, screenshot, position, theme, preview, side, color, shot
):
    bot = BotFactory(active=True, position=position, theme=theme)
    requests = []
    page.on("request", lambda request: requests.append(request.url))

    response, drawn = open_test_page(page, origins, bot, **preview)

    assert response.status == 200
    assert drawn == "active"
    # Cross-origin, as on a customer's site: the page is on 127.0.0.1, the script and its API on localhost.
    embed = page.locator("#embed-code").inner_text()
    assert f'src="{origins.api}/js/external-chatbot-voice.js"' in embed
    assert f'data-chatbot-uuid="{bot.uuid}"' in embed
    assert f"{origins.api}/api/widget/{bot.uuid}/config" in requests
    # Only the embed code is shown, nothing private of the bot.
    content = page.content()
    assert bot.system_prompt not in content
    assert bot.vapi_assistant_id not in content

    button = call_button(page, bot)
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-pressed", "false")
    box = button.bounding_box()
    assert VIEWPORT["height"] - (box["y"] + box["height"]) < EDGE
    if side == "right":
        assert VIEWPORT["width"] - (box["x"] + box["width"]) < EDGE
    else:
        assert box["x"] < EDGE
    assert background(button) == color

    # Reached with the keyboard (it follows the page's last link), with a visible focus ring.
    page.get_by_role("link", name="Dark").focus()
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    assert button.evaluate("(element) => getComputedStyle(element).outlineStyle") == "solid"

    if shot:
        page.locator("body").click(position={"x": 5, "y": 5})  # the screenshot shows the resting state
        screenshot(page, shot)
    assert page.console_log.errors() == []


@pytest.mark.parametrize(
    ("status", "drawn", "text"),
    [
        (BotStatus.PENDING, "pending", "Voice assistant coming soon"),
        (BotStatus.ACTIVATING, "pending", "Voice assistant coming soon"),
        (BotStatus.FAILED, "failed", "Voice assistant unavailable"),
    ],
)
def test_a_bot_that_is_not_active_gets_a_badge_and_no_button(page, origins, screenshot, status, drawn, text):
    bot = BotFactory(status=status)

    response, result = open_test_page(page, origins, bot)

    assert response.status == 200
    assert result == drawn
    badge = page.get_by_role("status").filter(has_text=text)
    expect(badge).to_be_visible()
    expect(page.get_by_role("button")).to_have_count(0)
    box = badge.bounding_box()
    assert VIEWPORT["width"] - (box["x"] + box["width"]) < EDGE
    if status == BotStatus.PENDING:
        screenshot(page, "pending-badge")
    assert page.console_log.errors() == []


def test_without_the_app_answering_there_is_no_widget_at_all(context, page, origins):
    """The original showed an active bot when its status request failed; now a failed config is a warning."""
    bot = BotFactory(active=True)
    page.route(f"{origins.api}/api/widget/**", lambda route: route.abort())

    _, drawn = open_test_page(page, origins, bot)

    assert drawn == "error"
    expect(page.locator("[data-voicebot-widget]")).to_have_count(0)
    assert any(entry.startswith("warning: [VoiceBot] config request failed") for entry in page.console_log)


@pytest.mark.parametrize(("params", "status", "text"), [({}, 200, "No bot given"), ("unknown", 404, "No bot has")])
def test_the_test_page_explains_a_missing_or_unknown_bot(page, origins, params, status, text):
    if params == "unknown":
        params = {"bot": "6f1c2a4e-8b7d-4c3e-9a10-2b3c4d5e6f70"}
    response = page.goto(f"{origins.page}/test-embed?{urlencode(params)}")

    assert response.status == status
    expect(page.get_by_text(text)).to_be_visible()
    expect(page.locator("script[data-chatbot-uuid]")).to_have_count(0)
    assert page.evaluate("() => window.VoiceBotWidget === undefined")


# --- Calls and sessions -------------------------------------------------------------------------------------------


def test_a_call_runs_on_vapi_and_records_its_session_from_start_to_end(page, origins, screenshot):
    bot = BotFactory(active=True)
    open_test_page(page, origins, bot)
    button = call_button(page, bot)

    button.click()

    expect(button).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("status")).to_have_text("Call in progress. Press the button again to end it.")
    run, start = fake_calls(page)
    assert run == {"method": "run", "args": [{"apiKey": VAPI_PUBLIC_KEY, "assistant": bot.vapi_assistant_id}]}
    assert start == {"method": "start", "args": [bot.vapi_assistant_id, None]}
    expect(page.locator("#vapi-support-btn")).to_be_hidden()  # the SDK's own button: ours drives the call
    screenshot(page, "in-call")
    session = session_of(bot)
    assert session.user_id == bot.user_id
    assert session.user_agent == page.evaluate("() => navigator.userAgent")
    assert session.end_time is None
    # The fake caller's final utterance counts; the partial transcript and the assistant's answer do not.
    wait_until(lambda: Session.objects.get(pk=session.pk).interactions == 1, message="one interaction")
    say(page, "And on Sundays?")
    wait_until(lambda: Session.objects.get(pk=session.pk).interactions == 2, message="two interactions")

    button.click()  # hang up

    expect(button).to_have_attribute("aria-pressed", "false")
    assert fake_calls(page)[-1]["method"] == "stop"
    wait_until(lambda: Session.objects.get(pk=session.pk).end_time, message="the session's end")

    # A second call is a second session, on the same VAPI instance.
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    wait_until(lambda: Session.objects.filter(bot=bot).count() == 2, message="a second session")
    assert [call["method"] for call in fake_calls(page)] == ["run", "start", "stop", "start"]
    assert Session.objects.get(pk=session.pk).interactions == 2
    assert page.console_log.errors() == []


def test_no_secret_reaches_the_visitors_browser(page, origins, settings):
    """Everything the visitor's browser receives during a call (every response, what the SDK is given, the page and
    its storage) holds neither VAPI's keys nor the bot's own webhook secret (bots/vapi.py)."""
    from bots.vapi import bot_secret

    settings.VAPI_WEBHOOK_SECRET = "browser-test-webhook-key-0123456789"
    settings.VAPI_PRIVATE_KEY = "sk_browser_test_private_0123456789"
    bot = BotFactory(active=True)
    secret = bot_secret(bot.uuid)
    forbidden = [settings.VAPI_WEBHOOK_SECRET, settings.VAPI_PRIVATE_KEY, secret, secret.partition(".")[2]]
    responses = []
    page.on("response", lambda response: responses.append(response))
    open_test_page(page, origins, bot)
    call_button(page, bot).click()
    expect(call_button(page, bot)).to_have_attribute("aria-pressed", "true")
    session_of(bot)
    say(page, "What are your opening hours?")

    seen = {}
    for response in responses:
        try:
            body = response.text()
        except Exception:  # a redirect or a beacon has no body to read
            body = ""
        seen[f"{response.request.method} {response.url}"] = body + json.dumps(response.headers)
    seen["the SDK's calls"] = json.dumps(fake_calls(page))
    seen["the page"] = page.content()
    seen["storage and cookies"] = page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])"
    )
    assert any(bot.uuid in text for text in seen.values())  # the widget's own requests were seen
    assert any("/api/widget/" in where for where in seen)
    for where, text in seen.items():
        for value in forbidden:
            assert value not in text, (where, value[:6])


def test_leaving_the_page_during_a_call_ends_its_session(page, origins):
    bot = BotFactory(active=True)
    open_test_page(page, origins, bot)
    call_button(page, bot).click()
    expect(call_button(page, bot)).to_have_attribute("aria-pressed", "true")
    session = session_of(bot)

    page.goto("about:blank")  # pagehide: the session ends with a beacon

    wait_until(lambda: Session.objects.get(pk=session.pk).end_time, message="the session's end")


def test_a_bot_deactivated_since_the_page_loaded_starts_no_call(page, origins):
    bot = BotFactory(active=True)
    open_test_page(page, origins, bot)
    bot.status = BotStatus.PENDING
    bot.save(update_fields=["status"])
    button = call_button(page, bot)

    button.click()

    expect(page.get_by_role("status")).to_have_text("The voice assistant is not available right now.")
    expect(button).to_have_attribute("aria-pressed", "false")
    assert fake_calls(page) == []
    assert not Session.objects.filter(bot=bot).exists()
    # Chromium logs the refused request (409) itself; nothing else may fail.
    assert [entry for entry in page.console_log.errors() if "409" not in entry] == []


# --- Voice navigation, on a customer's page -----------------------------------------------------------------------


CUSTOMER_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Example Inc.</title></head>
<body>
  <h1>Example Inc.</h1>
  <nav><a href="/customer/pricing">Pricing</a> <a href="javascript:alert(1)">Danger</a></nav>
  {embed}
  {embed}
</body></html>"""


def test_voice_navigation_acts_only_on_this_site_and_allowed_hosts(context, page, origins, httpserver):
    """The customer's site is a server of its own (another origin on the loopback: Chromium lets a page reach
    loopback addresses only from the loopback, so a Playwright-fulfilled page could not load the widget)."""
    bot = BotFactory(active=True)
    embed = (
        f'<script defer src="{origins.api}/js/external-chatbot-voice.js" data-chatbot-uuid="{html.escape(bot.uuid)}" '
        'data-allowed-hosts="docs.example.com"></script>'
    )
    httpserver.expect_request("/customer/").respond_with_data(
        CUSTOMER_PAGE.format(embed=embed), content_type="text/html"
    )
    httpserver.expect_request("/customer/pricing").respond_with_data(
        "<!DOCTYPE html><title>Pricing</title><h1>Pricing</h1>", content_type="text/html"
    )
    site = httpserver.url_for("/customer/").removesuffix("/customer/")
    assert site != origins.api
    context.route("https://docs.example.com/**", lambda route: route.fulfill(content_type="text/html", body="Docs"))
    page.goto(f"{site}/customer/")
    assert page.evaluate("() => window.VoiceBotWidget.ready") == "active"
    expect(page.locator("[data-voicebot-widget]")).to_have_count(1)  # the embed code is there twice
    call_button(page, bot).click()
    expect(call_button(page, bot)).to_have_attribute("aria-pressed", "true")
    session = session_of(bot)

    def reported(transcript: str, *, leaves_the_page: bool = False) -> dict:
        """What the widget reported for ``transcript`` (and the app accepted, unless the page is left: the
        report then outlives the page, which sees no response)."""
        is_report = lambda r: r.url == f"{origins.api}/api/vapi/navigation" and r.method == "POST"  # noqa: E731
        if leaves_the_page:
            with page.expect_request(is_report) as request:
                say(page, transcript)
            return json.loads(request.value.post_data)
        with page.expect_response(lambda r: is_report(r.request)) as response:
            say(page, transcript)
        assert response.value.status == 200
        return json.loads(response.value.request.post_data)

    # Refused: another site, a search engine nobody allowed, a link to javascript:. Reported, nothing opened.
    assert reported("Open evil.example.") == {
        "url": "https://evil.example/",
        "command": "Open evil.example",
        "success": False,
        "botUuid": bot.uuid,
    }
    assert reported("Search for cheap flights")["url"] == "https://www.google.com/search?q=cheap%20flights"
    assert reported("Go to danger") == {
        "url": "danger",
        "command": "Go to danger",
        "success": False,
        "botUuid": bot.uuid,
    }
    assert len(context.pages) == 1
    assert page.url == f"{site}/customer/"

    # An allowed host opens in a new tab that cannot reach back into the page.
    with context.expect_page() as new_tab:
        report = reported("Go to docs dot example dot com.")
    assert report["success"] is True
    assert report["url"] == "https://docs.example.com/"
    tab = new_tab.value
    tab.wait_for_load_state()
    assert tab.url == "https://docs.example.com/"
    assert tab.evaluate("() => window.opener") is None
    tab.close()

    # A page of this site, named by its link, opens in place; leaving ends the session.
    report = reported("Take me to the pricing page", leaves_the_page=True)
    assert report["success"] is True
    assert report["url"] == f"{site}/customer/pricing"
    expect(page).to_have_url(f"{site}/customer/pricing")
    wait_until(lambda: Session.objects.get(pk=session.pk).end_time, message="the session's end")
    # Every final utterance counted: the fake's first one and the five commands.
    assert Session.objects.get(pk=session.pk).interactions == 6
    assert page.console_log.errors() == []
