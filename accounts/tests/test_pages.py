"""Signing in to the pages: Django's login form without Clerk, Clerk's components and its `__session` cookie with
it (verified and synced exactly as the API does), redirects that come back to where the visitor was going, and
sign-out."""

from __future__ import annotations

import base64
import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from accounts.pages import CLERK_JS_PATH, clerk_frontend_api
from accounts.tests.conftest import PASSWORD


def publishable_key(host: str, kind: str = "test") -> str:
    return f"pk_{kind}_" + base64.b64encode(f"{host}$".encode()).decode().rstrip("=")


@pytest.fixture
def with_clerk(settings):
    settings.CLERK_PUBLISHABLE_KEY = publishable_key("clerk.example.test")
    return settings


# --- The publishable key -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "host"),
    [
        (publishable_key("clerk.example.test"), "clerk.example.test"),
        (publishable_key("wise-owl-12.clerk.accounts.dev"), "wise-owl-12.clerk.accounts.dev"),
        (publishable_key("clerk.example.com", "live"), "clerk.example.com"),
        ("", ""),
        ("sk_test_" + base64.b64encode(b"clerk.example.test$").decode(), ""),  # a secret key pasted by mistake
        ("pk_test_" + base64.b64encode(b"clerk.example.test").decode(), ""),  # no trailing $
        ("pk_test_" + base64.b64encode(b"evil.test/x?$").decode(), ""),  # not a host name
        ("pk_test_***", ""),
    ],
)
def test_the_frontend_api_is_read_from_the_publishable_key(key, host):
    assert clerk_frontend_api(key) == host


# --- Without Clerk: Django's login form ------------------------------------------------------------------------


