"""The error pages outside /api/ (templates/404.html, 403.html, 403_csrf.html, 500.html, 503.html): in the product's
layout, with a way back; 500 and 503 render without a request context. Under /api/ every error stays JSON."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.test import Client
from django.urls import include, path

pytestmark = [pytest.mark.django_db, pytest.mark.urls("config.tests.test_error_pages")]


def _forbidden(request):
    raise PermissionDenied


def _crash(request):
    raise RuntimeError("secret detail: postgres://app:hunter2@db/prod")


def _outage(request):
    raise OperationalError("connection to server at 10.0.0.5 refused")


urlpatterns = [
    path("dashboard/test/forbidden", _forbidden),
    path("dashboard/test/crash", _crash),
    path("dashboard/test/outage", _outage),
    path("api/test/forbidden", _forbidden),
    path("api/test/crash", _crash),
    path("api/test/outage", _outage),
    path("", include("config.urls")),
]
handler500 = "common.errors.server_error"  # as in config/urls.py


@pytest.fixture
def browser() -> Client:
    return Client(raise_request_exception=False)


def _page(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert 'class="site-header"' in body  # the layout, with its navigation and stylesheet
    assert "/static/css/app.css" in body
    assert 'href="/"' in body  # the way back
    return body


def test_404_on_the_landing_side_is_the_layout_with_the_way_home(browser):
    body = _page(browser.get("/no/such/page"), 404)

    assert "Page not found" in body
    assert 'href="/sign-in"' in body  # anonymous: the header offers signing in


def test_404_on_the_dashboard_keeps_the_signed_in_user_and_leads_back_to_the_bots(browser, user):
    browser.force_login(user)

    body = _page(browser.get("/dashboard/bots/6f3c1d0e-15de-4a5e-9b1a-0c15de5eed15"), 404)

    assert "Page not found" in body
    assert user.email in body
    assert 'href="/dashboard"' in body


def test_403(browser, user):
    browser.force_login(user)

    body = _page(browser.get("/dashboard/test/forbidden"), 403)

    assert "Not allowed" in body
    assert 'href="/dashboard"' in body


def test_403_of_an_expired_form(user):
    browser = Client(enforce_csrf_checks=True)

    body = _page(browser.post("/sign-in", {"username": user.email, "password": "x"}), 403)

    assert "This form has expired" in body


def test_500_names_nothing_of_the_error_and_needs_no_request_context(browser, django_assert_num_queries):
    with django_assert_num_queries(0):  # no session or user read to draw it
        body = _page(browser.get("/dashboard/test/crash"), 500)

    assert "Something went wrong" in body
    assert "hunter2" not in body
    assert 'href="/dashboard"' in body


def test_500_falls_back_to_a_bare_page_when_the_layout_cannot_render(browser, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("Missing staticfiles manifest entry")

    monkeypatch.setattr("common.errors.loader.get_template", broken)

    response = browser.get("/dashboard/test/crash")

    assert response.status_code == 500
    assert "Server Error (500)" in response.content.decode()


def test_503_when_the_database_does_not_answer(browser, settings, django_assert_num_queries):
    settings.API_RETRY_AFTER_SECONDS = 11

    with django_assert_num_queries(0):
        response = browser.get("/dashboard/test/outage")

    body = _page(response, 503)
    assert response["Retry-After"] == "11"
    assert "Service Unavailable" in body
    assert "11 seconds" in body
    assert "10.0.0.5" not in body


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/no/such/route", 404), ("/api/test/forbidden", 403), ("/api/test/crash", 500), ("/api/test/outage", 503)],
)
def test_api_paths_keep_the_json_envelope(browser, path, status):
    response = browser.get(path)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["success"] is False
