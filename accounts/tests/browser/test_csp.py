"""The Content-Security-Policy in headless Chromium: every HTML page loads with its policy and without a single
violation while its features work (htmx swaps, Chart.js, a call recording, the voice widget's call, Clerk's
components, the admin's widgets and popups, Swagger UI). Violations are collected by ``new_page``
(``page.console_log``), which every browser test of the project checks.

Third parties are played by stand-ins served with Playwright's routes (no network here), each doing what the real
script does that a policy governs: VAPI's API (a web call) and Daily's call machine (loaded by the real, vendored
VAPI SDK with a <script> from c.daily.co), and Clerk's script (its Frontend API, CSS-in-JS styles, avatars,
Cloudflare's bot-protection script and iframe, a blob: worker). Daily's websockets cannot be
opened without the network (Playwright mocks them in script, where no policy applies): their origins are checked
by the header test (accounts/tests/test_csp.py)."""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from analytics.models import Session
from analytics.tests.factories import CallFactory, SessionFactory
from bots.tests.factories import BotFactory
from config.tests.browser import VIEWPORT, new_page, wait_until
from documents.tests.factories import DocumentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLERK_HOST = "clerk.example.test"
RECORDING = "https://recordings.example.test/calls/front-desk.wav"

CLERK_STAND_IN = """
(() => {
  const signedIn = Boolean(document.querySelector("[data-clerk-user-button]"));
  function styled(element) {
    const style = document.createElement("style");
    style.textContent = ".cl-stand-in { padding: 8px; border: 1px solid #ccc; }";
    document.head.appendChild(style);
    element.setAttribute("style", "min-height: 40px");
    element.className = "cl-stand-in";
    return element;
  }
  function avatar() {
    const img = document.createElement("img");
    img.src = "https://img.clerk.com/stand-in-avatar.png";
    img.alt = "";
    return img;
  }
  function component(target, text) {
    target.textContent = "";
    const box = styled(document.createElement("div"));
    box.dataset.clerkStandIn = text;
    box.append(text, avatar());
    const turnstile = document.createElement("script");
    turnstile.src = "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit";
    document.head.appendChild(turnstile);
    const challenge = document.createElement("iframe");
    challenge.src = "https://challenges.cloudflare.com/cdn-cgi/challenge-platform/stand-in";
    challenge.title = "Bot protection";
    box.appendChild(challenge);
    target.appendChild(box);
  }
  window.Clerk = {
    user: signedIn ? { id: "user_stand_in" } : null,
    async load() {
      await (await fetch("https://CLERK_HOST/v1/environment")).text();
      const worker = new Worker(URL.createObjectURL(new Blob(["postMessage(1)"], { type: "text/javascript" })));
      await new Promise((resolve) => { worker.onmessage = resolve; });
    },
    mountSignIn(target) { component(target, "Clerk sign-in"); },
    mountSignUp(target) { component(target, "Clerk sign-up"); },
    mountUserButton(target) { target.appendChild(styled(avatar())); target.dataset.mounted = "true"; },
    signOut() { return Promise.resolve(); },
  };
})();
""".replace("CLERK_HOST", CLERK_HOST)

