"""Secrets never reach the logs: a filter on every handler (ours, gunicorn's, Celery's) rewrites each record
before it is formatted, removing secrets from its message, its arguments, its exception text and traceback, its
stack and the structured fields we add (gunicorn's access fields).

Two nets, because each catches what the other cannot:

1. **The configured values**, wherever they appear and however they got there (an exception message, a URL, a
   dict's repr): ``SECRET_KEY``, every ``DATABASES`` password, the Clerk and VAPI keys and webhook secrets, the
   Azure key and connection string, the passwords in the broker and cache URLs, ``METRICS_TOKEN``. Also their
   percent-encoded forms (how a password sits in a URL) and the key inside a ``whsec_`` secret.
2. **Secret-shaped text**, whoever's secret it is: a caller's bearer token or JWT, ``user:password@`` in any URL,
   Clerk ``sk_live_``/``sk_test_`` keys, Svix ``whsec_`` secrets, ``Authorization``/``Cookie``/``x-vapi-secret``
   header values, ``password=``/``token=``/``AccountKey=``-style parameters of query and connection strings, and
   quoted ``"password": "…"``-style entries of dicts and JSON.

The configured values are read from Django's settings once they are loaded and, before that (gunicorn's master
process, which never loads Django), from the environment variables of the same names. They are cached, and the
cache is dropped when a test overrides a setting (``setting_changed``) or ``reset_redactor()`` is called.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

from django.core.signals import setting_changed

REDACTED = "[REDACTED]"
# Shorter values are not searched for: they would match inside ordinary words and make the logs unreadable, and a
# value this short protects nothing anyway.
MIN_SECRET_LENGTH = 4

# Settings (and environment variables of the same name) whose whole value is a secret.
SECRET_SETTINGS = (
    "SECRET_KEY",
    "CLERK_SECRET_KEY",
    "CLERK_WEBHOOK_SECRET",
    "VAPI_PRIVATE_KEY",
    "VAPI_WEBHOOK_SECRET",
    "AZURE_ACCOUNT_KEY",
    "AZURE_CONNECTION_STRING",
    "METRICS_TOKEN",
    "EMAIL_HOST_PASSWORD",
)
# Settings that hold lists of secrets.
SECRET_LIST_SETTINGS = ("SECRET_KEY_FALLBACKS", "VAPI_WEBHOOK_PREVIOUS_SECRETS")
# Settings (and environment variables) holding URLs whose password is a secret.
URL_SETTINGS = ("DATABASE_URL", "DATABASE_REPLICA_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL")
# Structured record attributes that our formatters write out, and so are redacted too.
STRUCTURED_FIELDS = ("http",)

_SENSITIVE_HEADERS = r"authorization|proxy-authorization|x-vapi-secret|x-api-key|cookie|set-cookie"
_SENSITIVE_PARAMETERS = (
    r"password|passwd|pwd|secret|client_secret|secret_key|private_key|api_key|apikey|access_token|refresh_token"
    r"|id_token|token|accountkey|account_key|sharedaccesssignature|sig|signature|key"
)
_CREDENTIAL_CHARS = r"[A-Za-z0-9\-._~+/]"

# (pattern, replacement), applied in this order after the configured values.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # user:password@ in any URL (postgres://, redis://, https://, amqp://, …); the user name is kept. Greedy up to
    # the last @ of the authority, so an unencoded @ in the password is covered too.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s/?#@:]*):[^\s/?#]*@"), rf"\1:{REDACTED}@"),
    # Header values: "Authorization: Bearer …", {'x-vapi-secret': '…'}, "cookie=…".
    (
        re.compile(rf"(?i)([\"']?\b(?:{_SENSITIVE_HEADERS})[\"']?\s*[:=]\s*)(?:([\"'])[^\"'\r\n]*\2|[^\"'\r\n,}}]+)"),
        rf"\1\2{REDACTED}\2",
    ),
    # A credential after its scheme: "Bearer eyJ…", "Basic dXNlcjpw…" (with a digit or symbol, so that prose such
    # as "bearer authentication" is left alone).
    (
        re.compile(rf"(?i)\b(bearer|basic)\s+(?={_CREDENTIAL_CHARS}*[0-9.~+/\-]){_CREDENTIAL_CHARS}{{8,}}=*"),
        rf"\1 {REDACTED}",
    ),
    # JWTs anywhere (a Clerk session token pasted into a query string, a cookie, an error message).
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"), REDACTED),
    # Clerk secret keys and Svix signing secrets: the prefix says which kind leaked, the rest goes.
    (re.compile(r"\b(sk_(?:live|test)_)[A-Za-z0-9]+"), rf"\1{REDACTED}"),
    (re.compile(r"\b(whsec_)[A-Za-z0-9+/=]+"), rf"\1{REDACTED}"),
    # Secret-named parameters: query strings (?token=…), connection strings (AccountKey=…;), DSNs (password=…),
    # keyword reprs (password='…').
    (
        re.compile(rf"(?i)(?<![A-Za-z0-9_\-])((?:{_SENSITIVE_PARAMETERS})\s*=\s*)([\"']?)[^&\s;#\"',)]+"),
        rf"\1\2{REDACTED}",
    ),
    # Secret-named entries of dicts and JSON: 'PASSWORD': '…', "token": "…".
    (
        re.compile(rf"(?i)([\"'](?:{_SENSITIVE_PARAMETERS})[\"']\s*:\s*)([\"'])(?:(?!\2).)*\2"),
        rf"\1\2{REDACTED}\2",
    ),
)


# Every pattern above needs one of these in the text it matches (a URL's userinfo ":" and "@", a header or
# parameter's ":" or "=", the schemes' words, a JWT's "eyJ", the key prefixes): a text without any, such as most
# fields of an access line ("GET", an address, a path, a user agent), is left as it is after one search instead of
# eight. common/tests/test_redaction_triggers.py holds the patterns to it.
TRIGGERS = re.compile(r"[@=:]|eyJ|sk_|whsec_|(?i:bearer|basic)")


class Redactor:
    """Removes the given secret values, then secret-shaped text, from strings."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        variants = {variant for value in values for variant in _variants(value)}
        self.values = frozenset(variant for variant in variants if len(variant) >= MIN_SECRET_LENGTH)
        # Longest first: a value that contains another is removed whole.
        alternatives = sorted(self.values, key=len, reverse=True)
        self._values_pattern = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None

    def redact(self, text: str) -> str:
        if self._values_pattern is not None:
            text = self._values_pattern.sub(REDACTED, text)
        if TRIGGERS.search(text) is None:
            return text
        for pattern, replacement in PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def redact_value(self, value: Any) -> Any:
        """Strings redacted inside dicts, lists and tuples; other values as they are."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {key: self.redact_value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.redact_value(item) for item in value)
        return value


def _variants(value: str) -> Iterator[str]:
    """How a secret can be written: as it is, percent-encoded as in a URL or a form, and for a Svix secret
    ``whsec_<base64>`` the base64 key alone (what the svix library works with)."""
    yield value
    yield quote(value, safe="")
    yield quote_plus(value, safe="")
    if value.startswith("whsec_"):
        yield value.removeprefix("whsec_")


def url_password(url: str) -> list[str]:
    """The password of ``url`` as written there and decoded; nothing when it has none or is not a URL."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    if not password:
        return []
    return [password, unquote(password)]