def test_anonymous_dashboard_goes_to_sign_in_and_comes_back(client, local_user):
    response = client.get("/dashboard/analytics?timeRange=7d")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in?next=/dashboard/analytics%3FtimeRange%3D7d"

    page = client.get(response["Location"])
    body = page.content.decode()
    assert '<label for="id_username">Email</label>' in body
    assert '<label for="id_password">Password</label>' in body
    assert 'name="csrfmiddlewaretoken"' in body

    signed_in = client.post(
        "/sign-in",
        {"username": "ada@example.com", "password": PASSWORD, "next": "/dashboard/analytics?timeRange=7d"},
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/dashboard/analytics?timeRange=7d"
    assert client.get("/dashboard").status_code == 200


def test_a_wrong_password_is_said_next_to_the_form(client, local_user):
    response = client.post("/sign-in", {"username": "ada@example.com", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_next_never_leaves_the_site(client, local_user):
    response = client.post(
        "/sign-in", {"username": "ada@example.com", "password": PASSWORD, "next": "https://evil.example/steal"}
    )

    assert response["Location"] == "/dashboard"


def test_the_form_needs_its_csrf_token(local_user):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/sign-in", {"username": "ada@example.com", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_clerk_user_has_no_password_to_sign_in_with(client, db):
    clerk_user = User.objects.create_user(email="grace@example.com", password=None, id="user_clerk1")

    response = client.post("/sign-in", {"username": clerk_user.email, "password": ""})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_signed_in_visitor_skips_the_sign_in_page(client, local_user):
    client.force_login(local_user)

    assert client.get("/sign-in")["Location"] == "/dashboard"
    assert client.get("/sign-up")["Location"] == "/dashboard"


def test_sign_up_without_clerk_says_how_to_get_an_account(client, db):
    body = client.get("/sign-up").content.decode()

    assert "dev_token you@example.com --password" in body
    assert "data-clerk-sign-up" not in body


def test_sign_out_ends_the_session(client, local_user):
    client.force_login(local_user)

    assert client.get("/sign-out").status_code == 405  # a link cannot sign anyone out
    response = client.post("/sign-out")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/dashboard").status_code == 302


def test_pages_without_clerk_load_no_outside_script(client, local_user):
    client.force_login(local_user)

    body = client.get("/dashboard").content.decode()

    assert "clerk" not in body.lower().replace("data-clerk", "")
    assert "https://" not in body.split("</head>")[0]  # every asset of ours, from our own origin


# --- With Clerk: its components and its cookie ------------------------------------------------------------------


def test_with_clerk_the_sign_in_page_mounts_clerks_component(client, with_clerk, db):
    body = client.get("/sign-in?next=/dashboard/analytics").content.decode()

    assert f'src="https://clerk.example.test{CLERK_JS_PATH}"' in body
    assert f'data-clerk-publishable-key="{with_clerk.CLERK_PUBLISHABLE_KEY}"' in body
    assert 'data-clerk-sign-in data-next="/dashboard/analytics"' in body
    assert 'name="password"' not in body


def test_with_clerk_the_password_form_is_not_accepted(client, with_clerk, local_user):
    response = client.post("/sign-in", {"username": "ada@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/sign-in"
    assert "_auth_user_id" not in client.session


def test_the_session_cookie_signs_page_requests_in(client, with_clerk, make_token, db):
    client.cookies["__session"] = make_token("user_from_clerk")

    response = client.get("/dashboard")

    assert response.status_code == 200
    user = User.objects.get(pk="user_from_clerk")  # created on the first request, as the API does
    assert user.email in response.content.decode()
    assert "data-clerk-user-button" in response.content.decode()
    assert "_auth_user_id" not in client.session  # nothing kept in Django's session: Clerk's cookie decides


def test_a_suffixed_session_cookie_works_too(client, with_clerk, make_token, user):
    client.cookies["__session_Ab12Cd"] = make_token(user)

    assert client.get("/dashboard").status_code == 200


def test_an_expired_cookie_is_sent_to_sign_in_to_be_refreshed(client, with_clerk, make_token, user):
    past = datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(minutes=10)
    client.cookies["__session"] = make_token(user, iat=past, nbf=past, exp=past + datetime.timedelta(minutes=1))

    response = client.get("/dashboard")
    assert response["Location"] == "/sign-in?next=/dashboard"

    page = client.get(response["Location"]).content.decode()
    assert "refused" not in page  # not an error: Clerk's script refreshes the cookie and comes back
    assert "data-refusal" not in page


def test_a_refused_cookie_is_explained_and_not_retried(client, with_clerk, make_token, user, settings):
    settings.CLERK_AUTHORIZED_PARTIES = ["https://app.example.com"]
    client.cookies["__session"] = make_token(user, azp="https://elsewhere.example")

    assert client.get("/dashboard").status_code == 302
    page = client.get("/sign-in?next=/dashboard").content.decode()

    assert "Your Clerk session was refused: Token was issued to another origin" in page
    assert 'data-refusal="true"' in page  # the script must not send the visitor back: that would loop


def test_a_forged_cookie_signs_nobody_in(client, with_clerk, make_token, user):
    from cryptography.hazmat.primitives.asymmetric import rsa

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    client.cookies["__session"] = make_token(user, key=other_key)

    assert client.get("/dashboard").status_code == 302


def test_a_disabled_user_is_not_signed_in_by_their_cookie(client, with_clerk, make_token, user):
    user.is_active = False
    user.save()
    client.cookies["__session"] = make_token(user)

    assert client.get("/dashboard").status_code == 302


def test_a_django_session_wins_over_a_cookie(client, with_clerk, make_token, local_user, user):
    client.force_login(local_user)
    client.cookies["__session"] = make_token(user)

    assert local_user.email in client.get("/dashboard").content.decode()


def test_sign_out_drops_clerks_cookie(client, with_clerk, make_token, user):
    client.cookies["__session"] = make_token(user)

    response = client.post("/sign-out")

    assert response.cookies["__session"].value == ""
    assert response.cookies["__session"]["max-age"] == 0


def test_the_api_does_not_go_through_the_page_middleware(client, with_clerk, make_token, user, settings):
    # Under /api/ DRF authenticates: a cookie-borne POST that proves nothing (no Origin, no Sec-Fetch-Site) still
    # needs the CSRF token there (accounts/tests/test_csrf.py has the rest).
    client = Client(enforce_csrf_checks=True)
    client.cookies["__session"] = make_token(user)

    assert client.get("/api/me").status_code == 200
    assert client.post("/api/bots", {}, content_type="application/json").status_code == 403


# --- dev_token --password ----------------------------------------------------------------------------------------


def test_dev_token_password_makes_a_local_account_that_can_sign_in(client, settings, monkeypatch, tmp_path, db):
    settings.DEBUG = True
    settings.CLERK_DEV_KEY_DIR = tmp_path
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))

    call_command("dev_token", "lin@example.com", "--password", stdout=io.StringIO(), stderr=io.StringIO())

    response = client.post("/sign-in", {"username": "lin@example.com", "password": PASSWORD})
    assert response["Location"] == "/dashboard"


def test_dev_token_refuses_a_weak_password(settings, monkeypatch, tmp_path, db):
    settings.DEBUG = True
    settings.CLERK_DEV_KEY_DIR = tmp_path
    monkeypatch.setattr("sys.stdin", io.StringIO("1234\n"))

    with pytest.raises(CommandError, match="too short"):
        call_command("dev_token", "lin@example.com", "--password", stdout=io.StringIO(), stderr=io.StringIO())

    assert not User.objects.get(email="lin@example.com").has_usable_password()


def test_an_oversized_upload_to_any_page_is_a_413_not_a_500(settings, db):
    # The upload limits hold for every request; met while the CSRF check reads the form, before any view.
    settings.MAX_UPLOAD_MB = 1
    client = Client(raise_request_exception=False)
    big = io.BytesIO(b"x" * (1024 * 1024 + 1))
    big.name = "../../<b>huge</b>.pdf"

    response = client.post("/sign-in", {"username": "a@example.com", "password": "x", "file": big})

    assert response.status_code == 413
    body = response.content.decode()
    assert "Content Too Large (413)" in body or "Request Entity Too Large (413)" in body
    assert "<b>" not in body  # the file name is escaped


@pytest.mark.parametrize(
    "path",
    ["/dashboard/bots/00000000-0000-4000-8000-000000000000/status", "/dashboard/storage", "/dashboard/analytics/calls"],
)
def test_an_expired_session_sends_the_whole_page_to_sign_in_from_any_fragment(client, db, path):
    # htmx asks for a fragment; swapping the sign-in page into it would be wrong: HX-Redirect the page instead.
    response = client.get(
        path, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/dashboard/analytics?timeRange=7d"
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/sign-in?next=/dashboard/analytics%3FtimeRange%3D7d"
    assert response.content == b""
