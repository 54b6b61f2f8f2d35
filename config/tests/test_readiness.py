"""GET /api/ready: database, migrations, and the broker when one is configured; 503 naming the failed check."""

from __future__ import annotations

import os
import socket
import time

import pytest
from django.db import connection

from config.monitoring import readiness

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def _migrations_checked_afresh():
    readiness.forget_migration_check()
    yield
    readiness.forget_migration_check()


@pytest.fixture
def broker_settings(settings):
    settings.CELERY_BROKER_URL = REDIS_URL  # the local test Redis (scripts/test starts it)
    settings.READINESS_BROKER_TIMEOUT = 1.0
    return settings


def _assert_never_cached(response) -> None:
    assert "no-store" in response["Cache-Control"]
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_when_everything_answers(client, broker_settings):
    response = client.get("/api/ready")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    _assert_never_cached(response)
    body = response.json()
    embeddings = body.pop("embeddings")  # information (documents/tests/test_embeddings.py), not a check
    assert body == {
        "success": True,
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "broker": "ok"},
    }
    assert embeddings["model"] == "all-MiniLM-L6-v2"
    assert embeddings["available"] is True


@pytest.mark.django_db
def test_without_a_broker_the_broker_is_not_checked(client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/api/ready")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "not configured"


def test_not_ready_when_the_database_does_not_answer(client, settings, database_at_closed_port):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/api/ready")

    assert response.status_code == 503
    _assert_never_cached(response)
    assert response["Retry-After"] == str(settings.API_RETRY_AFTER_SECONDS)
    body = response.json()
    assert body.pop("embeddings")["available"] is True
    assert body == {
        "success": False,
        "error": "Not ready: database",
        "status": "not ready",
        "checks": {"database": "failed", "migrations": "skipped", "broker": "not configured"},
    }
    assert str(database_at_closed_port) not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_not_ready_while_a_migration_is_unapplied(client, settings):
    settings.CELERY_BROKER_URL = ""
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute(
            "DELETE FROM django_migrations WHERE id = (SELECT max(id) FROM django_migrations WHERE app = 'bots')"
        )

    response = client.get("/api/ready")

    assert response.status_code == 503
    assert response.json()["error"] == "Not ready: migrations"
    assert response.json()["checks"]["migrations"] == "pending"


@pytest.mark.django_db
def test_applied_migrations_are_checked_once(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""
    assert client.get("/api/ready").status_code == 200

    def must_not_plan(*args, **kwargs):
        raise AssertionError("the migrations were planned again")

    monkeypatch.setattr(readiness, "MigrationExecutor", must_not_plan)

    assert client.get("/api/ready").json()["checks"]["migrations"] == "ok"


@pytest.mark.django_db
def test_not_ready_when_the_broker_refuses_connections(client, settings, closed_port):
    settings.CELERY_BROKER_URL = f"redis://:broker-password-123@127.0.0.1:{closed_port}/0"
    settings.READINESS_BROKER_TIMEOUT = 1.0

    started = time.monotonic()
    response = client.get("/api/ready")

    assert time.monotonic() - started < 1  # one attempt, no retry with backoff
    assert response.status_code == 503
    assert response.json()["error"] == "Not ready: broker"
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "broker": "failed"}
    page = response.content.decode()
    assert "broker-password-123" not in page
    assert str(closed_port) not in page


@pytest.fixture
def silent_port():
    """A local port that accepts connections (the kernel's backlog) and never answers: a hung broker."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.mark.django_db
def test_a_hung_broker_fails_within_the_timeout(client, settings, silent_port):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent_port}/0"
    settings.READINESS_BROKER_TIMEOUT = 0.5

    started = time.monotonic()
    response = client.get("/api/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "failed"
    assert time.monotonic() - started < 3


@pytest.mark.django_db
def test_several_failures_are_all_named(client, settings, closed_port, monkeypatch):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
    monkeypatch.setattr(readiness, "migrations_applied", lambda: False)

    assert client.get("/api/ready").json()["error"] == "Not ready: migrations, broker"


def test_the_route_is_exempt_from_the_https_redirect(settings):
    assert r"^api/ready$" in settings.SECURE_REDIRECT_EXEMPT
