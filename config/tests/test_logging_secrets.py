"""The acceptance test of the issue: every secret is pushed through requests, errors and outbound calls, everything
the logging system emits is captured from the real handlers and formatters (the application's LOGGING, gunicorn's
logger, Celery's task logging), and none of the secrets is in it.

A control run with the redaction filter switched off shows that the same scenario does put every secret into the
logs: the test fails when redaction breaks, and it is not passing because nothing was logged.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import logging
import logging.config
import secrets
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import quote

import httpx
import pytest
from celery import shared_task
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.db import OperationalError, connections

from common import redaction
from common.redaction import RedactingFilter
from config.monitoring.gunicorn_hooks import GunicornLogger
from config.monitoring.logs import logging_config

pytestmark = pytest.mark.django_db


@shared_task(name="config.tests.leaky_task")
def leaky_task(message: str) -> None:
    """A task that fails with secrets in its exception (Celery logs the failure and the traceback)."""
    raise RuntimeError(message)


@dataclass(frozen=True)
class Secrets:
    secret_key: str
    database_password: str
    clerk_secret_key: str
    clerk_webhook_secret: str
    vapi_private_key: str
    vapi_webhook_secret: str
    azure_account_key: str
    azure_connection_string: str
    broker_password: str
    cache_password: str
    metrics_token: str
    caller_jwt: str  # a signed-in user's bearer token

    def values(self) -> dict[str, str]:
        return dict(vars(self))


@pytest.fixture
def configured(settings, monkeypatch, httpserver, closed_port, make_token, user) -> Secrets:
    """Every secret setting set to a fresh random value, the external services played by a local server."""
    values = Secrets(
        secret_key=secrets.token_urlsafe(50),
        database_password="db-" + secrets.token_urlsafe(18),
        clerk_secret_key="sk_test_" + secrets.token_hex(20),
        clerk_webhook_secret="whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
        vapi_private_key=str(uuid.uuid4()),
        vapi_webhook_secret=secrets.token_urlsafe(24),
        azure_account_key=base64.b64encode(secrets.token_bytes(32)).decode(),
        azure_connection_string=(
            "DefaultEndpointsProtocol=https;AccountName=voicebot;"
            f"AccountKey={base64.b64encode(secrets.token_bytes(32)).decode()};EndpointSuffix=core.windows.net"
        ),
        broker_password="broker/" + secrets.token_urlsafe(12),  # "/" is percent-encoded in its URL
        cache_password=secrets.token_urlsafe(16),
        metrics_token=secrets.token_urlsafe(24),
        caller_jwt=make_token(user),
    )
    settings.SECRET_KEY = values.secret_key
    # The local server trusts its clients: the password is configured, sent nowhere, and must still be hidden.
    monkeypatch.setitem(connections["default"].settings_dict, "PASSWORD", values.database_password)
    settings.CLERK_SECRET_KEY = values.clerk_secret_key
    settings.CLERK_API_URL = httpserver.url_for("/v1")
    settings.CLERK_WEBHOOK_SECRET = values.clerk_webhook_secret
    settings.VAPI_PRIVATE_KEY = values.vapi_private_key
    settings.VAPI_WEBHOOK_SECRET = values.vapi_webhook_secret
    settings.VAPI_BASE_URL = httpserver.url_for("").rstrip("/")
    settings.VAPI_TIMEOUT = 2
    settings.PUBLIC_BASE_URL = "https://bots.example.com"
    settings.AZURE_ACCOUNT_KEY = values.azure_account_key
    settings.AZURE_CONNECTION_STRING = values.azure_connection_string
    settings.CELERY_BROKER_URL = f"redis://:{quote(values.broker_password, safe='')}@127.0.0.1:{closed_port}/0"
    settings.READINESS_BROKER_TIMEOUT = 0.5
    settings.CACHE_URL = f"redis://:{values.cache_password}@127.0.0.1:{closed_port}/1"
    settings.METRICS_TOKEN = values.metrics_token
    redaction.reset_redactor()  # the database password changed in place, without a setting_changed signal
    yield values
    redaction.reset_redactor()


def _gunicorn_handlers(gunicorn: GunicornLogger) -> list[logging.Handler]:
    handlers = (*gunicorn.error_log.handlers, *gunicorn.access_log.handlers)
    return [handler for handler in handlers if getattr(handler, "_gunicorn", False)]


@pytest.fixture
def captured_logs(settings):
    """``capture(log_format)``: the real logging configuration (LOGGING as settings.py builds it, at DEBUG so that
    httpx and every library speak) and gunicorn's logger, all writing into one buffer. Restored afterwards."""
    buffer = io.StringIO()
    gunicorn_loggers: list[GunicornLogger] = []

    def capture(log_format: str) -> tuple[io.StringIO, GunicornLogger]:
        logging.config.dictConfig(logging_config(level="DEBUG", log_format=log_format))
        for handler in logging.getLogger().handlers:
            handler.setStream(buffer)
        settings.LOG_FORMAT = log_format
        from gunicorn.config import Config

        config = Config()
        config.set("accesslog", "-")
        gunicorn = GunicornLogger(config)
        for handler in _gunicorn_handlers(gunicorn):
            handler.setStream(buffer)
        gunicorn_loggers.append(gunicorn)
        return buffer, gunicorn

    yield capture
    for gunicorn in gunicorn_loggers:
        for handler in _gunicorn_handlers(gunicorn):
            gunicorn.error_log.removeHandler(handler)
            gunicorn.access_log.removeHandler(handler)
    logging.config.dictConfig(django_settings.LOGGING)


