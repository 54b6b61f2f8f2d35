"""Writes signed in by Clerk's ``__session`` cookie (accounts/authentication.py): accepted when the browser proves
that our own origin sent them (``Origin``, or ``Sec-Fetch-Site: same-origin``) or when they carry Django's CSRF
token; refused (403, the error envelope, nothing written) when they come from another origin or prove nothing.
Bearer tokens are not concerned.

The clients here enforce CSRF checks (``enforce_csrf_checks=True``): Django's test client otherwise asks for none,
and the check honours that as Django does. The test client's own origin is ``http://testserver``."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from bots.models import Bot, BotStatus
from bots.tests.factories import BotFactory
from documents.models import Document
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

OURS = "http://testserver"
ELSEWHERE = "https://evil.example"
CONFIG = {
    "botName": "Reception",
    "welcomeMessage": "Hello! How can I help?",
    "systemPrompt": "You are the receptionist of Example Inc.",
    "ragEnabled": True,
    "ragSourceType": "files",
}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def browser_for(make_token):
    """``browser_for(user)``: a client that, like the original frontend in a browser, sends Clerk's cookie (and no
    Authorization header), with Django's CSRF checks on."""

    def make(user) -> APIClient:
        client = APIClient(enforce_csrf_checks=True)
        client.cookies["__session"] = make_token(user)
        return client

    return make


def with_csrf_token(client) -> str:
    """Django's CSRF cookie for ``client``, as our pages set it (the sign-in page, fetched signed out), and its
    token for the X-CSRFToken header."""
    token = Client().get("/sign-in").cookies["csrftoken"].value
    client.cookies["csrftoken"] = token
    return token


def create(client, **headers):
    data = {
        "config": json.dumps(CONFIG),
        "file_0": SimpleUploadedFile("faq.txt", b"Opening hours: 9 to 5.", content_type="text/plain"),
    }
    return client.post("/api/bots/create", data, format="multipart", headers=headers)


def refused(response) -> str:
    assert response.status_code == 403, response.content
    body = response.json()
    assert set(body) == {"success", "error"}
    assert body["success"] is False
    assert body["error"].startswith("CSRF failed: ")
    return body["error"]


# --- Same origin: accepted without a token ---------------------------------------------------------------------


def test_a_same_origin_write_needs_no_csrf_token(browser_for, user, media):
    # Before the change: 403 "CSRF failed: CSRF cookie not set." (the report).
    response = create(browser_for(user), Origin=OURS, **{"Sec-Fetch-Site": "same-origin"})

    assert response.status_code == 200, response.content
    bot = Bot.objects.get()
    assert (bot.user, bot.name) == (user, "Reception")
    assert list(Document.objects.values_list("name", flat=True)) == ["faq.txt"]


def test_origin_alone_proves_it(browser_for, user, media):
    assert create(browser_for(user), Origin=OURS).status_code == 200


def test_fetch_metadata_alone_proves_it(browser_for, user, media):
    # A browser that sends Sec-Fetch-Site but no Origin (none does for a POST today, but the rule stands alone).
    assert create(browser_for(user), **{"Sec-Fetch-Site": "same-origin"}).status_code == 200


def test_a_first_request_from_our_origin_creates_the_user(browser_for, media):
    # Clerk's user is new to us: the accepted write creates their row, as a read would.
    assert create(browser_for("user_2newcomer"), Origin=OURS).status_code == 200

    assert Bot.objects.get().user_id == "user_2newcomer"


@pytest.mark.parametrize(
    "trusted",
    ["https://app.example.com", "https://*.example.com"],
    ids=["exact", "subdomain wildcard"],
)
def test_a_trusted_origin_is_accepted_even_same_site(browser_for, user, media, settings, trusted):
    # The frontend on a sibling subdomain, named in CSRF_TRUSTED_ORIGINS (Django's syntax, wildcards included).
    settings.CSRF_TRUSTED_ORIGINS = [trusted]

    response = create(browser_for(user), Origin="https://app.example.com", **{"Sec-Fetch-Site": "same-site"})

    assert response.status_code == 200, response.content


