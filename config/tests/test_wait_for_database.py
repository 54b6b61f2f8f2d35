"""``wait_for_database``: what the worker (and the release phase) do before they need the database. A proxy that
starts listening late plays a database that comes up after the process; a port where nothing listens, one that
never does."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

import pytest
from django.db import connections

from config.celery import EXIT_DATABASE_UNAVAILABLE, app, wait_for_database_at_worker_start
from config.database import DatabaseUnavailable, wait_for_database
from config.tests.dbproxy import DatabaseProxy
from config.tests.processes import free_port


@pytest.fixture
def database(django_db_blocker):
    """The default connection, usable here (the wait opens it itself) and restored afterwards. On the server's
    maintenance database: ``SELECT 1`` needs no tables, and it exists whether or not the test database was built."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    with django_db_blocker.unblock():
        connection.close()
        connection.settings_dict["NAME"] = "postgres"
        try:
            yield connection
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)


@contextmanager
def pointed_at(connection, port: int):
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=port)
    yield


def test_waits_for_a_database_that_comes_up_late(database):
    upstream = database.settings_dict
    attempts: list[tuple[int, str, float]] = []
    with DatabaseProxy(upstream["HOST"] or "127.0.0.1", int(upstream["PORT"] or 5432)) as proxy:
        later = threading.Timer(1.0, proxy.listen)
        later.start()
        try:
            with pointed_at(database, proxy.port):
                waited = wait_for_database(
                    timeout=20, first_delay=0.2, max_delay=0.4, report=lambda *attempt: attempts.append(attempt)
                )
                with database.cursor() as cursor:  # the connection it leaves behind works
                    cursor.execute("SELECT 1")
        finally:
            later.join()

    assert 1.0 <= waited < 10
    assert len(attempts) >= 2
    assert [attempt for attempt, _, _ in attempts] == list(range(1, len(attempts) + 1))
    assert {error for _, error, _ in attempts} == {"OperationalError"}
    assert [delay for _, _, delay in attempts[:3]] == [0.2, 0.4, 0.4]  # doubling, capped at max_delay


def test_gives_up_after_the_timeout_with_a_message_that_names_no_connection_detail(database):
    closed = free_port()
    started = time.monotonic()

    with pointed_at(database, closed), pytest.raises(DatabaseUnavailable) as raised:
        wait_for_database(timeout=1, first_delay=0.2, max_delay=0.4)

    assert 1.0 <= time.monotonic() - started < 4
    message = str(raised.value)
    assert message.startswith("The database (default) did not answer within 1 s (")
    assert message.endswith(" attempts; last error: OperationalError)")
    assert str(closed) not in message
    assert "127.0.0.1" not in message
    # No chained driver error either (its text names the host and port) in a traceback someone logs.
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


# --- The worker's start-up hook (a real worker: config/tests/test_resilience.py) ----------------------------------


def test_the_worker_hook_does_nothing_in_eager_mode():
    # No django_db here: touching the database would fail this test.
    assert app.conf.task_always_eager  # config/test_settings.py

    assert wait_for_database_at_worker_start(sender=None) is None


@pytest.fixture
def worker_mode():
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def test_the_worker_hook_exits_when_the_database_never_answers(database, worker_mode, settings, caplog):
    settings.DATABASE_WAIT_TIMEOUT = 0.5
    closed = free_port()

    with pointed_at(database, closed), pytest.raises(SystemExit) as exited:
        wait_for_database_at_worker_start(sender=None)

    assert exited.value.code == EXIT_DATABASE_UNAVAILABLE
    assert database.connection is None  # nothing open is left to the forked children
    messages = [(record.levelno, record.getMessage()) for record in caplog.records if record.name == "config.celery"]
    assert messages[0] == (
        logging.WARNING,
        "Database not answering yet (attempt 1: OperationalError); trying again in 0.5 s",
    )
    assert messages[-1][0] == logging.CRITICAL
    assert "did not answer within 0.5 s" in messages[-1][1]
    assert all(str(closed) not in message for _, message in messages)


def test_the_worker_hook_closes_the_connection_it_opened(database, worker_mode, caplog):
    caplog.set_level(logging.INFO, logger="config.celery")

    wait_for_database_at_worker_start(sender=None)

    # The pool's children are forked after this: they must not share the parent's socket.
    assert database.connection is None
    assert any(record.getMessage().startswith("Database answered after") for record in caplog.records)
