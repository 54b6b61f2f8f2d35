"""The redaction filter: configured secret values and secret-shaped text leave no record unredacted."""

from __future__ import annotations

import logging
import sys
from types import SimpleNamespace

import pytest

from common import redaction
from common.redaction import REDACTED, RedactingFilter, Redactor, current_redactor, secrets_from_settings


@pytest.fixture(autouse=True)
def _fresh_redactor():
    redaction.reset_redactor()
    yield
    redaction.reset_redactor()


# --- Configured values ----------------------------------------------------------------------------------------


def test_configured_values_are_removed_wherever_they_appear():
    redactor = Redactor(["vapi-private-9f8e7d", "p@ss:w/rd"])

    text = redactor.redact("key vapi-private-9f8e7d in a sentence, and p@ss:w/rd, and in a URL p%40ss%3Aw%2Frd")

    assert "vapi-private-9f8e7d" not in text
    assert "p@ss:w/rd" not in text
    assert "p%40ss%3Aw%2Frd" not in text  # percent-encoded, as a password sits in a URL
    assert text.count(REDACTED) == 3


def test_a_svix_secret_is_also_removed_without_its_prefix():
    redactor = Redactor(["whsec_c2VjcmV0LWtleS1ieXRlcw=="])

    assert redactor.redact("key c2VjcmV0LWtleS1ieXRlcw==") == f"key {REDACTED}"


def test_values_too_short_to_be_secret_are_not_searched_for():
    assert Redactor(["abc"]).redact("abc def") == "abc def"


def test_a_value_containing_another_is_removed_whole():
    redactor = Redactor(["token-1234", "token-1234-and-more"])

    assert redactor.redact("x token-1234-and-more y") == f"x {REDACTED} y"


def test_every_secret_setting_is_collected():
    configuration = SimpleNamespace(
        SECRET_KEY="django-secret-key-value",
        SECRET_KEY_FALLBACKS=["old-django-secret-key"],
        CLERK_SECRET_KEY="sk_live_clerkvalue",
        CLERK_WEBHOOK_SECRET="whsec_d2ViaG9vaw==",
        VAPI_PRIVATE_KEY="vapi-private-value",
        VAPI_PUBLIC_KEY="vapi-public-value",  # public by design: handed to browsers
        VAPI_WEBHOOK_SECRET="vapi-webhook-value",
        AZURE_ACCOUNT_KEY="azure-account-key-value",
        AZURE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountKey=azure-conn",
        METRICS_TOKEN="metrics-token-value-0123",
        CELERY_BROKER_URL="redis://:broker%40pw@127.0.0.1:6379/0",
        CACHE_URL="redis://user:cache-pw@127.0.0.1:6379/1",
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "shared": {"LOCATION": "redis://:loc-pw@h:6379/2"},
            "several": {"LOCATION": ["redis://:first-pw@h:6379/3", "redis://h:6379/4"]},
        },
        DATABASES={"default": {"PASSWORD": "database-password"}, "replica": {"PASSWORD": "replica-password"}},
    )

    found = secrets_from_settings(configuration)

    assert found == {
        "django-secret-key-value",
        "old-django-secret-key",
        "sk_live_clerkvalue",
        "whsec_d2ViaG9vaw==",
        "vapi-private-value",
        "vapi-webhook-value",
        "azure-account-key-value",
        "DefaultEndpointsProtocol=https;AccountKey=azure-conn",
        "metrics-token-value-0123",
        "broker%40pw",
        "broker@pw",
        "cache-pw",
        "loc-pw",
        "first-pw",
        "database-password",
        "replica-password",
    }


def test_the_live_database_password_is_redacted(monkeypatch):
    from django.db import connections

    monkeypatch.setitem(connections["default"].settings_dict, "PASSWORD", "live-db-password-42")
    redaction.reset_redactor()  # changed in place: no setting_changed signal

    assert current_redactor().redact("password live-db-password-42") == f"password {REDACTED}"


def test_the_environment_is_read_too():
    found = redaction.secrets_from_environment(
        {"VAPI_PRIVATE_KEY": "from-env-key", "DATABASE_URL": "postgres://u:env-db-pw@h/db", "PATH": "/usr/bin"}
    )

    assert found == {"from-env-key", "env-db-pw"}


def test_an_overridden_setting_is_redacted_at_once(settings):
    settings.VAPI_PRIVATE_KEY = "first-value-123456"
    assert "first-value-123456" not in current_redactor().redact("first-value-123456")

    settings.VAPI_PRIVATE_KEY = "second-value-654321"  # setting_changed drops the cached secrets

    assert current_redactor().redact("second-value-654321") == REDACTED


# --- Secret-shaped text ---------------------------------------------------------------------------------------

JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6Imluc18xIn0.eyJzdWIiOiJ1c2VyXzEiLCJzaWQiOiJzZXNzXzEifQ.c2lnbmF0dXJlLWJ5dGVz"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("connect to postgres://app:hunter2hunter@db.example.com:5432/voicebot failed", "hunter2hunter"),
        ("broker redis://:r3d1s-pass@cache:6379/0 down", "r3d1s-pass"),
        ("https://user:p@ss@word@example.com/path", "p@ss@word"),
        ("Authorization: Bearer abcdef0123456789abcdef", "abcdef0123456789abcdef"),
        ("headers={'authorization': 'Bearer abcdef0123456789', 'accept': 'json'}", "abcdef0123456789"),
        ('{"x-vapi-secret": "shh-its-a-secret"}', "shh-its-a-secret"),
        ("x-vapi-secret: shh-its-a-secret", "shh-its-a-secret"),
        ("Cookie: __session=abc123; sessionid=def456", "def456"),
        ("bearer token was xyz: Bearer 0a1b2c3d4e5f6a7b", "0a1b2c3d4e5f6a7b"),
        (f"token in a query: /api/me?jwt={JWT}", JWT),
        ("clerk key sk_live_AbCdEf0123456789 rejected", "AbCdEf0123456789"),
        ("clerk key sk_test_AbCdEf0123456789 rejected", "AbCdEf0123456789"),
        ("svix whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw= bad", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw="),
        ("GET /api/bots?token=t0ps3cr3t&page=2", "t0ps3cr3t"),
        ("GET /cb?api_key=abc123def&x=1", "abc123def"),
        ("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5a2V5a2V5==;EndpointSuffix=x", "a2V5a2V5"),
        ("host=db user=app password=pg-pass-123 dbname=voicebot", "pg-pass-123"),
        ("Client(password='kw-pass-123', host='h')", "kw-pass-123"),
        ("{'NAME': 'voicebot', 'PASSWORD': 'dict pass 123'}", "dict pass 123"),
    ],
)
def test_secret_shaped_text_is_removed(text, secret):
    redacted = Redactor().redact(text)

    assert secret not in redacted
    assert REDACTED in redacted


@pytest.mark.parametrize(
    "text",
    [
        "Empty bearer token",
        'Bearer realm="api"',
        "GET /api/bots/status/0b6f7c2a-1111-4222-8333-944445555666 200",
        "Bot cm1abc2def activation FAILED: VAPI answered 500 to POST /assistant",
        "https://bots.example.com/api/vapi/webhook",
        "postgres://app@db.example.com/voicebot (no password)",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert Redactor().redact(text) == text


def test_redaction_is_idempotent():
    redactor = Redactor(["value-one-1234"])
    once = redactor.redact("value-one-1234 Authorization: Bearer abcdef0123456789 ?token=abc&x=1")

    assert redactor.redact(once) == once


# --- The filter on records ------------------------------------------------------------------------------------


def _record(msg, args=(), *, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord("test", logging.ERROR, __file__, 1, msg, args, exc_info, sinfo=extra.pop("sinfo", None))
    for name, value in extra.items():
        setattr(record, name, value)
    return record


def test_the_filter_redacts_the_message_and_its_arguments(settings):
    settings.VAPI_PRIVATE_KEY = "vapi-key-in-args-123"
    record = _record("calling with %s and %r", ("vapi-key-in-args-123", {"key": "vapi-key-in-args-123"}))

    assert RedactingFilter().filter(record) is True

    assert record.args is None
    assert "vapi-key-in-args-123" not in record.getMessage()
    assert record.getMessage().startswith(f"calling with {REDACTED} and ")


def test_the_filter_redacts_the_exception_and_its_traceback(settings):
    settings.VAPI_WEBHOOK_SECRET = "webhook-secret-in-exc"
    try:
        try:
            raise ConnectionError("postgres://app:chained-db-pass@db/voicebot refused")
        except ConnectionError as cause:
            raise RuntimeError("bad secret webhook-secret-in-exc") from cause
    except RuntimeError:
        record = _record("failed", exc_info=sys.exc_info())

    RedactingFilter().filter(record)

    assert "Traceback" in record.exc_text
    assert "RuntimeError" in record.exc_text
    assert "webhook-secret-in-exc" not in record.exc_text
    assert "chained-db-pass" not in record.exc_text
    # A formatter prints the redacted text, never renders exc_info again.
    assert "webhook-secret-in-exc" not in logging.Formatter().format(record)


def test_the_filter_redacts_stack_info_and_access_fields():
    record = _record(
        "x",
        sinfo="Stack (most recent call last):\n  token=abc123secret",
        http={"path": "/x?token=abc123secret", "status": 200, "referer": "https://u:pw123456@h/"},
    )

    RedactingFilter().filter(record)

    assert "abc123secret" not in record.stack_info
    assert "abc123secret" not in record.http["path"]
    assert "pw123456" not in record.http["referer"]
    assert record.http["status"] == 200


def test_a_record_whose_arguments_do_not_fit_is_still_logged_redacted():
    record = _record("two %s %s", ("only-one Bearer abcdef0123456789",))

    assert RedactingFilter().filter(record) is True
    assert "abcdef0123456789" not in record.getMessage()
