"""The original frontend's calls in headless Chromium, signed in as it was deployed: by Clerk's ``__session``
cookie (signed with the test key, ``SameSite=Lax`` as Clerk sets it), no Authorization header, no CSRF token.

- From a page served by our server (same origin), every call of the original components succeeds: Chromium sends
  ``Origin`` and ``Sec-Fetch-Site: same-origin``, which prove where the writes come from.
- From a page on another origin (a second local port: same site, so the Lax cookie goes along), the same calls
  write nothing: the writes that reach us (multipart posts, a plain form) are refused with 403 in the error
  envelope, the others are stopped by CORS (only the widget's public routes answer other origins), and the page
  can read none of the answers.

VAPI is played by pytest-httpserver (``vapi``): the same-origin run activates, deactivates and activates again.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.utils.html import escape

from accounts.tests.factories import UserFactory
from bots.models import Bot, BotStatus
from bots.tests.conftest import configure_vapi
from bots.tests.factories import BotFactory
from config.tests.browser import VIEWPORT, new_page, wait_until
from documents.models import Document
from documents.tests.factories import DocumentFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("accounts.tests.browser.test_original_frontend"),
]

SCRIPT = Path(__file__).with_name("original_frontend.js")
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The original frontend</title><link rel="icon" href="data:,">
<script src="{script}" data-api="{api}"></script></head>
<body><h1>The original frontend</h1></body></html>"""
ASSISTANT_ID = "asst_original_frontend"
ADMIN = "/api/admin/activate-bot"
ALL_CALLS = [
    "create bot",
    "list bots",
    "dashboard stats",
    "list files",
    "upload file",
    "list files again",
    "delete file",
    "analytics overview",
    "analytics bots",
    "analytics calls",
    "analytics logs",
    "admin bots",
    "admin deactivate",
    "admin activate",
]


# Our server serves the page (as Next.js served the original on the API's origin) and the replay script.
def _page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE.format(script="/test/original-frontend.js", api=""))


def _script(request: HttpRequest) -> HttpResponse:
    return HttpResponse(SCRIPT.read_bytes(), content_type="text/javascript")


urlpatterns = [
    path("test/original-frontend", _page),
    path("test/original-frontend.js", _script),
    path("", include("config.urls")),
]