def push_every_secret(
    client, make_token, httpserver, gunicorn: GunicornLogger, values: Secrets, patch, on_commit
) -> None:
    """Requests, errors and outbound calls, each carrying secrets where they could end up in a log line."""
    everything = " ".join(values.values().values())
    database_url = f"postgresql://voicebot:{values.database_password}@db.example.postgres.database.azure.com/voicebot"
    client.raise_request_exception = False

    # Bad bearer tokens: a secret sent as a token, a token signed by someone else.
    assert client.get("/api/me", headers={"Authorization": f"Bearer {values.vapi_private_key}"}).status_code == 401
    forged = make_token("user_forged", key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert client.get("/api/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401

    # Secrets in query strings (Django logs the path of a 4xx; gunicorn and runserver the whole request line).
    query = f"token={values.metrics_token}&key={values.vapi_private_key}&jwt={values.caller_jwt}"
    assert client.get(f"/api/no-such-route?{query}").status_code == 404
    assert (
        client.get(f"/metrics?{query}", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
    )
    logging.getLogger("django.server").info('"GET /api/me?%s HTTP/1.1" 401 52', query)

    # Webhooks with wrong secrets.
    wrong_vapi = client.post(
        "/api/vapi/webhook", data="{}", content_type="application/json", headers={"x-vapi-secret": everything[:60]}
    )
    assert wrong_vapi.status_code == 401
    signature = base64.b64encode(secrets.token_bytes(32)).decode()
    wrong_clerk = client.post(
        "/api/webhooks/clerk",
        data=json.dumps({"type": "user.created", "data": {"id": "user_x"}}),
        content_type="application/json",
        headers={
            "svix-id": "msg_1",
            "svix-timestamp": str(int(datetime.datetime.now(tz=datetime.UTC).timestamp())),
            "svix-signature": f"v1,{signature}",
        },
    )
    assert wrong_clerk.status_code == 400

    # A view raising an exception whose message (and cause) carries every secret: 500, logged with its traceback.
    from accounts.views import MeView
    from analytics.views import TestEmbedView

    def api_boom(self, request):
        try:
            raise OperationalError(f"could not connect with {database_url}")
        except OperationalError as cause:
            raise RuntimeError(f"configuration dump: {everything}") from cause

    def page_boom(self, request, *args, **kwargs):
        raise ValueError(
            f"page failed, DATABASE_URL={database_url} CELERY_BROKER_URL={django_settings.CELERY_BROKER_URL}"
        )

    with patch.context() as patched:
        patched.setattr(MeView, "get", api_boom)
        response = client.get("/api/me", headers={"Authorization": f"Bearer {values.caller_jwt}"})
        assert response.status_code == 500
        assert response.json() == {"success": False, "error": "Internal server error"}
        patched.setattr(TestEmbedView, "get", page_boom)
        assert client.get("/test-embed").status_code == 500

    # Outbound calls against servers that answer with errors echoing what they were sent.
    httpserver.expect_request("/v1/users/user_new_signin").respond_with_data(
        f"invalid key {values.clerk_secret_key}", status=500
    )
    new_user = client.get("/api/me", headers={"Authorization": f"Bearer {make_token('user_new_signin')}"})
    assert new_user.status_code == 200
    httpserver.expect_request("/assistant", method="POST").respond_with_json(
        {"message": f"Invalid key {values.vapi_private_key}; x-vapi-secret {values.vapi_webhook_secret}"}, status=400
    )
    with on_commit(execute=True):  # the activation task is queued on commit: eager, in this request
        created = client.post(
            "/api/bots/create",
            {"config": json.dumps({"botName": "Leaky", "welcomeMessage": "Hi", "systemPrompt": "Be brief."})},
            headers={"Authorization": f"Bearer {values.caller_jwt}"},
        )
    assert created.status_code == 200
    proxy_url = httpserver.url_for("/through-a-proxy").replace("http://", f"http://probe:{values.database_password}@")
    httpx.get(f"{proxy_url}?token={values.metrics_token}", timeout=2)

    # Readiness with the broker (password in its URL) down.
    assert client.get("/api/ready").status_code == 503

    # A Celery task failing with secrets in its exception (eager here, as without a broker).
    leaky_task.delay(f"task failed: {everything}")

    # gunicorn: the access line of a request with secrets in its query string and referer; an error line.
    gunicorn.access(
        SimpleNamespace(status="401 Unauthorized", status_code=401, sent=52, headers=[("X-Request-ID", "req-g1")]),
        SimpleNamespace(headers=[("AUTHORIZATION", f"Bearer {values.caller_jwt}")]),
        {
            "REQUEST_METHOD": "GET",
            "RAW_URI": f"/api/me?{query}",
            "PATH_INFO": "/api/me",
            "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_REFERER": f"https://app.example.com/?secret={values.vapi_webhook_secret}",
            "HTTP_USER_AGENT": "test",
        },
        datetime.timedelta(milliseconds=12),
    )
    gunicorn.error("Worker failed to boot: %s", f"could not connect to {database_url}")


@pytest.fixture
def scenario(
    configured, captured_logs, client, make_token, httpserver, monkeypatch, django_capture_on_commit_callbacks
):
    def run(log_format: str) -> str:
        buffer, gunicorn = captured_logs(log_format)
        push_every_secret(
            client, make_token, httpserver, gunicorn, configured, monkeypatch, django_capture_on_commit_callbacks
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        return buffer.getvalue()

    return run


def _leaks(output: str, values: Secrets) -> list[str]:
    """The secrets (by name) found in ``output``, as they are or percent-encoded."""
    return [
        name
        for name, value in values.values().items()
        if value in output or quote(value, safe="") in output or json.dumps(value)[1:-1] in output
    ]


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_no_secret_reaches_the_logs(scenario, configured, log_format):
    output = scenario(log_format)

    assert _leaks(output, configured) == []
    # What was logged, so that the absence above means something.
    for expected in (
        "Unauthorized: /api/me",
        "Not Found: /api/no-such-route",
        "Unhandled error on GET /api/me",
        "Internal Server Error: /test-embed",
        "Clerk webhook refused",
        "Clerk API: 500 for user user_new_signin",
        "activation FAILED: VAPI refused POST /assistant (400): Invalid key [REDACTED]",
        "HTTP Request: GET http://probe:[REDACTED]@",
        "Readiness: the Celery broker did not answer",
        "config.tests.leaky_task",
        "Worker failed to boot",
        "GET /api/me?token=[REDACTED]",
    ):
        assert expected in output, expected
    assert "configuration dump: [REDACTED]" in output
    assert "Traceback (most recent call last)" in output or "Traceback (most recent call last)" in json.dumps(output)


def test_json_lines_are_all_json_with_request_ids(scenario, configured):
    output = scenario("json")

    lines = [json.loads(line) for line in output.splitlines()]
    assert all(set(line) >= {"time", "level", "logger", "message", "request_id"} for line in lines)
    unhandled = [line for line in lines if line["message"].startswith("Unhandled error on GET /api/me")]
    assert len(unhandled) == 1
    assert unhandled[0]["request_id"]
    assert "RuntimeError: configuration dump: [REDACTED]" in unhandled[0]["exception"]
    assert "OperationalError: could not connect with postgresql://voicebot:[REDACTED]@" in unhandled[0]["exception"]
    task_failures = [line for line in lines if line.get("task_id") and line["level"] == "ERROR"]
    assert task_failures, "the failed task's log line carries its task id"
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert access[0]["request_id"] == "req-g1"
    assert access[0]["http"]["path"].startswith("/api/me?token=[REDACTED]")


def test_control_without_the_filter_every_secret_leaks(scenario, configured, monkeypatch):
    monkeypatch.setattr(RedactingFilter, "filter", lambda self, record: True)

    output = scenario("json")

    assert sorted(_leaks(output, configured)) == sorted(configured.values())
