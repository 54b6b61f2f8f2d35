"""Cross-origin requests: any origin only on the widget's public routes, for the methods the widget uses there;
every other route, and the owner's methods on the widget's paths, answer only CORS_ALLOWED_ORIGINS."""

from __future__ import annotations

import pytest

from bots.tests.factories import BotFactory

pytestmark = pytest.mark.django_db

CUSTOMER = "https://customer.example"
FRONTEND = "https://app.example.test"
SESSION_ID = "session_1700000000000_deadbeefdeadbeef"


@pytest.fixture(autouse=True)
def frontend(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]


@pytest.fixture
def bot(user):
    return BotFactory(user=user, active=True)


def widget_requests(bot):
    """(method, path, body) of every call the widget (public/js/external-chatbot-voice.js) and the legacy contract's
    public routes make."""
    return [
        ("get", f"/api/widget/{bot.uuid}/config", None),
        ("get", f"/api/bots/status/{bot.uuid}", None),
        ("get", "/api/config", None),
        ("post", "/api/analytics/sessions", {"botUuid": bot.uuid}),
        ("post", f"/api/analytics/sessions/{SESSION_ID}/interaction", None),
        ("post", f"/api/analytics/sessions/{SESSION_ID}/end", None),
        ("get", "/api/vapi/navigation", None),
        ("post", "/api/vapi/navigation", {"url": "https://customer.example/pricing"}),
    ]


def owner_requests(bot):
    return [
        ("patch", f"/api/bots/status/{bot.uuid}", {"vapiAssistantId": "asst_linked"}),
        ("get", "/api/analytics/sessions", None),
        ("get", "/api/bots/list", None),
        ("get", "/api/analytics/overview", None),
        ("get", f"/api/bots/{bot.uuid}", None),
    ]


def send(client, method, path, body, origin):
    kwargs = {"headers": {"Origin": origin}}
    if body is not None:
        kwargs.update(data=body, format="json")
    return getattr(client, method)(path, **kwargs)


def preflight(client, method, path, origin):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method.upper(),
            "Access-Control-Request-Headers": "content-type",
        },
    )


def test_the_widgets_calls_answer_any_origin(api_client, bot):
    for method, path, body in widget_requests(bot):
        response = send(api_client, method, path, body, CUSTOMER)

        assert response.status_code < 500, (method, path)
        assert response["Access-Control-Allow-Origin"] == CUSTOMER, (method, path)
        assert "origin" in response["Vary"].lower()


def test_the_widgets_preflights_answer_any_origin(api_client, bot):
    for method, path, _ in widget_requests(bot):
        response = preflight(api_client, method, path, CUSTOMER)

        assert response.status_code == 200, (method, path)
        assert response["Access-Control-Allow-Origin"] == CUSTOMER, (method, path)
        assert method.upper() in response["Access-Control-Allow-Methods"]
        assert "content-type" in response["Access-Control-Allow-Headers"]


def test_the_owners_routes_answer_no_other_origin(client_for, user, bot):
    """The owner's PATCH of a bot's status and GET of the sessions report share their paths with public routes:
    a page on another origin must not read them with a token it got hold of (nor make a browser send them)."""
    client = client_for(user)

    for method, path, body in owner_requests(bot):
        response = send(client, method, path, body, CUSTOMER)

        assert response.status_code == 200, (method, path, response.content)
        assert "Access-Control-Allow-Origin" not in response, (method, path)


def test_the_owners_preflights_answer_no_other_origin(api_client, bot):
    for method, path, _ in owner_requests(bot):
        response = preflight(api_client, method, path, CUSTOMER)

        assert "Access-Control-Allow-Origin" not in response, (method, path)


def test_the_frontends_origin_may_call_every_route(client_for, user, bot):
    client = client_for(user)

    for method, path, body in [*owner_requests(bot), *widget_requests(bot)]:
        assert send(client, method, path, body, FRONTEND)["Access-Control-Allow-Origin"] == FRONTEND, (method, path)
        assert preflight(client, method, path, FRONTEND)["Access-Control-Allow-Origin"] == FRONTEND, (method, path)


def test_no_origin_is_answered_outside_the_api(api_client, db):
    for path in ("/", "/sign-in", "/api-not-a-route", "/test-embed"):
        assert "Access-Control-Allow-Origin" not in api_client.get(path, headers={"Origin": CUSTOMER})


def test_every_public_route_names_a_route(settings):
    from django.urls import get_resolver

    names = {name for name in get_resolver().reverse_dict if isinstance(name, str)}

    assert set(settings.PUBLIC_WIDGET_ROUTES) <= names
