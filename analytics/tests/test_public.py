"""The widget's public routes: sessions, widget config, navigation; validation and rate limits."""

from __future__ import annotations

import re

import pytest

from analytics.models import Session
from bots.models import BotStatus
from bots.tests.factories import BotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot(db):
    return BotFactory(active=True, position="LEFT", theme="DARK", language="es")


def start(client, bot_uuid, **headers):
    return client.post(
        "/api/analytics/sessions",
        {"botUuid": bot_uuid, "userAgent": "Mozilla/5.0 (iPhone)", "ipAddress": "6.6.6.6"},
        content_type="application/json",
        headers=headers,
    )


def test_a_visitor_session_starts_without_sign_in(client, bot):
    response = start(client, bot.uuid, Origin="https://customer.example")

    assert response.status_code == 200
    body = response.json()
    assert re.fullmatch(r"session_\d{13}_[0-9a-f]{16}", body["sessionId"])
    assert body == {"success": True, "sessionId": body["sessionId"], "message": "Session tracking started"}
    session = Session.objects.get()
    assert (session.bot, session.user, session.user_agent) == (bot, bot.user, "Mozilla/5.0 (iPhone)")
    assert session.ip_address == "127.0.0.1"  # the address we saw, not the one the body claimed
    assert response["Access-Control-Allow-Origin"] == "https://customer.example"


def test_a_user_agent_header_with_a_nul_is_stored_without_it(client, bot):
    # A server in front may pass one through; PostgreSQL cannot store it (common.inputs.pg_text).
    response = client.post(
        "/api/analytics/sessions", {"botUuid": bot.uuid}, content_type="application/json", HTTP_USER_AGENT="Bot\x00/1.0"
    )

    assert response.status_code == 200
    assert Session.objects.get().user_agent == "Bot/1.0"


def test_the_address_behind_a_configured_proxy(client, bot, settings):
    settings.BEHIND_PROXY, settings.TRUSTED_PROXY_COUNT = True, 1
    settings.GEO_COUNTRY_HEADER = "CF-IPCountry"

    start(client, bot.uuid, X_Forwarded_For="203.0.113.9, 198.51.100.7", CF_IPCountry="de")

    session = Session.objects.get()
    assert (session.ip_address, session.country) == ("198.51.100.7", "DE")


def test_forwarded_headers_are_ignored_without_a_proxy(client, bot):
    start(client, bot.uuid, X_Forwarded_For="203.0.113.9", CF_IPCountry="DE")

    session = Session.objects.get()
    assert (session.ip_address, session.country) == ("127.0.0.1", None)


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"botUuid": "00000000-0000-4000-8000-000000000000"}, 404, "Bot not found"),
        ({}, 400, "botUuid: This field is required."),
        ({"botUuid": "x" * 65}, 400, "botUuid: Ensure this field has no more than 64 characters."),
    ],
)
def test_session_start_validation(client, bot, body, status, error):
    response = client.post("/api/analytics/sessions", body, content_type="application/json")

    assert response.status_code == status
    assert response.json()["error"] == error
    assert not Session.objects.exists()


@pytest.mark.parametrize("status", [BotStatus.PENDING, BotStatus.ACTIVATING, BotStatus.FAILED])
def test_a_bot_that_is_not_active_says_so(client, status):
    bot = BotFactory(status=status)

    response = start(client, bot.uuid)

    assert response.status_code == 409
    assert response.json() == {"success": False, "error": "Bot is not active"}


def test_interactions_and_end(client, bot):
    session_id = start(client, bot.uuid).json()["sessionId"]

    counts = [client.post(f"/api/analytics/sessions/{session_id}/interaction").json()["interactions"] for _ in range(3)]
    ended = client.post(f"/api/analytics/sessions/{session_id}/end", "", content_type="text/plain")  # a beacon
    again = client.post(f"/api/analytics/sessions/{session_id}/end")

    assert counts == [1, 2, 3]
    assert (ended.status_code, again.status_code) == (200, 200)
    session = Session.objects.get()
    assert session.interactions == 3
    assert session.end_time is not None
    late = client.post(f"/api/analytics/sessions/{session_id}/interaction")
    assert (late.status_code, late.json()["error"]) == (409, "Session has ended")


@pytest.mark.parametrize("session_id", ["session_1700000000000_deadbeefdeadbeef", "not-a-session", "session_1_x"])
def test_unknown_sessions_are_404(client, bot, session_id):
    assert client.post(f"/api/analytics/sessions/{session_id}/end").status_code == 404
    assert client.post(f"/api/analytics/sessions/{session_id}/interaction").status_code == 404


def test_widget_config(client, bot, settings):
    settings.VAPI_PUBLIC_KEY = "pk_public"
    settings.VAPI_PRIVATE_KEY = "sk_private"

    response = client.get(f"/api/widget/{bot.uuid}/config")

    assert response.json() == {
        "success": True,
        "bot": {
            "uuid": bot.uuid,
            "name": bot.name,
            "status": "active",
            "assistantId": bot.vapi_assistant_id,
            "welcomeMessage": bot.welcome_message,
            "language": "es",
            "position": "left",
            "theme": "dark",
        },
        "vapiPublicKey": "pk_public",
    }
    assert "sk_private" not in response.content.decode()


def test_widget_config_of_an_unknown_bot(client):
    response = client.get("/api/widget/00000000-0000-4000-8000-000000000000/config")

    assert (response.status_code, response.json()["error"]) == (404, "Bot not found")


def test_the_public_routes_are_rate_limited_per_address(client, bot, settings, frozen_rate_limit_clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "widget": "3/min"}

    statuses = [client.get(f"/api/widget/{bot.uuid}/config").status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 429, 429]
    limited = client.get(f"/api/widget/{bot.uuid}/config")
    assert limited.json()["error"] == "Too many requests"
    assert int(limited["Retry-After"]) > 0


def test_navigation_is_logged(client, bot):
    response = client.post(
        "/api/vapi/navigation",
        {"url": "https://customer.example/pricing", "command": "open pricing", "success": True, "botUuid": bot.uuid},
        content_type="application/json",
    )

    assert response.json() == {
        "success": True,
        "message": "Navigation logged successfully",
        "url": "https://customer.example/pricing",
        "command": "open pricing",
    }


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"command": "open"}, "URL is required"),
        ({"url": "javascript:alert(1)"}, "Only http and https URLs can be navigated to"),
    ],
)
def test_navigation_validation(client, body, error):
    response = client.post("/api/vapi/navigation", body, content_type="application/json")

    assert (response.status_code, response.json()["error"]) == (400, error)


def test_navigation_get_says_it_is_running(client):
    body = client.get("/api/vapi/navigation").json()

    assert body["success"] is True
    assert "running" in body["message"]
