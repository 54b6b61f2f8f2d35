"""The Content-Security-Policy (config/settings.py, accounts/csp.py): on every HTML page, with Clerk and without,
no inline script anywhere, and third-party sources only on the pages that load them; JSON and the widget's files
keep working for other origins; the report-only switch and the report URI from the environment."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.test import Client

from accounts.csp import origin_of
from analytics.tests.factories import CallFactory, SessionFactory
from bots.tests.factories import BotFactory
from config.tests.processes import manage
from documents.tests.factories import DocumentFactory

CLERK_HOST = "clerk.example.test"
WIDGET_ORIGIN = "https://widget.example.test"  # PUBLIC_BASE_URL: embed codes name it, not the page's own origin
RECORDING_ORIGIN = "https://storage.vapi.example"  # CallFactory's recordings

CLERK_SOURCES = {
    f"https://{CLERK_HOST}",
    "https://challenges.cloudflare.com",
    "https://clerk-telemetry.com",
    "https://*.clerk-telemetry.com",
    "https://img.clerk.com",
}
WIDGET_SOURCES = {
    WIDGET_ORIGIN,
    "https://c.daily.co",
    "https://api.vapi.ai",
    "https://*.daily.co",
    "wss://*.daily.co",
    "https://*.pluot.blue",
    "wss://*.pluot.blue",
}


def publishable_key(host: str) -> str:
    return "pk_test_" + base64.b64encode(f"{host}$".encode()).decode().rstrip("=")


def directives(response, header: str = "Content-Security-Policy") -> dict[str, list[str]]:
    value = response.headers.get(header)
    assert value, f"no {header} header"
    parsed = {}
    for part in value.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"{name} twice"
        parsed[name] = sources
    return parsed


def outside_sources(policy: dict[str, list[str]]) -> set[str]:
    """Every source that names another origin (not 'self', a keyword, a nonce or a scheme)."""
    return {source for sources in policy.values() for source in sources if "://" in source}


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    who: str | None = None  # None: anonymous; "owner" of the bot; "staff"
    layout: bool = True  # rendered with base.html (which loads Clerk's script when Clerk is configured)
    widget: bool = False  # embeds the voice widget
    recording: bool = False  # plays a call recording
    htmx: bool = False  # a fragment, as htmx asks for it (without htmx it comes inside the layout)

    def __str__(self) -> str:
        return self.name


PAGES = [
    Page("landing", "/"),
    Page("landing-with-demo", "/?demo", widget=True),
    Page("sign-in", "/sign-in"),
    Page("sign-up", "/sign-up"),
    Page("dashboard", "/dashboard", who="owner"),
    Page("new-bot", "/dashboard/bots/new", who="owner"),
    Page("bot", "/dashboard/bots/{bot.uuid}", who="owner"),
    Page("knowledge-fragment", "/dashboard/bots/{bot.uuid}/knowledge", who="owner", layout=False, htmx=True),
    Page("knowledge-fragment-without-htmx", "/dashboard/bots/{bot.uuid}/knowledge", who="owner"),
    Page("analytics", "/dashboard/analytics", who="owner"),
    Page("call", "/dashboard/analytics/calls/{call.vapi_call_id}", who="owner", recording=True),
    Page("test-embed", "/test-embed?bot={bot.uuid}", layout=False, widget=True),
    Page("test-embed-without-bot", "/test-embed", layout=False),
    Page("admin-login", "/admin/login/", layout=False),
    Page("admin-index", "/admin/", who="staff", layout=False),
    Page("admin-changelist", "/admin/analytics/call/", who="staff", layout=False),
    Page("admin-change-form", "/admin/bots/bot/{bot.pk}/change/", who="staff", layout=False),
    Page("api-docs", "/api/docs/", layout=False),
]


@pytest.fixture
def site(db, settings, user, staff_user) -> SimpleNamespace:
    settings.PUBLIC_BASE_URL = WIDGET_ORIGIN
    bot = BotFactory(user=user, active=True, rag_enabled=True, rag_source_type="FILES")
    DocumentFactory(bot=bot)
    SessionFactory(bot=bot)
    return SimpleNamespace(bot=bot, call=CallFactory(bot=bot), user=user, staff=staff_user)


def visit(site, settings, page: Page):
    client = Client()
    if page.who == "owner":
        client.force_login(site.user)
    elif page.who == "staff":
        client.force_login(site.staff)
    path = page.path.format(bot=site.bot, call=site.call)
    if path == "/?demo":
        settings.DEMO_BOT_UUID = site.bot.uuid
        path = "/"
    response = client.get(path, headers={"HX-Request": "true"} if page.htmx else {})
    assert response.status_code == 200, path
    assert response["Content-Type"].startswith("text/html")
    return response


@pytest.mark.parametrize("clerk", [False, True], ids=["without-clerk", "with-clerk"])
@pytest.mark.parametrize("page", PAGES, ids=str)
def test_every_html_page_has_a_policy_with_only_the_sources_it_loads(site, settings, page, clerk):
    if clerk:
        settings.CLERK_PUBLISHABLE_KEY = publishable_key(CLERK_HOST)

    response = visit(site, settings, page)
    policy = directives(response)
    body = response.content.decode()

    # The site-wide rules, on every page.
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # A page's additions add to what the site allows (a directive first named by a page starts from default-src).
    for directive, sources in policy.items():
        if directive.endswith("-src") and directive != "object-src":
            assert sources[0] == "'self'", directive
    # No inline script on any page: our scripts are files (a nonce is for the one that cannot be).
    script_src = policy["script-src"]
    assert script_src[0] == "'self'"
    assert "'unsafe-inline'" not in script_src
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body), "an inline script"
    assert not re.search(r"<[a-z][^>]*\son[a-z]+=", body), "an inline event handler"
    # No eval anywhere: the widget's SDK has Daily load its call bundle with a <script> (accounts/csp.py).
    assert "'unsafe-eval'" not in script_src

    # Third parties exactly where the page loads them.
    expected = set()
    if clerk and page.layout:
        expected |= CLERK_SOURCES
        assert f'src="https://{CLERK_HOST}/' in body
    if page.widget:
        expected |= WIDGET_SOURCES
        assert f'src="{WIDGET_ORIGIN}/js/external-chatbot-voice.js"' in body
    if page.recording:
        expected.add(RECORDING_ORIGIN)
        assert policy["media-src"] == ["'self'", RECORDING_ORIGIN]
    assert outside_sources(policy) == expected
    if clerk and page.layout:
        assert f"https://{CLERK_HOST}" in policy["script-src"]
        assert f"https://{CLERK_HOST}" in policy["connect-src"]
    if page.widget:
        assert {WIDGET_ORIGIN, "https://c.daily.co"} <= set(policy["script-src"])
        assert {WIDGET_ORIGIN, "https://api.vapi.ai", "wss://*.daily.co"} <= set(policy["connect-src"])

    # Inline styles only where a third party injects them (Clerk's components); a page's own inline <style>
    # carries the nonce its policy names.
    style_src = policy["style-src"]
    assert ("'unsafe-inline'" in style_src) == bool(clerk and page.layout)
    nonces = set(re.findall(r"<style nonce=\"([^\"]+)\"", body))
    if "'unsafe-inline'" in style_src:
        assert not [source for source in style_src if source.startswith("'nonce-")]  # it would void unsafe-inline
    else:
        assert [source.removeprefix("'nonce-").removesuffix("'") for source in style_src[1:]] == sorted(nonces)
        assert "<style>" not in body
        assert not re.search(r"<[a-z][^>]*\sstyle=", body), "an inline style attribute"


def test_the_api_docs_script_is_a_file_of_this_origin(client, db):
    page = client.get("/api/docs/").content.decode()
    script = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', page)
    assert script, "Swagger UI's init script is not a file"

    response = client.get(script.group(1).replace("&amp;", "&"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_json_responses_carry_the_site_policy_and_the_widget_keeps_answering_other_origins(client, db, user):
    """The same policy on JSON (nothing for fetch() callers; an API URL opened in a tab is locked down too). The
    widget's script and public routes stay loadable from any site: no header that stops another origin loading
    them (Django's Cross-Origin-Opener-Policy is about windows, not loads)."""
    bot = BotFactory(user=user, active=True)
    other_site = {"Origin": "https://customer.example"}

    health = client.get("/api/health")
    script = client.get("/js/external-chatbot-voice.js", headers=other_site)
    config = client.get(f"/api/widget/{bot.uuid}/config", headers=other_site)

    assert directives(health)["default-src"] == ["'self'"]
    assert script.status_code == config.status_code == 200
    assert config["Access-Control-Allow-Origin"] == "https://customer.example"
    for response in (script, config):
        assert "Cross-Origin-Resource-Policy" not in response
        assert "Cross-Origin-Embedder-Policy" not in response


def test_report_only_sends_the_same_policy_without_enforcing_it(site, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    settings.CLERK_PUBLISHABLE_KEY = publishable_key(CLERK_HOST)

    response = visit(site, settings, Page("landing-with-demo", "/?demo", widget=True))

    assert "Content-Security-Policy" not in response
    policy = directives(response, "Content-Security-Policy-Report-Only")
    assert outside_sources(policy) == CLERK_SOURCES | WIDGET_SOURCES
    assert "'unsafe-inline'" not in policy["script-src"]


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://storage.vapi.ai/rec/1.wav?x=1", "https://storage.vapi.ai"),
        ("http://LOCALHOST:8000/", "http://localhost:8000"),
        ("https://bucket.s3.amazonaws.com:443/a", "https://bucket.s3.amazonaws.com:443"),
        ("https://evil.example; script-src *", ""),
        ("https://evil.example\r\nX: y", ""),
        ("javascript:alert(1)", ""),
        ("data:audio/wav;base64,AAAA", ""),
        ("https://user:pw@host.example:99999/", ""),
        ("", ""),
    ],
)
def test_only_a_clean_origin_of_a_url_reaches_the_header(url, origin):
    assert origin_of(url) == origin


