"""The one error contract: every error under /api/ is {"success": false, "error": …} with the right status,
from DRF views, from Django itself and from outside any view; never an HTML page."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.urls import include, path
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.models import User
from common.errors import ConflictError

pytestmark = pytest.mark.urls("common.tests.test_errors")


class _Input(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    count = serializers.IntegerField(min_value=0)


class _Public(APIView):
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    def post(self, request):
        _Input(data=request.data).is_valid(raise_exception=True)
        return Response({"success": True})


class _Conflict(_Public):
    def get(self, request):
        raise ConflictError("Bot is already active", status="active")


class _Integrity(_Public):
    def get(self, request):
        raise IntegrityError('duplicate key value violates unique constraint "users_email_key" DETAIL: secret')


class _Crash(_Public):
    def get(self, request):
        raise RuntimeError("connection string postgres://app:hunter2@db/prod")


class _Throttle(AnonRateThrottle):
    rate = "1/minute"


class _Throttled(_Public):
    throttle_classes = [_Throttle]

    def get(self, request):
        return Response({"success": True})


class _Users(APIView):
    """An authenticated view that reads the database."""

    def get(self, request):
        return Response({"success": True, "count": User.objects.count()})


urlpatterns = [
    path("api/test/input", _Public.as_view()),
    path("api/test/conflict", _Conflict.as_view()),
    path("api/test/integrity", _Integrity.as_view()),
    path("api/test/crash", _Crash.as_view()),
    path("api/test/throttled", _Throttled.as_view()),
    path("api/test/users", _Users.as_view()),
    path("", include("config.urls")),
]


def _envelope(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str)
    assert body["error"]
    return body


def test_400_validation_lists_the_field_errors(api_client):
    body = _envelope(api_client.post("/api/test/input", {"name": "too long", "count": -1}, format="json"), 400)

    assert body["error"] == "name: Ensure this field has no more than 5 characters."
    assert body["errors"] == {
        "name": ["Ensure this field has no more than 5 characters."],
        "count": ["Ensure this value is greater than or equal to 0."],
    }


def test_400_malformed_json(api_client):
    body = _envelope(api_client.post("/api/test/input", "{oops", content_type="application/json"), 400)

    assert body["error"].startswith("JSON parse error")


def test_401(api_client):
    assert _envelope(api_client.get("/api/test/users"), 401)["error"] == "Unauthorized"


def test_404_for_unknown_api_paths_even_in_debug(api_client, settings):
    settings.DEBUG = True

    assert _envelope(api_client.get("/api/no/such/route"), 404)["error"] == "Not found"


def test_404_outside_the_api_stays_a_page(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_405_keeps_the_allow_header(api_client):
    response = api_client.delete("/api/health")

    assert _envelope(response, 405)["error"] == 'Method "DELETE" not allowed.'
    assert "GET" in response["Allow"]


def test_409_from_a_service(api_client):
    assert _envelope(api_client.get("/api/test/conflict"), 409) == {
        "success": False,
        "error": "Bot is already active",
        "status": "active",
    }


def test_409_from_the_database_without_its_details(api_client):
    body = _envelope(api_client.get("/api/test/integrity"), 409)

    assert body == {"success": False, "error": "Conflict with existing data"}


def test_413_body_too_large(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = api_client.post("/api/test/input", {"name": "x" * 4096, "count": 1}, format="json")

    assert _envelope(response, 413)["error"] == "Request body too large"


def test_415_unsupported_media_type(api_client):
    response = api_client.post("/api/test/input", "name=a", content_type="text/plain")

    assert _envelope(response, 415)["error"] == 'Unsupported media type "text/plain" in request.'


def test_429_with_retry_after(api_client):
    api_client.get("/api/test/throttled")

    response = api_client.get("/api/test/throttled")

    body = _envelope(response, 429)
    assert body["error"] == "Too many requests"
    assert int(response["Retry-After"]) == body["retryAfter"] > 0


def test_500_never_shows_the_exception(api_client):
    response = api_client.get("/api/test/crash")

    assert _envelope(response, 500) == {"success": False, "error": "Internal server error"}
    assert "hunter2" not in response.content.decode()


@pytest.mark.django_db
def test_403_csrf_failure_is_json_not_django_page(client, user):
    client.force_login(user)
    client.handler.enforce_csrf_checks = True

    response = client.post("/api/test/input", {"name": "a", "count": 1}, content_type="application/json")

    assert _envelope(response, 403)["error"].startswith("CSRF Failed")


def test_503_json_with_retry_after_when_the_database_is_down(database_at_closed_port, make_token, api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('user_2abc')}")

    response = api_client.get("/api/test/users")

    assert _envelope(response, 503)["error"] == "Database unavailable, please retry shortly"
    assert response["Retry-After"] == "5"
    assert "<html" not in response.content.decode().lower()
