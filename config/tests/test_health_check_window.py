"""Persistent connections skip Django's per-request health check while busy (config/postgresql/base.py, 3.)."""

from __future__ import annotations

import time

import pytest
from django.db import connections

from config.postgresql import base

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wrapper(monkeypatch):
    """A connection of its own, outside the test's, with a count of the health checks (``SELECT 1``) it makes."""
    connection = connections.create_connection("default")
    connection.ensure_connection()
    assert connection.health_check_enabled  # CONN_HEALTH_CHECKS, as config/database.py sets it
    checks = []
    usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or usable())
    connection.checks = checks
    yield connection
    connection.close()


def request(connection, *, fail: bool = False) -> None:
    """What Django does around a request that runs one query."""
    connection.close_if_unusable_or_obsolete()  # request_started
    connection.close_if_health_check_failed()  # before the first query
    with connection.cursor() as cursor:
        cursor.execute("SELECT 42")
    if fail:
        connection.errors_occurred = True  # as a DatabaseError in the request would
    connection.close_if_unusable_or_obsolete()  # request_finished


def test_back_to_back_requests_skip_the_check(wrapper, monkeypatch):
    for _ in range(5):
        request(wrapper)
    assert wrapper.checks == []  # a new connection, then requests a moment apart

    monkeypatch.setattr(base, "HEALTH_CHECK_IDLE_SECONDS", 0.0)  # Django's own behaviour
    for _ in range(5):
        request(wrapper)
    assert len(wrapper.checks) == 5  # one SELECT 1 per request


def test_a_connection_idle_for_a_while_is_checked_again(wrapper, monkeypatch):
    request(wrapper)
    monkeypatch.setattr(base, "HEALTH_CHECK_IDLE_SECONDS", 0.0)  # as if a quiet second had passed
    request(wrapper)

    assert len(wrapper.checks) == 1


def test_after_an_error_the_connection_is_checked_with_a_round_trip(wrapper, monkeypatch):
    request(wrapper)
    request(wrapper, fail=True)

    assert len(wrapper.checks) == 1  # Django's check at the end of a request with an error: a round trip

    monkeypatch.setattr(wrapper, "_nothing_to_read", lambda: pytest.fail("the socket is not enough after an error"))
    wrapper.errors_occurred = True
    wrapper.close_if_unusable_or_obsolete()  # another request ends with an error
    assert len(wrapper.checks) == 2


def test_a_connection_the_server_closed_is_checked_and_replaced(wrapper):
    """A restart between two busy requests: the server ends the session, the socket says so, the full check runs
    and the request gets a new connection instead of an error."""
    request(wrapper)
    backend = wrapper.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    finally:
        other.close()
    time.sleep(0.1)  # the server's goodbye reaches the socket
    request(wrapper)  # no error: checked, found dead, replaced before the query

    assert len(wrapper.checks) == 1
    assert wrapper.connection.info.backend_pid != backend