CORS = {"Access-Control-Allow-Origin": "*"}
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def wav(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A silent mono 8-bit PCM WAV."""
    samples = b"\x80" * int(seconds * rate)
    header = b"RIFF" + struct.pack("<I", 36 + len(samples)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, rate, 1, 8) + b"data" + struct.pack("<I", len(samples))
    return header + samples


def serve_third_parties(context) -> None:
    context.route(
        "https://api.vapi.ai/**",
        lambda route: route.fulfill(
            json={"id": "call_stand_in", "webCallUrl": "https://vapi.daily.co/x"},
            headers={**CORS, "Access-Control-Allow-Headers": "authorization, content-type"},
        ),
    )
    context.route(
        "https://c.daily.co/**",
        lambda route: route.fulfill(
            body="window.__dailyBundleRan = true;", content_type="text/javascript", headers=CORS
        ),
    )
    context.route(
        f"https://{CLERK_HOST}/npm/**",
        lambda route: route.fulfill(body=CLERK_STAND_IN, content_type="text/javascript", headers=CORS),
    )
    context.route(
        f"https://{CLERK_HOST}/v1/**", lambda route: route.fulfill(json={"object": "environment"}, headers=CORS)
    )
    context.route(
        "https://img.clerk.com/**",
        lambda route: route.fulfill(body=base64.b64decode(PIXEL), content_type="image/png"),
    )
    context.route(
        "https://challenges.cloudflare.com/turnstile/**",
        lambda route: route.fulfill(body="window.turnstile = {};", content_type="text/javascript"),
    )
    context.route(
        "https://challenges.cloudflare.com/cdn-cgi/**",
        lambda route: route.fulfill(body="<!DOCTYPE html><title>challenge</title><p>ok", content_type="text/html"),
    )
    context.route(
        "https://recordings.example.test/**",
        lambda route: route.fulfill(body=wav(), content_type="audio/wav"),
    )


@pytest.fixture
def origins(settings, live_server) -> SimpleNamespace:
    """Pages at the live server's http://localhost:<port> (where ``sign_in`` puts its cookie), the widget's pages
    at http://127.0.0.1:<port> (``origins.elsewhere``): the widget's script and API, at PUBLIC_BASE_URL, are then
    on another origin, as on a customer's site (and the widget pages' policy must name it)."""
    port = live_server.url.rsplit(":", 1)[1]
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    settings.PUBLIC_BASE_URL = f"http://localhost:{port}"
    settings.VAPI_PUBLIC_KEY = "pk-test-0f4c2a1e"
    cache.clear()  # the widget routes' rate limit counts per address, across tests
    return SimpleNamespace(page=live_server.url, elsewhere=f"http://127.0.0.1:{port}", api=f"http://localhost:{port}")


@pytest.fixture
def context(browser, origins) -> Iterator:
    context = browser.new_context(viewport=VIEWPORT)
    serve_third_parties(context)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return new_page(context)


@pytest.fixture
def site(user, staff_user) -> SimpleNamespace:
    bot = BotFactory(user=user, name="Front desk", active=True, rag_enabled=True, rag_source_type="FILES")
    DocumentFactory(bot=bot, content="The rooftop sauna opens at four and closes at ten.", name="sauna.txt")
    SessionFactory(bot=bot)
    call = CallFactory(bot=bot, recording=RECORDING)
    return SimpleNamespace(bot=bot, call=call, user=user, staff=staff_user)


@pytest.fixture
def with_clerk(settings):
    settings.CLERK_PUBLISHABLE_KEY = "pk_test_" + base64.b64encode(f"{CLERK_HOST}$".encode()).decode().rstrip("=")
    return settings


def visit(page, url: str, status: int = 200):
    """Open ``url``; its response must carry a policy (enforced: nothing here is report-only)."""
    response = page.goto(url)
    assert response.status == status, url
    policy = response.headers.get("content-security-policy")
    assert policy, f"no Content-Security-Policy on {url}"
    assert "content-security-policy-report-only" not in response.headers
    return policy


def assert_clean(page) -> None:
    """No violation, and nothing else in the console as an error. A round trip first: violations are reported to
    the test through a binding, whose calls arrive in order with it."""
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 100))")
    assert page.console_log.csp_violations() == []
    assert page.console_log.errors() == []


def test_a_violation_does_not_go_unseen(page, origins, db):
    """The harness itself: what the site's policy refuses (an outside script, eval, an inline style) is reported."""
    visit(page, f"{origins.page}/")

    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.src = "https://cdn.jsdelivr.net/gh/VapiAI/html-script-tag@latest/dist/assets/index.js";
            document.head.appendChild(script);
            // Later, as the page's own task: code run by the test's evaluate() itself is exempt from eval checks.
            setTimeout(() => { try { Function("return 1")(); } catch (error) { /* refused */ } });
            document.body.setAttribute("style", "color: red");
        }"""
    )

    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 100))")
    violations = " ".join(page.console_log.csp_violations())
    assert "script-src-elem blocked https://cdn.jsdelivr.net/" in violations
    assert "script-src blocked eval" in violations
    assert "style-src-attr blocked inline" in violations


# --- Pages that do little once loaded --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "who", "ready"),
    [
        ("/", None, "h1"),
        ("/sign-in", None, "form[action='/sign-in'] input[name=password]"),
        ("/sign-up", None, ".code-block"),
        ("/dashboard", "owner", "text=Front desk"),
        ("/dashboard/bots/new", "owner", "form.bot-form, form"),
        ("/test-embed", None, "text=No bot given"),
        ("/admin/", "staff", "#site-name"),
        ("/admin/analytics/call/", "staff", "#result_list"),
    ],
    ids=["landing", "sign-in", "sign-up", "dashboard", "new-bot", "test-embed-without-bot", "admin-index", "calls"],
)
def test_a_page_loads_without_a_violation(page, context, sign_in, site, origins, path, who, ready):
    if who:
        sign_in(context, site.user if who == "owner" else site.staff)

    policy = visit(page, origins.page + path)

    page.locator(ready).first.wait_for()
    assert "'unsafe-inline'" not in re.search(r"script-src ([^;]*)", policy).group(1)
    if path == "/test-embed":  # its own <style> by nonce: applied
        assert page.evaluate("() => getComputedStyle(document.querySelector('main')).maxWidth") == "760px"
    if path == "/admin/analytics/call/":  # actions.js: selecting every row counts them
        page.locator("#action-toggle").check()
        expect(page.locator(".action-counter")).to_contain_text("1 of 1 selected")
    assert_clean(page)


# --- Features at work under the policy -----------------------------------------------------------------------------


def test_the_bot_page_swaps_its_knowledge_base_in_and_searches_it(page, context, sign_in, site, origins):
    sign_in(context, site.user)
    visit(page, f"{origins.page}/dashboard/bots/{site.bot.uuid}")

    # hx-trigger="load": the knowledge base is an htmx swap.
    expect(page.locator("#documents tr", has_text="sauna.txt")).to_be_visible()
    page.get_by_label("Question").fill("sauna")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#search-results")).not_to_be_empty()  # swapped in (the factory's document has no chunks)
    assert_clean(page)


def test_analytics_charts_and_a_call_with_its_recording(page, context, sign_in, site, origins):
    sign_in(context, site.user)
    visit(page, f"{origins.page}/dashboard/analytics")
    page.wait_for_url(re.compile(r"tz="))
    page.wait_for_function(
        "() => window.Chart && ['chart-calls', 'chart-cost', 'chart-duration'].every(Chart.getChart)"
    )

    policy = visit(page, f"{origins.page}/dashboard/analytics/calls/{site.call.vapi_call_id}")

    # django-csp writes the directives in a set's order (it varies with the hash seed): compare directives.
    assert "media-src 'self' https://recordings.example.test" in policy.split("; ")
    duration = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const audio = document.querySelector("audio.recording");
            audio.addEventListener("loadedmetadata", () => resolve(audio.duration), { once: true });
            audio.addEventListener("error", () => reject(new Error("the recording did not load")), { once: true });
            audio.preload = "metadata";
            audio.load();
        })"""
    )
    assert duration == pytest.approx(0.5, abs=0.05)
    assert_clean(page)