# --- Another origin: refused, nothing written ------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": ELSEWHERE},
        {"Origin": ELSEWHERE, "Sec-Fetch-Site": "cross-site"},
        # A page on another subdomain (or port) of our site: the SameSite=Lax cookie is sent, Origin is not ours.
        {"Origin": "http://other.testserver", "Sec-Fetch-Site": "same-site"},
        {"Origin": "http://testserver:8443", "Sec-Fetch-Site": "same-site"},
        # Another scheme is another origin (a page over plain HTTP must not write to the HTTPS site).
        {"Origin": "https://testserver"},
        # Sandboxed frames, redirects across origins, data: URLs.
        {"Origin": "null"},
        # A browser that says "same-origin" while Origin names another: Origin is the finer-grained, it wins.
        {"Origin": ELSEWHERE, "Sec-Fetch-Site": "same-origin"},
        # Fetch Metadata without Origin.
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
    ids=[
        "other origin",
        "other origin, cross-site",
        "other subdomain, same-site",
        "other port, same-site",
        "other scheme",
        "null origin",
        "contradictory",
        "cross-site only",
        "same-site only",
    ],
)
def test_a_write_from_another_origin_is_refused_and_writes_nothing(browser_for, media, headers):
    response = create(browser_for("user_2victim"), **headers)

    error = refused(response)
    assert "Origin" in error or "Sec-Fetch-Site" in error
    assert not Bot.objects.exists()
    assert not Document.objects.exists()
    assert not User.objects.exists()  # refused before the user row is made
    assert not media.exists() or not any(media.rglob("*"))


def test_the_refusal_says_which_origin_and_wins_over_a_csrf_token(browser_for, user, media):
    # As in Django: a bad Origin is refused before any token is looked at (a token can leak; Origin cannot lie).
    client = browser_for(user)
    token = with_csrf_token(client)

    response = create(client, Origin=ELSEWHERE, **{"X-CSRFToken": token})

    assert refused(response) == (
        "CSRF failed: Origin checking failed - https://evil.example does not match any trusted origins."
    )
    assert not Bot.objects.exists()


def test_the_refusal_is_logged_with_both_origins_and_never_the_token(browser_for, make_token, user, media, caplog):
    client = APIClient(enforce_csrf_checks=True)
    token = make_token(user)
    client.cookies["__session"] = token

    with caplog.at_level(logging.WARNING, logger="accounts.authentication"):
        refused(create(client, Origin=ELSEWHERE))

    [record] = [r for r in caplog.records if r.name == "accounts.authentication"]
    assert record.getMessage() == (
        "Refused a cookie-authenticated POST /api/bots/create from origin 'https://evil.example': this site is "
        "'http://testserver' and it is not in CSRF_TRUSTED_ORIGINS"
    )
    assert token not in caplog.text


@pytest.fixture
def rag_bot(user):
    return BotFactory(user=user, active=True, rag_enabled=True, rag_source_type="FILES")


def owner_writes(bot, document):
    """(method, path, body, format) of every write the original frontend and our API make with the cookie."""
    upload = {"file_0": SimpleUploadedFile("prices.md", b"# Prices", content_type="text/markdown")}
    return [
        ("post", f"/api/bots/{bot.uuid}/files", upload, "multipart"),
        ("delete", f"/api/bots/{bot.uuid}/documents/{document.pk}", None, None),
        ("post", "/api/admin/activate-bot", {"botUuid": bot.uuid, "action": "deactivate"}, "json"),
        ("patch", f"/api/bots/status/{bot.uuid}", {"vapiAssistantId": "asst_linked"}, "json"),
        ("patch", f"/api/bots/{bot.uuid}", {"name": "Renamed"}, "json"),
        ("delete", f"/api/bots/{bot.uuid}", None, None),
    ]


def bot_state(bot):
    bot.refresh_from_db()
    return (bot.name, bot.status, bot.vapi_assistant_id, list(bot.documents.values_list("name", flat=True)))


def test_every_cookie_write_of_the_api_is_refused_from_another_origin(browser_for, user, rag_bot, media):
    document = DocumentFactory(bot=rag_bot, name="faq.txt")
    before = bot_state(rag_bot)
    client = browser_for(user)

    for method, path, body, fmt in owner_writes(rag_bot, document):
        kwargs = {"headers": {"Origin": "http://other.testserver", "Sec-Fetch-Site": "same-site"}}
        if body is not None:
            kwargs.update(data=body, format=fmt)
        refused(getattr(client, method)(path, **kwargs))

    assert bot_state(rag_bot) == before
    assert rag_bot.status == BotStatus.ACTIVE


