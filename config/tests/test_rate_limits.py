"""Rate limits per client address (accounts/ratelimit.py): every route that answers without a sign-in is limited,
valid webhook deliveries never are, and a client cannot get a new allowance by writing X-Forwarded-For."""

from __future__ import annotations

import json
import logging
import os
import threading

import pytest
import redis
from django.db import connections

from accounts.tests.test_webhooks import signed_headers
from bots.tests.factories import BotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_rate_limit_clock")]

VAPI_SECRET = "vapi-secret-for-the-rate-limit-tests"
# Database 12 of the local Redis is this module's: emptied before and after each test that uses it.
REDIS_URL = os.environ.get("TEST_RATE_LIMIT_REDIS_URL", "redis://127.0.0.1:6379/12")


def limit(settings, **rates):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, **rates}


def statuses(client, path, times, method="get", **kwargs):
    return [getattr(client, method)(path, **kwargs).status_code for _ in range(times)]


@pytest.fixture
def bot(db):
    return BotFactory(active=True)


# --- The widget's and the legacy contract's public routes ------------------------------------------------------


def test_the_legacy_status_and_config_routes_are_limited(client, bot, settings):
    limit(settings, widget="3/min")

    assert statuses(client, f"/api/bots/status/{bot.uuid}", 4) == [200, 200, 200, 429]
    refused = client.get("/api/config")  # the same allowance: the widget's requests share one count

    assert refused.status_code == 429
    body = refused.json()
    assert body == {"success": False, "error": "Too many requests", "retryAfter": body["retryAfter"]}
    assert 1 <= body["retryAfter"] <= 60
    assert refused["Retry-After"] == str(body["retryAfter"])


def test_a_refusal_carries_the_cors_headers_the_widget_needs_to_read_it(client, bot, settings):
    limit(settings, widget="1/min")
    client.get(f"/api/widget/{bot.uuid}/config")

    refused = client.get(f"/api/widget/{bot.uuid}/config", headers={"Origin": "https://customer.example"})

    assert refused.status_code == 429
    assert refused["Access-Control-Allow-Origin"] == "https://customer.example"


def test_each_address_has_its_own_allowance(client, bot, settings):
    limit(settings, widget="2/min")
    path = f"/api/bots/status/{bot.uuid}"

    assert statuses(client, path, 3, REMOTE_ADDR="198.51.100.7") == [200, 200, 429]
    assert statuses(client, path, 3, REMOTE_ADDR="198.51.100.8") == [200, 200, 429]


