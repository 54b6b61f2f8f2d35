"""Fixtures shared by every app's tests. The suite runs on PostgreSQL only (see config/test_settings.py)."""

from __future__ import annotations

import datetime
import logging
import re
import secrets
import socket

import pytest

pytest.register_assert_rewrite("accounts.tests.admin_smoke", "accounts.tests.scoping")
pytest_plugins = ["config.tests.browser"]

import jwt  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from config.monitoring.logs import ContextFilter  # noqa: E402
from config.tests.outages import database_unreachable  # noqa: E402

TEST_KEY_ID = "ins_test"
WEBHOOK_SECRET = "whsec_" + "dGVzdC13ZWJob29rLXNlY3JldC0zMi1ieXRlcyEhIQ=="


def pytest_sessionstart(session: pytest.Session) -> None:
    if connection.vendor != "postgresql":
        pytest.exit(
            "The test suite runs on PostgreSQL, not "
            f"{connection.vendor}: run `bash scripts/test`, or set DATABASE_URL=postgres://… before pytest.",
            returncode=3,
        )


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: no rate limit counts or replica marks left by another."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def frozen_rate_limit_clock(monkeypatch):
    """The rate limits' clock stopped: their windows are fixed (aligned to the clock), and a test that straddled
    the end of one would start counting again."""
    import types

    from django_ratelimit import core

    now = core.time.time()
    monkeypatch.setattr(core, "time", types.SimpleNamespace(time=lambda: now))
    return now


# --- Clerk: a signing key of our own, configured as the verification key -------------------------------------


@pytest.fixture(scope="session")
def clerk_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(autouse=True)
def clerk_settings(settings, clerk_private_key):
    """Every test starts with Clerk configured as in production, minus the network: the PEM key is ours, no
    Backend API, no origin or issuer checks, and a known webhook secret."""
    settings.CLERK_JWT_KEY = public_pem(clerk_private_key)
    settings.CLERK_JWKS_URL = ""
    settings.CLERK_SECRET_KEY = ""
    settings.CLERK_AUTHORIZED_PARTIES = []
    settings.CLERK_ISSUER = ""
    settings.CLERK_WEBHOOK_SECRET = WEBHOOK_SECRET
    return settings


@pytest.fixture
def make_token(clerk_private_key):
    """``make_token(user_or_id, **claims)``: a Clerk-style RS256 session token; ``None`` drops a claim."""

    def make(subject, *, key=None, algorithm="RS256", headers=None, **claims) -> str:
        now = datetime.datetime.now(tz=datetime.UTC)
        payload = {
            "sub": getattr(subject, "pk", subject),
            "sid": f"sess_{secrets.token_hex(6)}",
            "iat": now,
            "nbf": now,
            "exp": now + datetime.timedelta(minutes=1),
            "iss": "https://clerk.example.test",
            "azp": "https://app.example.test",
            **claims,
        }
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(
            payload, key or clerk_private_key, algorithm=algorithm, headers={"kid": TEST_KEY_ID, **(headers or {})}
        )

    return make


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for(make_token):
    """``client_for(user)``: an API client that sends the user's session token, as the frontend does."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user)}")
        return client

    return make


# --- Users ----------------------------------------------------------------------------------------------------


@pytest.fixture
def user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def staff_user(db):
    from accounts.tests.factories import StaffUserFactory

    return StaffUserFactory()


@pytest.fixture
def staff_client(client, staff_user):
    """A test client logged into the admin as a superuser."""
    client.force_login(staff_user)
    return client


@pytest.fixture
def closed_port():
    """A local port that refuses connections: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def database_at_closed_port(django_db_blocker, closed_port):
    """The real default connection pointed at ``closed_port`` for the test: the database does not answer."""
    with django_db_blocker.unblock(), database_unreachable(closed_port):
        yield closed_port


@pytest.fixture
def blob_service(httpserver):
    """Azure Blob Storage played by a local fake (config/tests/fake_blob_service.py), for the real Azure SDK."""
    from config.tests.fake_blob_service import ACCOUNT, FakeBlobService

    service = FakeBlobService()
    httpserver.expect_request(re.compile(f"^/{ACCOUNT}/")).respond_with_handler(service)
    service.endpoint = httpserver.url_for("/")
    return service


@pytest.fixture
def azure_uploads(settings, blob_service):
    """Uploaded originals go to Azure Blob Storage, as settings.py configures it with AZURE_CONTAINER (django-storages'
    AzureStorage), in the fake above: ``blob_service.blobs`` is the container's content."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.azure_storage.AzureStorage",
            "OPTIONS": {
                "connection_string": blob_service.connection_string(blob_service.endpoint),
                "azure_container": "uploads",
                "overwrite_files": False,
                "expiration_secs": None,
            },
        },
    }
    return blob_service


@pytest.fixture
def records():
    """What the app logs during the test, through the context filter as on the real handler."""
    seen: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record)

    handler = Collect()
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield seen
    root.removeHandler(handler)


@pytest.fixture(autouse=True)
def celery_join_flag_reset():
    """Celery's eager apply_async marks "joining a result would block" in a flag global to the process (not to the
    thread) while the task runs, and restores the value it found: two threads running eager tasks at once (a live
    server's requests, say) can leave it set for good, and every later EagerResult.get() then raises "Never call
    result.get() within a task!". Each test starts with it cleared."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
