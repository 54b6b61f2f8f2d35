"""Signing in through the API: tokens in the Authorization header or the __session cookie, Django sessions, and
the user row that a first request creates."""

import datetime
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from werkzeug import Response as WerkzeugResponse

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime.now(tz=datetime.UTC)


def test_anonymous_is_401_in_the_legacy_envelope(api_client):
    response = api_client.get("/api/me")

    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": "Unauthorized",
        "detail": "Authentication credentials were not provided.",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_bearer_token_signs_in(api_client, make_token, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user)}")

    response = api_client.get("/api/me")

    assert response.status_code == 200
    assert response.json()["user"]["id"] == user.pk
    assert response.json()["user"]["email"] == user.email


def test_lower_case_bearer_scheme_is_accepted(api_client, make_token, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"bearer {make_token(user)}")

    assert api_client.get("/api/me").status_code == 200


@pytest.mark.parametrize("cookie", ["__session", "__session_Xy12ab"])
def test_session_cookie_signs_in(api_client, make_token, user, cookie):
    api_client.cookies[cookie] = make_token(user)

    assert api_client.get("/api/me").json()["user"]["id"] == user.pk


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": NOW - datetime.timedelta(hours=1)}, "Token expired"),
        ({"exp": None}, "Token lacks the exp claim"),
        ({"nbf": NOW + datetime.timedelta(minutes=10)}, "Token not yet valid"),
    ],
)
def test_a_bad_token_is_401_with_a_reason_that_does_not_echo_it(api_client, make_token, user, claims, reason):
    token = make_token(user, **claims)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.get("/api/me")

    assert response.status_code == 401
    assert response.json() == {"success": False, "error": "Unauthorized", "detail": reason}
    assert token not in response.content.decode()


@pytest.mark.parametrize("subject", ["user_" + "x" * 187, "user_2\x00abc", "user 2abc", "", 12345])
def test_a_signed_token_whose_subject_is_no_user_id_is_401(api_client, make_token, subject):
    # Longer than the users.id column, or holding a NUL that PostgreSQL refuses: never a query, never a 500.
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(subject)}")

    response = api_client.get("/api/me")

    assert response.status_code == 401
    assert response.json() == {"success": False, "error": "Unauthorized", "detail": "Token invalid"}
    assert not User.objects.exists()


def test_an_empty_bearer_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer ")

    assert api_client.get("/api/me").json()["detail"] == "Empty bearer token"


def test_the_header_wins_over_the_cookie(api_client, make_token, user):
    api_client.cookies["__session"] = make_token(user)
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    assert api_client.get("/api/me").status_code == 401


def test_other_authorization_schemes_are_left_to_other_authenticators(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")

    assert api_client.get("/api/me").json()["detail"] == "Authentication credentials were not provided."


def test_a_disabled_user_cannot_sign_in(api_client, make_token):
    disabled = UserFactory(is_active=False)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(disabled)}")

    assert api_client.get("/api/me").json()["detail"] == "User account is disabled"


def test_django_session_signs_in_too(client, user):
    client.force_login(user)

    assert client.get("/api/me").json()["user"]["id"] == user.pk


def test_unverifiable_tokens_are_503_not_401_when_no_key_is_configured(api_client, make_token, clerk_settings):
    clerk_settings.CLERK_JWT_KEY = ""
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('user_2abc')}")

    response = api_client.get("/api/me")

    assert response.status_code == 503
    assert response.json() == {"success": False, "error": "Sign-in is not available right now"}


# --- The first request of a new Clerk user ---------------------------------------------------------------------


def test_first_request_creates_the_user_with_a_placeholder_email_when_clerk_api_is_not_configured(
    api_client, make_token
):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('user_2NEW')}")

    response = api_client.get("/api/me")

    assert response.status_code == 200
    user = User.objects.get(pk="user_2NEW")
    assert user.email == "user_2NEW@users.clerk.invalid"
    assert user.has_placeholder_email
    assert not user.has_usable_password()
    assert response.json()["user"]["emailIsPlaceholder"] is True


CLERK_USER = {
    "id": "user_2NEW",
    "object": "user",
    "primary_email_address_id": "idn_2",
    "email_addresses": [
        {"id": "idn_1", "email_address": "old@example.com"},
        {"id": "idn_2", "email_address": "ada@example.com"},
    ],
    "first_name": "Ada",
    "last_name": "Lovelace",
    "image_url": "https://img.clerk.com/ada.png",
    "updated_at": 1_780_000_000_000,
}


def test_first_request_fills_the_profile_from_the_clerk_backend_api(api_client, make_token, clerk_settings, httpserver):
    clerk_settings.CLERK_SECRET_KEY = "sk_test_secret"
    clerk_settings.CLERK_API_URL = httpserver.url_for("/v1")
    httpserver.expect_oneshot_request(
        "/v1/users/user_2NEW", method="GET", headers={"Authorization": "Bearer sk_test_secret"}
    ).respond_with_json(CLERK_USER)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('user_2NEW')}")

    response = api_client.get("/api/me")

    assert response.status_code == 200
    assert response.json()["user"] | {"createdAt": None} == {
        "id": "user_2NEW",
        "email": "ada@example.com",
        "emailIsPlaceholder": False,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "imageUrl": "https://img.clerk.com/ada.png",
        "createdAt": None,
    }
    httpserver.check_assertions()
    # The second request does not ask Clerk again.
    assert api_client.get("/api/me").status_code == 200
    assert len(httpserver.log) == 1


def test_clerk_api_failure_does_not_fail_the_request(api_client, make_token, clerk_settings, httpserver):
    clerk_settings.CLERK_SECRET_KEY = "sk_test_secret"
    clerk_settings.CLERK_API_URL = httpserver.url_for("/v1")
    httpserver.expect_request("/v1/users/user_2NEW").respond_with_data("down", status=503)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('user_2NEW')}")

    response = api_client.get("/api/me")

    assert response.status_code == 200
    assert response.json()["user"]["email"] == "user_2NEW@users.clerk.invalid"
    assert len(httpserver.log) == 3  # one try and two retries, no more


def test_a_slow_clerk_api_is_given_up_quickly(api_client, make_token, clerk_settings, httpserver):
    clerk_settings.CLERK_SECRET_KEY = "sk_test_secret"
    clerk_settings.CLERK_API_URL = httpserver.url_for("/v1")
    clerk_settings.CLERK_API_TIMEOUT = 0.2
    release = threading.Event()

    def slow(request):
        release.wait(2)
        return WerkzeugResponse("{}", content_type="application/json")

    httpserver.expect_request("/v1/users/user_2NEW").respond_with_handler(slow)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('user_2NEW')}")
    try:
        response = api_client.get("/api/me")
    finally:
        release.set()

    assert response.status_code == 200
    assert User.objects.get(pk="user_2NEW").has_placeholder_email


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_create_one_user(make_token):
    token = make_token("user_2RACE")
    results: list[int] = []

    def first_request() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            results.append(client.get("/api/me").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [200] * 6
    assert User.objects.filter(pk="user_2RACE").count() == 1