@pytest.fixture
def other_origin(live_server) -> Iterator[str]:
    """A page on another origin: http://localhost:<another port>, which serves the same script, calling our
    server by its full URL. Same site as the live server (ports do not make sites), so Chromium sends it Clerk's
    Lax cookie: only our check stands in the way."""
    page = PAGE.format(script="/original-frontend.js", api=escape(live_server.url)).encode()
    script = SCRIPT.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body, kind = (script, "text/javascript") if self.path == "/original-frontend.js" else (page, "text/html")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def vapi(settings, httpserver):
    """VAPI as bots/tests/conftest.py configures it (that fixture is the bots app's), played by pytest-httpserver."""
    return configure_vapi(settings, httpserver)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def signed_in(browser, live_server, settings, make_token):
    """``signed_in(user)``: a browser context holding the user's Clerk session cookie for our server."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    contexts = []

    def make(user):
        context = browser.new_context(viewport=VIEWPORT)
        expires = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=10)
        context.add_cookies(
            [{"name": "__session", "value": make_token(user, exp=expires), "url": live_server.url, "sameSite": "Lax"}]
        )
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def watch_network(page) -> dict[str, dict]:
    """What the browser sent to and got from the network, from Chromium's DevTools protocol: unlike Playwright's
    response events, it also sees the answers that CORS then hides from the page. Request id → method, URL, the
    headers as sent (cookies and Fetch Metadata included) and the status; a request the browser never sent (its
    preflight refused) has neither headers nor status. The events of one request come in any order."""
    seen: dict[str, dict] = {}
    session = page.context.new_cdp_session(page)

    def sent(event):
        seen.setdefault(event["requestId"], {}).update(method=event["request"]["method"], url=event["request"]["url"])

    def sent_headers(event):
        headers = {name.lower(): value for name, value in event["headers"].items()}
        seen.setdefault(event["requestId"], {})["headers"] = headers

    def answered(event):
        seen.setdefault(event["requestId"], {})["status"] = event["statusCode"]

    session.on("Network.requestWillBeSent", sent)
    session.on("Network.requestWillBeSentExtraInfo", sent_headers)
    session.on("Network.responseReceivedExtraInfo", answered)
    session.send("Network.enable")
    return seen


def replay(page, **target) -> dict[str, dict]:
    log = page.evaluate("(target) => window.replayOriginalFrontend(target)", target)
    return {entry["name"]: entry for entry in log}


def test_the_original_frontend_on_our_origin_signs_in_by_cookie_and_every_call_succeeds(
    signed_in, live_server, vapi, media
):
    user = UserFactory()
    vapi.expect_request("/assistant", method="POST").respond_with_json({"id": ASSISTANT_ID}, status=201)
    vapi.expect_request(f"/assistant/{ASSISTANT_ID}", method="DELETE").respond_with_json({"id": ASSISTANT_ID})
    vapi.expect_request("/assistant", method="GET").respond_with_json([])
    page = new_page(signed_in(user))
    sent = []
    page.on("request", lambda request: sent.append(request) if "/api/" in request.url else None)

    page.goto(f"{live_server.url}/test/original-frontend")
    calls = replay(page, userId=user.pk)

    assert list(calls) == ALL_CALLS
    failed = {name: (call.get("status"), call.get("body") or call.get("error")) for name, call in calls.items()}
    assert all(call.get("status") == 200 and call["body"]["success"] is True for call in calls.values()), failed
    # What the browser sent: the cookie, and neither a token nor a CSRF header (the original sends none).
    writes = [request for request in sent if request.method != "GET"]
    assert len(writes) == 5
    for request in writes:
        headers = request.all_headers()
        assert "__session=" in headers["cookie"]
        assert "authorization" not in headers
        assert "x-csrftoken" not in headers
        assert headers["origin"] == live_server.url
        assert headers["sec-fetch-site"] == "same-origin"

    bot = Bot.objects.get()
    assert calls["create bot"]["body"]["bot"]["uuid"] == bot.uuid
    assert (bot.user, bot.name) == (user, "Reception")
    assert [b["uuid"] for b in calls["list bots"]["body"]["bots"]] == [bot.uuid]
    assert calls["upload file"]["body"]["filesUploaded"] == 1
    assert sorted(f["name"] for f in calls["list files again"]["body"]["files"]) == ["faq.txt", "prices.txt"]
    assert calls["delete file"]["body"] == {"success": True, "message": "Document deleted"}
    assert list(Document.objects.values_list("name", flat=True)) == ["faq.txt"]
    assert calls["admin bots"]["body"]["totalBots"] == 1
    assert calls["admin deactivate"]["body"]["status"] == "pending"
    assert calls["admin activate"]["body"]["status"] == "activating"
    # VAPI, as the admin panel's actions asked: the assistant made at creation, deleted on deactivation, then
    # (a second activation first looks for one an earlier attempt left behind) made again.
    assert [(request.method, request.path) for request, _ in vapi.log] == [
        ("POST", "/assistant"),
        ("DELETE", f"/assistant/{ASSISTANT_ID}"),
        ("GET", "/assistant"),
        ("POST", "/assistant"),
    ]
    assert Bot.objects.get().status == BotStatus.ACTIVE
    assert page.console_log.errors() == []


def test_the_same_calls_from_another_origin_are_refused_and_write_nothing(
    signed_in, live_server, other_origin, vapi, media
):
    user = UserFactory()
    bot = BotFactory(user=user, active=True, rag_enabled=True, rag_source_type="FILES", name="Reception")
    document = DocumentFactory(bot=bot, name="faq.txt")
    before = list(Bot.objects.values()), list(Document.objects.values())
    page = new_page(signed_in(user))
    network = watch_network(page)

    page.goto(other_origin)
    calls = replay(page, userId=user.pk, botUuid=bot.uuid, documentId=document.pk)

    assert list(calls) == ALL_CALLS
    # The page reads nothing of ours: every call fails as CORS forbids it (no Access-Control-Allow-Origin).
    assert {name: "status" in call for name, call in calls.items()} == dict.fromkeys(ALL_CALLS, False)
    assert all(call["error"] == "TypeError: Failed to fetch" for call in calls.values()), calls
    # What reached our server, as Chromium saw it.
    api: dict[tuple[str, str], list[dict]] = {}
    for entry in network.values():
        if entry.get("url", "").startswith(live_server.url + "/api/"):
            api.setdefault((entry["method"], entry["url"].removeprefix(live_server.url)), []).append(entry)
    # The multipart posts need no preflight: they came with the cookie (same site), and our check refused them.
    for key in [("POST", "/api/bots/create"), ("POST", f"/api/bots/{bot.uuid}/files")]:
        [entry] = api[key]
        assert entry["status"] == 403, key
        assert entry["headers"]["origin"] == other_origin
        assert entry["headers"]["sec-fetch-site"] == "same-site"
        assert "__session=" in entry["headers"]["cookie"]
    # The JSON posts and the DELETE need one, which CORS answers without allowing the origin: never sent.
    for key, times in [(("DELETE", f"/api/bots/{bot.uuid}/documents/{document.pk}"), 1), (("POST", ADMIN), 2)]:
        assert [preflight["status"] for preflight in api[("OPTIONS", key[1])]] == [200] * times
        assert [set(entry) for entry in api[key]] == [{"method", "url"}] * times, key
    # The reads were answered (a GET changes nothing), but the page could not read them (above).
    assert {entry["status"] for (method, _), entries in api.items() if method == "GET" for entry in entries} == {200}

    # The JSON post forged as a simple request (text/plain, no preflight): sent with the cookie, refused.
    assert page.evaluate("(uuid) => window.forgeActivation(uuid)", bot.uuid) == "opaque"
    [forged] = wait_until(
        lambda: [
            e for e in network.values() if e.get("method") == "POST" and "status" in e and e["url"].endswith(ADMIN)
        ],
        message="the forged activation's answer",
    )
    assert forged["status"] == 403
    assert forged["headers"]["content-type"] == "text/plain"
    assert "__session=" in forged["headers"]["cookie"]

    # A plain form, posted as a top-level navigation (the Lax cookie follows it too): refused, in the envelope.
    with page.expect_navigation() as navigation:
        page.evaluate("() => window.postCreateForm()")
    response = navigation.value
    assert response.status == 403
    assert response.json() == {
        "success": False,
        "error": f"CSRF failed: Origin checking failed - {other_origin} does not match any trusted origins.",
    }

    # Nothing written: the rows as they were, no file stored, VAPI never asked.
    assert (list(Bot.objects.values()), list(Document.objects.values())) == before
    assert not media.exists() or not any(media.rglob("*"))
    assert vapi.log == []
