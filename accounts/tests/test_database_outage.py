"""Every way a request reaches the database, while it does not answer: under /api/ the answer is the contract's
503 JSON with Retry-After, whichever layer met the outage (authentication, a DRF view, a plain Django view, a
middleware after the view, a streamed export); outside /api/ a plain 503 page. Never a traceback, never where the
database is. (The same against gunicorn and a real outage: config/tests/test_resilience.py.)"""

from __future__ import annotations

import uuid

import pytest
from django.db import OperationalError, ProgrammingError
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.urls import include, path

from accounts.models import User
from analytics import selectors

pytestmark = pytest.mark.urls("accounts.tests.test_database_outage")


def _plain_view(request: HttpRequest) -> JsonResponse:
    """A Django view outside DRF that reads the database."""
    return JsonResponse({"success": True, "users": User.objects.count()})


def _session_view(request: HttpRequest) -> JsonResponse:
    """Answers without the database; SessionMiddleware then saves the new session, after the view."""
    request.session["seen"] = True
    return JsonResponse({"success": True})


def _buggy_query_view(request: HttpRequest) -> JsonResponse:
    """A bug, not an outage: a query the database rejects."""
    raise ProgrammingError('relation "no_such_table" does not exist')


urlpatterns = [
    path("api/test/plain", _plain_view),
    path("api/test/buggy", _buggy_query_view),
    path("api/test/session", _session_view),
    path("", include("config.urls")),
]
handler500 = "common.errors.server_error"  # as in config/urls.py: errors raised in middleware


@pytest.fixture
def database_down(database_at_closed_port, settings):
    """The database does not answer, and a Retry-After of our own."""
    settings.API_RETRY_AFTER_SECONDS = 11
    return database_at_closed_port


@pytest.fixture
def browser() -> Client:
    # Errors raised in middleware are answered by handler500, as in production, instead of raised in the test.
    return Client(raise_request_exception=False)


def _assert_no_details(response, port: int) -> None:
    body = response.content.decode()
    for leak in (str(port), "127.0.0.1", "Traceback", "psycopg", "OperationalError", "refused", "server at"):
        assert leak not in body, leak


def _assert_unavailable(response, port: int) -> None:
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"success": False, "error": "Database unavailable, please retry shortly"}
    assert response["Retry-After"] == "11"
    _assert_no_details(response, port)


def test_clerk_token_authentication(database_down, browser, make_token):
    # Looking up (or creating) the token's user is the request's first query.
    response = browser.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {make_token('user_2outage')}")

    _assert_unavailable(response, database_down)


def test_session_cookie_authentication(database_down, browser):
    browser.cookies["sessionid"] = "a" * 32  # DRF's SessionAuthentication loads the session

    _assert_unavailable(browser.get("/api/bots"), database_down)


def test_anonymous_public_route(database_down, browser):
    _assert_unavailable(browser.get(f"/api/widget/{uuid.uuid4()}/config"), database_down)


def test_plain_django_view_under_the_api(database_down, browser):
    _assert_unavailable(browser.get("/api/test/plain"), database_down)


def test_middleware_that_meets_the_outage_after_the_view(database_down, browser):
    _assert_unavailable(browser.get("/api/test/session"), database_down)


def test_health_says_when_to_look_again(database_down, browser):
    response = browser.get("/api/health")

    assert response.status_code == 503
    assert response.json()["status"] == "unhealthy"  # the legacy shape (config/tests/test_health.py)
    assert response["Retry-After"] == "11"
    _assert_no_details(response, database_down)


def test_admin_is_a_plain_503_page(database_down, browser):
    browser.cookies["sessionid"] = "a" * 32  # the admin looks the staff session up

    response = browser.get("/admin/")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "11"
    assert "Service Unavailable" in response.content.decode()
    _assert_no_details(response, database_down)


@pytest.mark.django_db
def test_export_whose_query_meets_the_outage_is_a_503_not_a_truncated_file(client_for, user, monkeypatch, settings):
    # Signed in (the user was read), then the database goes before the export's own query runs.
    settings.API_RETRY_AFTER_SECONDS = 11

    def rows_of_a_lost_database(**kwargs):
        raise OperationalError("server closed the connection unexpectedly (host db.internal, port 5432)")
        yield  # a generator, like the real server-side cursor

    monkeypatch.setattr(selectors, "call_export_rows", rows_of_a_lost_database)

    response = client_for(user).get("/api/analytics/calls/export")

    assert not response.streaming  # answered before anything was streamed
    assert response.status_code == 503
    assert response.json() == {"success": False, "error": "Database unavailable, please retry shortly"}
    assert response["Retry-After"] == "11"
    assert "db.internal" not in response.content.decode()


def test_a_query_bug_is_a_500_not_an_outage(browser):
    # Only connection failures say "retry later"; a ProgrammingError would fail again: it is a 500, with no detail.
    response = browser.get("/api/test/buggy")

    assert response.status_code == 500
    assert response.json() == {"success": False, "error": "Internal server error"}
    assert "Retry-After" not in response
    assert "no_such_table" not in response.content.decode()