@pytest.mark.slow
def test_the_environment_switches_to_report_only_and_names_the_report_uri():
    script = (
        "from django.conf import settings as s; "
        "print(s.CONTENT_SECURITY_POLICY, s.CONTENT_SECURITY_POLICY_REPORT_ONLY['DIRECTIVES']['report-uri'])"
    )

    result = manage(
        "shell", "--verbosity", "0", "-c", script, CSP_REPORT_ONLY="true", CSP_REPORT_URI="https://csp.example/r"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "['https://csp.example/r']"]


def test_the_widgets_sdk_is_the_vendored_build_it_names_with_its_hash(client, db):
    """public/js/external-chatbot-voice.js loads VAPI's SDK from this app with Subresource Integrity: the file it
    names must have the hash it names (scripts/vapi-sdk/build.sh prints both), and be served to any origin (SRI
    on another origin needs CORS)."""
    import hashlib
    from pathlib import Path

    from django.conf import settings

    widget = (Path(settings.BASE_DIR) / "public/js/external-chatbot-voice.js").read_text()
    path = re.search(r'const VAPI_SDK_PATH = "([^"]+)"', widget).group(1)
    integrity = re.search(r'const VAPI_SDK_INTEGRITY = "sha384-([^"]+)"', widget).group(1)
    assert "@latest" not in widget
    assert "cdn.jsdelivr.net" not in widget

    response = client.get(path, HTTP_ORIGIN="https://customer.example")

    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert base64.b64encode(hashlib.sha384(content).digest()).decode() == integrity
    assert response["Access-Control-Allow-Origin"] == "*"
    version = re.search(r"vapi-web-([0-9.]+)\.js", path).group(1)
    lock = json.loads((Path(settings.BASE_DIR) / "scripts/vapi-sdk/package-lock.json").read_text())
    assert lock["packages"]["node_modules/@vapi-ai/web"]["version"] == version
    assert lock["packages"]["node_modules/@vapi-ai/web"]["integrity"].startswith("sha512-")
    assert f'"{version}"'.encode() in content  # the bundle says the version its name says
