"""Fixtures shared by every app's tests. The suite runs on PostgreSQL only (see config/test_settings.py)."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("accounts.tests.admin_smoke")

from django.db import connection  # noqa: E402


def pytest_sessionstart(session: pytest.Session) -> None:
    if connection.vendor != "postgresql":
        pytest.exit(
            "The test suite runs on PostgreSQL, not "
            f"{connection.vendor}: run `bash scripts/test`, or set DATABASE_URL=postgres://… before pytest.",
            returncode=3,
        )


@pytest.fixture
def user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def staff_user(db):
    from accounts.tests.factories import StaffUserFactory

    return StaffUserFactory()


@pytest.fixture
def staff_client(client, staff_user):
    """A test client logged into the admin as a superuser."""
    client.force_login(staff_user)
    return client
