"""``GET /api/health``: liveness plus a real round trip to the database, in the legacy contract's shape.

The original reported an in-process circuit breaker. Our processes keep no state between requests (they are
scaled out behind a load balancer), so ``circuitBreaker`` describes this check: ``CLOSED`` with no failure when the
database answered, ``OPEN`` with one failure, timed now, when it did not.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger(__name__)


def database_is_reachable(alias: str = "default") -> bool:
    """Run ``SELECT 1`` on ``alias``; ``False`` (logged without connection details) when it fails."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("Health check: database %r did not answer (%s).", alias, type(exc).__name__)
        return False
    return True


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


_HEALTH_RESPONSE = inline_serializer(
    "HealthResponse",
    {
        "success": serializers.BooleanField(),
        "status": serializers.ChoiceField(["healthy", "unhealthy"]),
        "timestamp": serializers.DateTimeField(),
        "database": inline_serializer(
            "HealthDatabase",
            {
                "connection": serializers.BooleanField(),
                "health": serializers.BooleanField(),
                "message": serializers.CharField(),
                "circuitBreaker": inline_serializer(
                    "HealthCircuitBreaker",
                    {
                        "state": serializers.ChoiceField(["CLOSED", "OPEN"]),
                        "failures": serializers.IntegerField(),
                        "lastFailureTime": serializers.DateTimeField(allow_null=True),
                    },
                ),
            },
        ),
        "environment": inline_serializer(
            "HealthEnvironment",
            {
                "nodeEnv": serializers.ChoiceField(["development", "production"]),
                "databaseUrl": serializers.ChoiceField(["configured", "missing"]),
            },
        ),
    },
)


class HealthView(APIView):
    """Whether this process is up and the database answers. Public: it reveals no configuration."""

    authentication_classes: list = []  # no session lookup: the check must not need the database to start
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    @extend_schema(responses={200: _HEALTH_RESPONSE, 503: _HEALTH_RESPONSE}, auth=[])
    def get(self, request: Request) -> Response:
        now = timezone.now()
        healthy = database_is_reachable()
        body = {
            "success": True,
            "status": "healthy" if healthy else "unhealthy",
            "timestamp": _iso(now),
            "database": {
                "connection": healthy,
                "health": healthy,
                "message": "Database is healthy" if healthy else "Database is unreachable",
                "circuitBreaker": {
                    "state": "CLOSED" if healthy else "OPEN",
                    "failures": 0 if healthy else 1,
                    "lastFailureTime": None if healthy else _iso(now),
                },
            },
            "environment": {
                "nodeEnv": "development" if settings.DEBUG else "production",
                "databaseUrl": "configured" if settings.DATABASE_URL_CONFIGURED else "missing",
            },
        }
        response = Response(body, status=200 if healthy else 503)
        add_never_cache_headers(response)
        response["Pragma"] = "no-cache"
        response["Expires"] = "0"
        if not healthy:
            # As every other 503 under /api/: when to look again.
            response["Retry-After"] = str(settings.API_RETRY_AFTER_SECONDS)
        return response