def secrets_from_settings(settings: Any) -> set[str]:
    """Every configured secret value: the settings named above, every database's password, the passwords of the
    broker, result backend and cache URLs, and every cache's ``LOCATION`` URL password."""
    found: set[str] = set()
    for name in SECRET_SETTINGS:
        value = getattr(settings, name, "")
        if isinstance(value, str) and value:
            found.add(value)
    for name in SECRET_LIST_SETTINGS:
        found.update(value for value in getattr(settings, name, ()) or () if isinstance(value, str) and value)
    for database in (getattr(settings, "DATABASES", None) or {}).values():
        password = database.get("PASSWORD")
        if isinstance(password, str) and password:
            found.add(password)
    for name in URL_SETTINGS:
        value = getattr(settings, name, "")
        if isinstance(value, str) and value:
            found.update(url_password(value))
    for cache in (getattr(settings, "CACHES", None) or {}).values():
        locations = cache.get("LOCATION") or []
        for location in [locations] if isinstance(locations, str) else locations:
            found.update(url_password(location))
    return found


def secrets_from_environment(environ: Any = os.environ) -> set[str]:
    """The same secrets read straight from the environment, for processes that do not load Django's settings
    (gunicorn's master)."""
    found = {environ[name] for name in (*SECRET_SETTINGS, *SECRET_LIST_SETTINGS) if environ.get(name)}
    for name in URL_SETTINGS:
        if environ.get(name):
            found.update(url_password(environ[name]))
    return found


_lock = threading.Lock()
_cached: tuple[bool, Redactor] | None = None


def current_redactor() -> Redactor:
    """The redactor for the configuration in force, built once (and again once Django's settings get loaded)."""
    global _cached
    from django.conf import settings

    configured = settings.configured
    cached = _cached
    if cached is not None and cached[0] == configured:
        return cached[1]
    with _lock:
        values = secrets_from_environment()
        if configured:
            values |= secrets_from_settings(settings)
        redactor = Redactor(values)
        _cached = (configured, redactor)
    return redactor


def reset_redactor(**kwargs: Any) -> None:
    """Forget the cached secrets: the next record reads the configuration again."""
    global _cached
    _cached = None


setting_changed.connect(reset_redactor, dispatch_uid="common.redaction.reset_redactor")


def redact(text: str) -> str:
    return current_redactor().redact(text)


class RedactingFilter(logging.Filter):
    """On every handler: the record leaves with its message already formatted and redacted (``args`` emptied),
    its exception rendered and redacted into ``exc_text`` (which every ``logging.Formatter`` prints instead of
    rendering ``exc_info`` again), and its stack and structured fields redacted. Never drops a record.

    The record is changed in place, so that a handler without this filter that sees it later (pytest's capture)
    sees it redacted as well."""

    _exception_formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        redactor = current_redactor()
        try:
            message = record.getMessage()
        except Exception:  # a bad format string or arguments: still log what there is, redacted
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redactor.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._exception_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redactor.redact(record.stack_info)
        for name in STRUCTURED_FIELDS:
            if hasattr(record, name):
                setattr(record, name, redactor.redact_value(getattr(record, name)))
        return True
