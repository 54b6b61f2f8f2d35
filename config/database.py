"""Turn a ``DATABASE_URL`` into Django's ``DATABASES`` entry.

Kept apart from ``settings.py`` so that the parsing rules (Azure URLs, ``sslmode``, pooling) are unit-tested.

Connection policy on PostgreSQL: persistent connections (``CONN_MAX_AGE``) with ``CONN_HEALTH_CHECKS`` by
default, because gunicorn's sync workers and Celery's prefork workers run one request or task at a time per
process: one kept-alive connection per process *is* a pool of one, and a psycopg pool per process would only hold
idle connections against the server's ``max_connections``. For threaded workers (gunicorn ``gthread``) set
``DATABASE_POOL_MAX_SIZE`` and Django's psycopg 3 pool is used instead (it health-checks connections on checkout).
"""

from __future__ import annotations

from typing import Any

import environ

POSTGRESQL_ENGINE = "django.db.backends.postgresql"
# Our thin subclass of it (see config/postgresql/base.py).
POSTGRESQL_BACKEND = "config.postgresql"
SQLITE_ENGINE = "django.db.backends.sqlite3"

# Seconds the psycopg pool keeps retrying a lost connection before it gives up on it (psycopg's default: 300).
# Its retries back off exponentially (1 s, 2 s, 4 s, ...) with no cap other than this window, so with the default
# a pool that lost the database for a few minutes waited up to two more minutes after it came back (measured: a
# 40 s outage took 26 s to recover from). Past this window the attempt is dropped and the next request starts a
# fresh one, so the pool notices a returned database within seconds.
POOL_RECONNECT_TIMEOUT = 10.0
# Seconds a SQLite connection waits for another's write to end (see below).
SQLITE_BUSY_TIMEOUT = 30


def database_config(
    url: str,
    *,
    conn_max_age: int = 60,
    connect_timeout: int = 5,
    pool_min_size: int = 1,
    pool_max_size: int = 0,
    pool_timeout: float = 10.0,
    application_name: str = "voicebot",
) -> dict[str, Any]:
    """Return the ``DATABASES["default"]``-style dict for ``url``.

    Query parameters of the URL (``sslmode=require`` in Azure's connection strings, ``sslrootcert``, …) are
    passed to the driver unchanged; our own defaults only fill what the URL leaves out.
    """
    config: dict[str, Any] = environ.Env.db_url_config(url)
    options: dict[str, Any] = config.setdefault("OPTIONS", {})
    if config["ENGINE"] == POSTGRESQL_ENGINE:
        config["ENGINE"] = POSTGRESQL_BACKEND
        options.setdefault("connect_timeout", connect_timeout)
        options.setdefault("application_name", application_name)
        config["CONN_HEALTH_CHECKS"] = True
        if pool_max_size > 0:
            # Django refuses a pool together with persistent connections: the pool keeps them instead.
            options["pool"] = {
                "min_size": min(pool_min_size, pool_max_size),
                "max_size": pool_max_size,
                "timeout": pool_timeout,
                "reconnect_timeout": POOL_RECONNECT_TIMEOUT,
            }
            config["CONN_MAX_AGE"] = 0
        else:
            config["CONN_MAX_AGE"] = conn_max_age
    elif config["ENGINE"] == SQLITE_ENGINE:
        # The zero-setup quick start: WAL and immediate transactions keep the web requests and the tasks that run
        # in the background (common/tasking.py) from failing with "database is locked". SQLite has one writer: a
        # request that writes waits while the processing of an upload holds the file (9-14 s for 49 MB of text on
        # two cores), up to this many seconds instead of Python's 5 before it answers 503.
        options.setdefault("init_command", "PRAGMA journal_mode=WAL;")
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", SQLITE_BUSY_TIMEOUT)
        config["CONN_MAX_AGE"] = 0
    return config


class DatabaseUnavailable(Exception):
    """The database did not answer within the time ``wait_for_database`` was given."""


def wait_for_database(
    alias: str = "default",
    *,
    timeout: float = 60.0,
    first_delay: float = 0.5,
    max_delay: float = 5.0,
    report=None,
) -> float:
    """Block until the database ``alias`` answers ``SELECT 1``, retrying with exponential backoff (``first_delay``
    doubling up to ``max_delay``); return the seconds waited. Raise ``DatabaseUnavailable`` once ``timeout`` has
    passed. ``report(attempt, error_name, delay)`` is told of every failed attempt (a command prints it, a worker
    logs it); the error's class name only: its text can name hosts and users.

    For processes that start before the database does (a release phase, a worker after a deploy or a failover).
    """
    import time

    from django.db import DatabaseError, connections

    started = time.monotonic()
    delay = first_delay
    attempt = 0
    while True:
        attempt += 1
        connection = connections[alias]
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            return time.monotonic() - started
        except DatabaseError as exc:
            connection.close()  # a half-open connection must not be reused by the next attempt
            remaining = timeout - (time.monotonic() - started)
            if remaining <= 0:
                raise DatabaseUnavailable(
                    f"The database ({alias}) did not answer within {timeout:g} s ({attempt} attempts; last error: "
                    f"{type(exc).__name__})"
                ) from None
            pause = min(delay, max_delay, remaining)
            if report is not None:
                report(attempt, type(exc).__name__, pause)
            time.sleep(pause)
            delay *= 2
