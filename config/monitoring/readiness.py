"""``GET /api/ready``: whether this process should be sent traffic, for a load balancer's or an orchestrator's
readiness probe. ``/api/health`` stays the liveness check (process up, database answers) in the legacy shape.

Ready means:

- **database**: the primary database answers ``SELECT 1``. A read replica is not checked: when it fails, its
  reads go to the primary (common/replica.py), so this process can still serve;
- **migrations**: the default database has every migration of the code applied (a new release whose ``migrate``
  has not run yet would fail on missing columns). Planning reads every migration file, so the answer is kept once
  it is "none pending": migrations are never unapplied under a running release;
- **broker**: when ``CELERY_BROKER_URL`` is set, the broker accepts a connection within
  ``READINESS_BROKER_TIMEOUT`` seconds (otherwise bot activations and document processing would queue nowhere).

The body also reports the sentence-embedding model (``embeddings``: configured model, loaded or not, available or
not and why). That is information, not a check: without the model, search falls back to full-text search, so the
process still serves. Reading it never loads the model.

200 when all pass, 503 (with Retry-After) naming the checks that failed; never cached. Failures are logged with the
exception's class only, and the answer names no host, user or URL.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import error_body
from config.health import database_is_reachable
from documents import embeddings

logger = logging.getLogger(__name__)

OK, FAILED, PENDING, SKIPPED, NOT_CONFIGURED = "ok", "failed", "pending", "skipped", "not configured"
# A check's possible outcomes (one OpenAPI enum for the three checks: settings' ENUM_NAME_OVERRIDES).
CHECK_OUTCOMES = [OK, FAILED, PENDING, SKIPPED, NOT_CONFIGURED]

_migrations_verified = threading.Event()


def migrations_applied() -> bool:
    """No migration of the code is unapplied on the default database; remembered once true (see above)."""
    if _migrations_verified.is_set():
        return True
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return False
    _migrations_verified.set()
    return True


def forget_migration_check() -> None:
    """Check the migrations again on the next probe (tests)."""
    _migrations_verified.clear()


def broker_answers(url: str, timeout: float) -> bool:
    """One connection to the Celery broker, within ``timeout`` seconds, then closed."""
    from kombu import Connection

    try:
        with Connection(
            url,
            connect_timeout=timeout,
            transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0},
        ) as connection:
            connection.ensure_connection(max_retries=0, timeout=timeout)  # one attempt: a probe retries itself
    except Exception as exc:  # kombu and the transports raise many kinds; any of them means "not reachable"
        logger.warning("Readiness: the Celery broker did not answer (%s).", type(exc).__name__)
        return False
    return True


def readiness_checks() -> dict[str, str]:
    checks: dict[str, str] = {}
    if database_is_reachable(DEFAULT_DB_ALIAS):
        checks["database"] = OK
        try:
            checks["migrations"] = OK if migrations_applied() else PENDING
        except DatabaseError as exc:
            logger.warning("Readiness: the migrations could not be read (%s).", type(exc).__name__)
            checks["migrations"] = FAILED
    else:
        checks["database"] = FAILED
        checks["migrations"] = SKIPPED  # unknowable without the database
    if settings.CELERY_BROKER_URL:
        timeout = settings.READINESS_BROKER_TIMEOUT
        checks["broker"] = OK if broker_answers(settings.CELERY_BROKER_URL, timeout) else FAILED
    else:
        checks["broker"] = NOT_CONFIGURED  # tasks run in the web process itself
    return checks


def _check_field(help_text: str) -> serializers.ChoiceField:
    return serializers.ChoiceField(CHECK_OUTCOMES, help_text=help_text)


_READINESS_RESPONSE = inline_serializer(
    "ReadinessResponse",
    {
        "success": serializers.BooleanField(),
        "status": serializers.ChoiceField(["ready", "not ready"]),
        "error": serializers.CharField(required=False, help_text="Only when not ready: the checks that failed."),
        "checks": inline_serializer(
            "ReadinessChecks",
            {
                "database": _check_field("The primary database answers."),
                "migrations": _check_field("pending: the release's migrations have not all been applied."),
                "broker": _check_field("The Celery broker accepts a connection (not configured: tasks run eagerly)."),
            },
        ),
        "embeddings": inline_serializer(
            "ReadinessEmbeddings",
            {
                "model": serializers.CharField(help_text="EMBEDDINGS_MODEL (empty: embeddings are off)."),
                "model_id": serializers.CharField(help_text="The model and its weights' sha256 prefix."),
                "source": serializers.CharField(help_text="Where the weights come from (a package, or a folder)."),
                "loaded": serializers.BooleanField(help_text="Loaded in this process (by its first search)."),
                "available": serializers.BooleanField(help_text="false: search uses full-text search only."),
                "reason": serializers.CharField(required=False, help_text="Only when not available: why."),
            },
            help_text="Information, not a check: a missing model does not make the process unready.",
        ),
    },
)


class ReadinessView(APIView):
    """Whether this process can serve: database, migrations, and the broker when one is configured. Public, like
    ``/api/health``: it reveals only which check failed."""

    authentication_classes: list = []  # a probe has no credentials, and a session lookup needs the database
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    @extend_schema(responses={200: _READINESS_RESPONSE, 503: _READINESS_RESPONSE}, auth=[])
    def get(self, request: Request) -> Response:
        checks = readiness_checks()
        failed = [name for name, outcome in checks.items() if outcome in (FAILED, PENDING)]
        model = embeddings.status()  # never raises, never loads the model
        if failed:
            body = error_body(f"Not ready: {', '.join(failed)}", status="not ready", checks=checks, embeddings=model)
            # As every other 503 under /api/: when to look again.
            response = Response(body, status=503, headers={"Retry-After": str(settings.API_RETRY_AFTER_SECONDS)})
        else:
            response = Response({"success": True, "status": "ready", "checks": checks, "embeddings": model})
        add_never_cache_headers(response)
        return response
