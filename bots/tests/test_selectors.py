"""Reads of bots: always scoped to the owner."""

from __future__ import annotations

import pytest

from bots import selectors
from bots.models import BotStatus
from bots.tests.factories import BotFactory

pytestmark = pytest.mark.django_db


def test_bot_counts_counts_the_owners_bots_and_the_active_ones(user, other_user, django_assert_num_queries):
    BotFactory(user=user, active=True)
    BotFactory(user=user, active=True)
    BotFactory(user=user)  # PENDING
    BotFactory(user=user, status=BotStatus.FAILED)
    BotFactory(user=other_user, active=True)

    with django_assert_num_queries(1):
        counts = selectors.bot_counts(user=user)

    assert counts == {"total": 4, "active": 2}


def test_bot_counts_of_a_user_without_bots_are_zero(user):
    assert selectors.bot_counts(user=user) == {"total": 0, "active": 0}