def call_button(page, bot):
    return page.get_by_role("button", name=f"Voice call with {bot.name}")


def make_a_call(page, bot) -> None:
    """Press the widget's button: VAPI's SDK (the vendored build, run only if its hash matches) loads from the
    widget's origin, asks VAPI (the stand-in) for a web call with the public key, and Daily loads its call machine
    (the stand-in) with a <script> from c.daily.co, no eval; press again to hang up. The stand-in call machine
    does not connect: the call goes no further than that, which is all a policy governs."""
    requests = []
    page.on("request", lambda request: requests.append((request.method, request.url, request.headers)))
    button = call_button(page, bot)
    button.click()
    page.wait_for_function("() => window.__dailyBundleRan === true", timeout=15_000)
    assert page.evaluate("() => window.vapiSDK.version") == "2.7.1"
    (web_call,) = [r for r in requests if r[0] == "POST" and r[1] == "https://api.vapi.ai/call/web"]
    assert web_call[2]["authorization"] == "Bearer pk-test-0f4c2a1e"
    assert any(r[1].endswith("/js/vendor/vapi-web-2.7.1.js") for r in requests)
    session = wait_until(lambda: Session.objects.filter(bot=bot).order_by("-start_time").first(), message="session")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    wait_until(lambda: Session.objects.get(pk=session.pk).end_time, message="the session's end")