def test_every_cookie_write_of_the_api_is_accepted_from_our_origin(browser_for, user, rag_bot, media):
    document = DocumentFactory(bot=rag_bot, name="faq.txt")
    client = browser_for(user)

    statuses = []
    for method, path, body, fmt in owner_writes(rag_bot, document):
        kwargs = {"headers": {"Origin": OURS, "Sec-Fetch-Site": "same-origin"}}
        if body is not None:
            kwargs.update(data=body, format=fmt)
        statuses.append((method, path, getattr(client, method)(path, **kwargs).status_code))

    assert [status for *_, status in statuses] == [200] * len(statuses), statuses
    assert not Bot.objects.exists()  # the last write deleted it


def test_reads_are_not_concerned(browser_for, user, rag_bot):
    # A safe method changes nothing: where it comes from does not matter here (CORS decides who may read it).
    response = browser_for(user).get("/api/bots/list", headers={"Origin": ELSEWHERE, "Sec-Fetch-Site": "cross-site"})

    assert response.status_code == 200
    assert response.json()["count"] == 1


# --- Unproven: Django's CSRF token, as before ------------------------------------------------------------------


@pytest.mark.parametrize("fetch_site", [None, "none", "something-new"])
def test_a_write_that_proves_nothing_is_refused(browser_for, user, media, fetch_site):
    headers = {"Sec-Fetch-Site": fetch_site} if fetch_site else {}

    response = create(browser_for(user), **headers)

    assert refused(response).startswith("CSRF failed: CSRF cookie not set. ")
    assert not Bot.objects.exists()


def test_django_csrf_token_still_works_without_origin(browser_for, user, media):
    # Our own pages' way: the CSRF cookie and its token in X-CSRFToken (htmx sends it so).
    client = browser_for(user)
    token = with_csrf_token(client)

    response = create(client, **{"X-CSRFToken": token})

    assert response.status_code == 200, response.content


def test_a_wrong_csrf_token_is_still_refused(browser_for, user, media):
    client = browser_for(user)
    with_csrf_token(client)

    response = create(client, **{"X-CSRFToken": "x" * 64})

    assert refused(response).startswith("CSRF failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect. ")
    assert not Bot.objects.exists()


# --- Behind a TLS-terminating proxy: this site's origin is the one the proxy was asked for ------------------


@pytest.fixture
def behind_proxy(settings):
    """As settings.py sets BEHIND_PROXY=true: the proxy's X-Forwarded-Proto and -Host are trusted."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.USE_X_FORWARDED_HOST = True
    settings.ALLOWED_HOSTS = ["bots.example.com"]


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "bots.example.com"}


def test_behind_the_proxy_our_public_origin_is_accepted(browser_for, user, media, behind_proxy):
    response = create(browser_for(user), Origin="https://bots.example.com", **FORWARDED)

    assert response.status_code == 200, response.content


def test_behind_the_proxy_the_plain_http_origin_is_refused(browser_for, user, media, behind_proxy):
    refused(create(browser_for(user), Origin="http://bots.example.com", **FORWARDED))


def test_without_the_proxy_settings_forwarded_headers_are_not_believed(browser_for, user, media):
    # Reachable directly (BEHIND_PROXY off): anyone could send X-Forwarded-*; the request is plain HTTP to "testserver".
    response = create(browser_for(user), Origin="https://bots.example.com", **FORWARDED)

    refused(response)
    assert not Bot.objects.exists()


# --- Bearer tokens: not concerned -------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [ELSEWHERE, None])
def test_bearer_writes_are_not_concerned(client_for, user, media, origin):
    # A browser never sends a bearer token by itself: whoever holds one is the user's own client.
    client = client_for(user)
    client.handler.enforce_csrf_checks = True
    client.cookies["__session"] = "not even a token"  # the header wins over the cookie

    response = create(client, **({"Origin": origin, "Sec-Fetch-Site": "cross-site"} if origin else {}))

    assert response.status_code == 200, response.content
