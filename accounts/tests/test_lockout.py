"""Password sign-in lockout (django-axes, settings "Sign-in lockout"): on the local /sign-in form and the admin's
login, after LOGIN_FAILURE_LIMIT failures for an account or from an address, for LOGIN_LOCKOUT_MINUTES; unlocked by
the cool-off, a management command or the admin. Clerk's sign-in has no password and is not concerned."""

from __future__ import annotations

import datetime
import io

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from accounts.tests.conftest import PASSWORD
from accounts.tests.factories import StaffUserFactory, UserFactory
from accounts.tests.test_pages import publishable_key

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"


@pytest.fixture(autouse=True)
def lockout_settings(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)


@pytest.fixture
def staff(db) -> User:
    return StaffUserFactory(email="root@example.com")  # password "password"


def sign_in(client, email, password, *, address=ATTACKER, **headers):
    return client.post("/sign-in", {"username": email, "password": password}, REMOTE_ADDR=address, headers=headers)


def admin_login(client, email, password, *, address=ATTACKER):
    return client.post(
        "/admin/login/?next=/admin/", {"username": email, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_forty_wrong_passwords_then_the_right_one_is_refused_on_sign_in(client, local_user):
    for n in range(40):
        sign_in(client, local_user.email, f"guess-{n}")

    response = sign_in(client, local_user.email, PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert "15 minutes" in page
    assert 'class="site-header"' in page  # the product's layout
    assert response["Retry-After"] == str(15 * 60)


def test_forty_wrong_passwords_then_the_right_one_is_refused_on_the_admin(client, staff):
    for n in range(40):
        admin_login(client, staff.email, f"guess-{n}")

    response = admin_login(client, staff.email, "password")

    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert "Voice Bot administration" in page  # the admin's own layout


def test_the_lockout_starts_at_the_limit(client, local_user):
    answers = [sign_in(client, local_user.email, "wrong").status_code for _ in range(5)]

    assert answers == [200, 200, 200, 200, 429]  # the form says "wrong password" four times, then the lockout


def test_fewer_failures_than_the_limit_do_not_lock(client, local_user):
    for _ in range(4):
        sign_in(client, local_user.email, "wrong")

    assert sign_in(client, local_user.email, PASSWORD).status_code == 302
    assert signed_in(client)


def test_an_account_is_locked_whatever_the_addresses_the_guesses_come_from(local_user):
    for n in range(5):
        sign_in(Client(), local_user.email, "wrong", address=f"198.51.100.{n}")

    client = Client()
    assert sign_in(client, local_user.email, PASSWORD, address="192.0.2.1").status_code == 429
    assert not signed_in(client)


def test_an_address_is_locked_whatever_the_accounts_it_guesses(local_user):
    for n in range(5):
        sign_in(Client(), f"someone{n}@example.com", "wrong")

    assert sign_in(Client(), local_user.email, PASSWORD).status_code == 429  # from the same address
    assert sign_in(Client(), local_user.email, PASSWORD, address="192.0.2.1").status_code == 302


def test_a_new_x_forwarded_for_is_the_same_address(settings, local_user):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    for n in range(5):
        sign_in(Client(), f"someone{n}@example.com", "wrong", address=proxy, X_Forwarded_For=f"10.9.9.{n}, {ATTACKER}")

    response = sign_in(Client(), local_user.email, PASSWORD, address=proxy, X_Forwarded_For=f"10.9.9.99, {ATTACKER}")

    assert response.status_code == 429


def test_a_sign_in_clears_that_accounts_failures_from_that_address_only(local_user):
    """A user who mistyped and then got in starts again from zero; a guesser elsewhere does not (axes' own reset on
    success would clear the guesser's failures too, and a guesser's own sign-in everyone's from its address)."""
    for _ in range(2):
        sign_in(Client(), local_user.email, "wrong", address="192.0.2.1")  # the user, mistyping
    for _ in range(2):
        sign_in(Client(), local_user.email, "wrong")  # a guesser, elsewhere

    assert sign_in(Client(), local_user.email, PASSWORD, address="192.0.2.1").status_code == 302
    assert [sign_in(Client(), local_user.email, "wrong").status_code for _ in range(3)] == [200, 200, 429]


def test_signing_in_to_ones_own_account_does_not_reset_the_guesses_at_others(local_user):
    attacker = UserFactory(email="mallory@example.com")
    attacker.set_password("mallorys-own-password")
    attacker.save()
    for _ in range(4):
        sign_in(Client(), local_user.email, "wrong")
    assert sign_in(Client(), attacker.email, "mallorys-own-password").status_code == 302

    assert sign_in(Client(), local_user.email, "wrong").status_code == 429


def test_the_lockout_ends_after_the_cool_off(client, local_user):
    for _ in range(5):
        sign_in(client, local_user.email, "wrong")
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(minutes=16))

    assert sign_in(client, local_user.email, PASSWORD).status_code == 302


def test_retrying_during_the_lockout_does_not_extend_it(client, local_user):
    for _ in range(5):
        sign_in(client, local_user.email, "wrong")
    before = AccessAttempt.objects.get()

    for _ in range(3):
        assert sign_in(client, local_user.email, PASSWORD).status_code == 429

    after = AccessAttempt.objects.get()
    assert (after.failures_since_start, after.attempt_time) == (before.failures_since_start, before.attempt_time)


@pytest.mark.parametrize(
    "command",
    [
        ["axes_reset_username", "ada@example.com"],
        ["axes_reset_ip", ATTACKER],
        ["axes_reset"],
    ],
)
def test_a_management_command_unlocks(client, local_user, command):
    for _ in range(5):
        sign_in(client, local_user.email, "wrong")

    out = io.StringIO()
    call_command(*command, stdout=out)

    assert "attempts removed" in out.getvalue()
    assert sign_in(client, local_user.email, PASSWORD).status_code == 302


def test_staff_unlock_in_the_admin(local_user, staff_client):
    client = Client()
    for _ in range(5):
        sign_in(client, local_user.email, "wrong")
    attempt = AccessAttempt.objects.get()

    listing = staff_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert local_user.email in listing.content.decode()
    staff_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert not AccessAttempt.objects.exists()
    assert sign_in(client, local_user.email, PASSWORD).status_code == 302


def test_clerks_sign_in_is_not_concerned(client, settings, local_user, make_token, client_for):
    """Clerk users sign in with Clerk (no password here): a locked account's Clerk session still works."""
    for _ in range(5):
        sign_in(client, local_user.email, "wrong")
    settings.CLERK_PUBLISHABLE_KEY = publishable_key("clerk.example.test")

    page = Client()
    page.cookies["__session"] = make_token(local_user)
    assert page.get("/dashboard", REMOTE_ADDR=ATTACKER).status_code == 200
    assert client_for(local_user).get("/api/bots/list", REMOTE_ADDR=ATTACKER).status_code == 200