def test_the_widget_calls_from_the_test_page(page, site, origins):
    policy = visit(page, f"{origins.elsewhere}/test-embed?bot={site.bot.uuid}")

    assert origins.api in re.search(r"script-src ([^;]*)", policy).group(1)
    make_a_call(page, site.bot)
    assert_clean(page)


def test_the_landing_page_demo_calls_and_the_landing_page_without_it_allows_none_of_it(page, site, origins, settings):
    plain = visit(page, f"{origins.elsewhere}/")
    assert "vapi" not in plain
    assert "'unsafe-eval'" not in plain
    assert_clean(page)

    settings.DEMO_BOT_UUID = site.bot.uuid
    visit(page, f"{origins.elsewhere}/")

    make_a_call(page, site.bot)
    assert_clean(page)


# --- Clerk ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/sign-in", "/sign-up"])
def test_clerks_components_mount_on_the_sign_in_pages(page, site, origins, with_clerk, path):
    policy = visit(page, f"{origins.page}{path}")

    assert f"https://{CLERK_HOST}" in policy
    box = page.locator("[data-clerk-stand-in]")
    expect(box).to_be_visible()
    assert box.evaluate("(element) => getComputedStyle(element).minHeight") == "40px"  # its inline style applies
    expect(page.frame_locator("iframe[title='Bot protection']").locator("p")).to_have_text("ok")
    assert page.evaluate("() => Boolean(window.turnstile)")
    assert_clean(page)


def test_clerks_user_button_on_the_dashboard(page, context, sign_in, site, origins, with_clerk):
    sign_in(context, site.user)
    visit(page, f"{origins.page}/dashboard")

    expect(page.locator("[data-clerk-user-button][data-mounted=true] img")).to_be_visible()
    assert_clean(page)


# --- The admin and the API docs ----------------------------------------------------------------------------------


def test_the_admin_signs_in_and_its_date_widgets_and_popups_work(page, context, site, origins):
    visit(page, f"{origins.page}/admin/login/?next=/admin/bots/bot/{site.bot.pk}/change/")
    page.locator("#id_username").fill(site.staff.email)
    page.locator("#id_password").fill("password")
    page.get_by_role("button", name="Log in").click()  # form-action 'self', then the redirect
    expect(page).to_have_url(re.compile(rf"/admin/bots/bot/{site.bot.pk}/change/$"))

    # The activation date's calendar and clock (DateTimeShortcuts.js).
    page.locator("#calendarlink0").click()
    expect(page.locator("#calendarbox0")).to_be_visible()
    page.locator("#calendarbox0 .calendarnav-next").click()
    page.locator("#calendarbox0 td a").first.click()
    assert re.match(r"\d{4}-\d{2}-\d{2}", page.locator("#id_activation_scheduled_at_0").input_value())
    page.locator("#clocklink0").click()
    expect(page.locator("#clockbox0")).to_be_visible()
    page.locator("#clockbox0").get_by_role("link", name="Noon").click()
    assert page.locator("#id_activation_scheduled_at_1").input_value().startswith("12:00")
    assert_clean(page)

    # A related object's popup and its response page (RelatedObjectLookups.js, popup_response.js).
    page.goto(f"{origins.page}/admin/accounts/user/{site.user.pk}/change/")
    with context.expect_page() as opened:
        page.locator("#add_id_groups").click()
    popup = opened.value
    popup_log = []
    popup.on("console", lambda message: popup_log.append(f"{message.type}: {message.text}"))
    popup.wait_for_load_state()
    assert popup.evaluate("() => document.querySelector('#id_name') !== null")
    popup.locator("#id_name").fill("Support team")
    popup.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#id_groups_to option", has_text="Support team")).to_have_count(1)
    assert [entry for entry in popup_log if entry.startswith("error")] == []
    assert_clean(page)


def test_the_api_docs(page, origins, db):
    visit(page, f"{origins.page}/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Voice Bot API")
    operation = page.locator(".opblock-summary", has_text="/api/health").first
    operation.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table tbody .response-col_status")).to_have_text("200")
    assert_clean(page)
