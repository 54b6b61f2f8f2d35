"""The signed-in user's route, Clerk's webhook and the probes answer what the OpenAPI schema documents."""

from __future__ import annotations

import pytest

from accounts.tests.schema import api_schema, assert_documented
from accounts.tests.test_webhooks import deliver, user_event
from config.monitoring import readiness

URL = "/api/webhooks/clerk"


@pytest.mark.django_db
def test_me(api_client, client_for, user):
    assert_documented(client_for(user).get("/api/me"), "GET", "/api/me")
    assert_documented(api_client.get("/api/me"), "GET", "/api/me")


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["user.created", "user.deleted", "session.created"])
def test_a_clerk_event(client, kind):
    response = deliver(client, user_event(kind))

    assert response.status_code == 200
    assert_documented(response, "POST", URL)


@pytest.mark.django_db
def test_a_clerk_event_refused_or_not_configured(client, settings):
    assert_documented(client.post(URL, "{}", content_type="application/json"), "POST", URL)
    settings.CLERK_WEBHOOK_SECRET = ""
    assert_documented(deliver(client, user_event("user.created")), "POST", URL)


def test_the_clerk_webhook_documents_what_it_reads():
    operation = api_schema().raw_schema["paths"][URL]["post"]

    assert {(p["in"], p["name"], p["required"]) for p in operation["parameters"]} == {
        ("header", "svix-id", True),
        ("header", "svix-timestamp", True),
        ("header", "svix-signature", True),
    }
    body = api_schema().raw_schema["components"]["schemas"]["ClerkEventInputRequest"]
    assert body["required"] == ["type"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/health", "/api/ready"])
def test_the_probes(client, path):
    readiness.forget_migration_check()
    assert_documented(client.get(path), "GET", path)


@pytest.mark.parametrize("path", ["/api/health", "/api/ready"])
def test_the_probes_when_the_database_does_not_answer(client, database_at_closed_port, path):
    readiness.forget_migration_check()
    response = client.get(path)

    assert response.status_code == 503
    assert_documented(response, "GET", path)