def test_a_new_x_forwarded_for_does_not_reset_the_allowance(client, bot, settings):
    """Behind one proxy, a client that writes a new X-Forwarded-For value each time is still the address the
    proxy appended, and counted as one."""
    settings.TRUSTED_PROXY_COUNT = 1
    limit(settings, widget="3/min")
    path = f"/api/bots/status/{bot.uuid}"

    answers = [
        client.get(path, headers={"X-Forwarded-For": f"203.0.113.{n}, 198.51.100.7"}).status_code for n in range(6)
    ]

    assert answers == [200, 200, 200, 429, 429, 429]
    assert client.get(path, headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 200  # another client


def test_ipv6_clients_are_counted_per_64(client, bot, settings):
    limit(settings, widget="2/min")
    path = f"/api/bots/status/{bot.uuid}"

    answers = [client.get(path, REMOTE_ADDR=f"2001:db8:1:2::{n:x}").status_code for n in range(1, 4)]

    assert answers == [200, 200, 429]
    assert client.get(path, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_the_owners_patch_of_a_status_is_not_the_widgets(client_for, user, settings):
    limit(settings, widget="1/min")
    bot = BotFactory(user=user)
    owner = client_for(user)

    answers = [
        owner.patch(f"/api/bots/status/{bot.uuid}", {"vapiAssistantId": f"asst_{n}"}, format="json").status_code
        for n in range(3)
    ]

    assert answers == [200, 200, 200]


# --- Probes ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/health", "/api/ready"])
def test_health_and_readiness_have_their_own_generous_limit(client, settings, path):
    limit(settings, probe="3/min", anonymous="1/min")

    assert statuses(client, path, 4) == [200, 200, 200, 429]


# --- Everything else that answers without a sign-in ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/sign-in", "/sign-up", "/test-embed", "/admin/login/", "/no-such-page"])
def test_pages_are_limited_for_anonymous_visitors_with_a_page(client, settings, path):
    limit(settings, anonymous="2/min")
    client.get(path)
    client.get(path)

    refused = client.get(path)

    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("text/html")
    page = refused.content.decode()
    assert "<h1>Too many requests</h1>" in page
    assert 'class="site-header"' in page  # the product's layout
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_the_sign_in_form_is_limited(client, settings, staff_user):
    limit(settings, anonymous="2/min")
    form = {"username": staff_user.email, "password": "wrong"}

    assert statuses(client, "/sign-in", 3, method="post", data=form) == [200, 200, 429]


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/no-such-route", "/api/bots/list"])
def test_anonymous_api_requests_are_limited_with_the_json_envelope(client, settings, path):
    limit(settings, anonymous="1/min")
    client.get(path)

    refused = client.get(path)

    assert refused.status_code == 429
    assert refused.json()["error"] == "Too many requests"
    assert int(refused["Retry-After"]) == refused.json()["retryAfter"]


def test_signed_in_users_do_not_count_as_anonymous(client_for, client, user, settings):
    limit(settings, anonymous="1/min")
    api = client_for(user)
    client.force_login(user)

    assert statuses(api, "/api/bots/list", 3) == [200, 200, 200]
    assert statuses(client, "/dashboard", 3) == [200, 200, 200]
    assert statuses(client, "/", 3) == [200, 200, 200]


def test_a_forged_token_counts_once_refused(api_client, settings):
    """A bearer token is checked by DRF in the view: one that fails counts as anonymous, after its 401."""
    limit(settings, anonymous="2/min")
    api_client.credentials(HTTP_AUTHORIZATION="Bearer forged.token.value")

    assert statuses(api_client, "/api/bots/list", 3) == [401, 401, 429]
    assert statuses(api_client, "/api/no-such-route", 1) == [429]


# --- Webhooks: refusals only --------------------------------------------------------------------------------------


@pytest.fixture
def vapi_secret(settings):
    settings.VAPI_WEBHOOK_SECRET = VAPI_SECRET
    settings.VAPI_WEBHOOK_PREVIOUS_SECRETS = [VAPI_SECRET]  # sent as it is: the shared secret of older assistants


def vapi(client, path, secret, body=None):
    headers = {"x-vapi-secret": secret} if secret else {}
    body = body or {"message": {"type": "speech-update", "status": "started"}}
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def test_valid_vapi_deliveries_are_never_limited(client, settings, vapi_secret):
    limit(settings, webhook="2/min", anonymous="2/min")

    answers = [vapi(client, "/api/vapi/webhook", VAPI_SECRET).status_code for _ in range(20)]

    assert answers == [200] * 20


@pytest.mark.parametrize("path", ["/api/vapi/webhook", "/api/vapi/knowledge-base"])
def test_refused_vapi_requests_are_limited_and_valid_ones_still_pass(client, settings, vapi_secret, path):
    limit(settings, webhook="2/min")

    refused = [vapi(client, path, "wrong").status_code for _ in range(3)] + [vapi(client, path, None).status_code]

    assert refused == [401, 401, 429, 429]
    assert vapi(client, path, VAPI_SECRET).status_code != 429  # credentials first: a valid one is never held back


def test_refused_clerk_deliveries_are_limited_and_signed_ones_still_pass(client, settings):
    limit(settings, webhook="2/min")
    body = json.dumps({"type": "user.deleted", "data": {"id": "user_unknown", "deleted": True}})
    forged = {**signed_headers(body), "svix-signature": "v1,AAAA"}

    refused = [
        client.post("/api/webhooks/clerk", body, content_type="application/json", headers=forged).status_code
        for _ in range(3)
    ]
    signed = client.post("/api/webhooks/clerk", body, content_type="application/json", headers=signed_headers(body))

    assert refused == [400, 400, 429]
    assert signed.status_code == 200


# --- The shared cache -----------------------------------------------------------------------------------------


@pytest.fixture
def shared_cache(settings):
    """The default cache on the local Redis (database 12, emptied), as with CACHE_URL."""
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    server.flushdb()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    yield server
    server.flushdb()
    server.close()


def test_concurrent_requests_are_counted_exactly_in_the_shared_cache(shared_cache, settings):
    """Eight clients at once (each thread its own Redis connection, as each web process has) send 200 requests
    from one address: exactly the limit is let through, none lost to a concurrent update."""
    from django.test import Client

    limit(settings, widget="100/min")
    answers: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        client = Client()
        try:
            for _ in range(25):
                status = client.get("/api/vapi/navigation").status_code
                with lock:
                    answers.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [200] * 100 + [429] * 100
    assert len(shared_cache.keys("*rl:*")) == 1  # one count, in Redis, for every connection


def test_a_cache_that_does_not_answer_lets_requests_through(client, settings, closed_port, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    limit(settings, probe="1/min", anonymous="1/min")

    with caplog.at_level(logging.WARNING, logger="accounts.ratelimit"):
        assert statuses(client, "/api/health", 3) == [200, 200, 200]
        assert statuses(client, "/sign-in", 2) == [200, 200]

    assert "Rate limits: the cache did not answer (ConnectionError)" in caplog.text
