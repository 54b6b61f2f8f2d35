"""The Procfile's web process as production runs it: gunicorn, DEBUG off, PostgreSQL, collected static files
served by whitenoise with far-future caching."""

from __future__ import annotations

import re
import secrets
import sys

import pytest
from django.db import connection

from config.tests.processes import free_port, manage, serving

# django_db: so that pytest-django sets the test database up even when this module runs alone.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def _database_url() -> str:
    db = connection.settings_dict  # the test database (test_…), already migrated
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


WEBHOOK_KEY = "production-webhook-key-0123456789"


@pytest.fixture(scope="module")
def production_server(django_db_setup, tmp_path_factory):
    """One gunicorn for the module, on the (migrated) test database."""
    tmp_path = tmp_path_factory.mktemp("production")
    env = {
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "bots.example.com",
        "BEHIND_PROXY": "true",
        "STATIC_ROOT": str(tmp_path / "static"),
        "VAPI_WEBHOOK_SECRET": WEBHOOK_KEY,
    }
    collected = manage("collectstatic", "--noinput", "-v", "0", **env)
    assert collected.returncode == 0, collected.stderr

    port = free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    # What the TLS-terminating proxy in front of it sends.
    proxy_headers = {"Host": "bots.example.com", "X-Forwarded-Proto": "https"}
    with serving(gunicorn, port=port, headers=proxy_headers, **env) as client:
        yield client


def test_gunicorn_serves_health_admin_and_hashed_static_files(production_server):
    health = production_server.get("/api/health")
    assert health.status_code == 200
    assert health.json()["environment"]["nodeEnv"] == "production"

    login = production_server.get("/admin/login/")
    assert login.status_code == 200
    assert login.headers["strict-transport-security"].startswith("max-age=31536000")
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login.text).group(1)

    css = production_server.get(stylesheet)
    assert css.status_code == 200
    assert "max-age=315360000" in css.headers["cache-control"]  # whitenoise: immutable, hashed name


def test_plain_http_is_redirected_to_https_except_the_health_probe(production_server):
    plain = {"X-Forwarded-Proto": "http"}

    assert production_server.get("/admin/login/", headers=plain).status_code == 301
    assert production_server.get("/api/health", headers=plain).status_code == 200


def test_unknown_host_is_refused(production_server):
    assert production_server.get("/api/health", headers={"Host": "evil.example"}).status_code == 400


def test_a_long_calls_report_passes_gunicorn(production_server):
    """VAPI's routes read up to VAPI_WEBHOOK_MAX_MB (20 MB) where every other route keeps Django's 2.5 MB: through
    gunicorn, a 6 MB end-of-call report is read and answered (for a bot that does not exist: nothing to write). The
    413 beyond the bound is analytics/tests/test_webhook.py's."""
    import json

    from bots.vapi import bot_secret

    headers = {"x-vapi-secret": bot_secret("00000000-0000-4000-8000-000000000000", WEBHOOK_KEY)}
    report = {
        "message": {
            "type": "end-of-call-report",
            "endedReason": "customer-ended-call",
            "call": {"id": "call_long", "assistantId": "asst_none"},
            "artifact": {"transcript": "AI: " + "word " * (6 * 1024 * 1024 // 5)},
            "analysis": {},
        }
    }

    response = production_server.post("/api/vapi/webhook", content=json.dumps(report), headers=headers)

    assert response.status_code == 200, response.text[:300]
    assert response.json()["outcome"] == "unknown assistant"
