"""Fixtures of the accounts tests."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory

# The password of ``local_user``: an account of the local sign-in form (no Clerk), as `dev_token --password` makes.
PASSWORD = "a-long-local-password-42"


@pytest.fixture
def local_user(db) -> User:
    user = UserFactory(email="ada@example.com")
    user.set_password(PASSWORD)
    user.save()
    return user
