"""Migrations: up to date with the models, and applied forward and back to zero on an empty PostgreSQL database."""

from __future__ import annotations

import os
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from config.tests.processes import manage

pytestmark = pytest.mark.slow

OUR_TABLES = {"users", "bots", "documents", "sessions", "calls"}


@pytest.mark.django_db
def test_the_suite_runs_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()

    assert connection.vendor == "postgresql"
    assert version.startswith("PostgreSQL ")


@pytest.mark.django_db
def test_the_postgresql_only_settings_are_applied():
    # Migrations' SQL that SQLite goes without (common.migration_ops.postgresql_sql): lz4 for the large texts
    # where the server has it, frequent autovacuum for the tables the analytics read from their indexes.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_config() WHERE name = 'CONFIGURE' AND setting LIKE '%--with-lz4%'")
        has_lz4 = cursor.fetchone() is not None
        cursor.execute(
            "SELECT attrelid::regclass::text, attname, attcompression FROM pg_attribute "
            "WHERE (attrelid = 'documents'::regclass AND attname IN ('content', 'chunks')) "
            "OR (attrelid = 'document_chunks'::regclass AND attname = 'content') ORDER BY 1, 2"
        )
        compression = cursor.fetchall()
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname IN ('calls', 'sessions') ORDER BY 1")
        options = cursor.fetchall()

    method = "l" if has_lz4 else ""
    assert compression == [
        ("document_chunks", "content", method),
        ("documents", "chunks", method),
        ("documents", "content", method),
    ]
    autovacuum = ["autovacuum_vacuum_insert_scale_factor=0.01", "autovacuum_vacuum_scale_factor=0.02"]
    assert options == [("calls", autovacuum), ("sessions", autovacuum)]


def test_no_model_change_lacks_a_migration():
    result = manage("makemigrations", "--check", "--dry-run")

    assert result.returncode == 0, result.stdout + result.stderr


def _server_url(database: str) -> str:
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"]) + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {name for (name,) in rows}


@pytest.fixture
def empty_database():
    """A brand-new PostgreSQL database on the test server, dropped afterwards."""
    name = f"voicebot_migrations_{os.getpid()}"
    admin_url = _server_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _server_url(name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrations_apply_on_an_empty_database_and_reverse_to_zero(empty_database):
    env = {"DATABASE_URL": empty_database, "SECRET_KEY": "migration-test"}

    forward = manage("migrate", "--noinput", **env)
    assert forward.returncode == 0, forward.stderr
    assert _tables(empty_database) >= OUR_TABLES

    # Every app with migrations, to zero; Django unapplies what depends on each first.
    for app in ("axes", "analytics", "documents", "bots", "admin", "sessions", "accounts", "auth", "contenttypes"):
        backward = manage("migrate", app, "zero", "--noinput", **env)
        assert backward.returncode == 0, backward.stderr
    assert _tables(empty_database) == {"django_migrations"}

    again = manage("migrate", "--noinput", **env)
    assert again.returncode == 0, again.stderr
    assert _tables(empty_database) >= OUR_TABLES


def test_calls_stored_with_absurd_figures_are_repaired_before_their_bounds_apply(empty_database):
    # analytics 0006 bounds cost and duration (no stored row may break a report): rows written before it are
    # repaired, an absurd cost to 0 ("unknown"), an absurd duration to NULL; plausible ones are kept.
    env = {"DATABASE_URL": empty_database, "SECRET_KEY": "migration-test"}
    assert manage("migrate", "analytics", "0004", "--noinput", **env).returncode == 0
    with psycopg.connect(empty_database) as conn:
        conn.execute("""INSERT INTO users (id, email, password, "createdAt", "updatedAt")
                        VALUES ('user_1', 'a@example.com', '!', now(), now())""")
        conn.execute("""INSERT INTO bots (id, uuid, "userId", name, "welcomeMessage", "systemPrompt", "embedCode",
                                          "activationScheduledAt", "updatedAt")
                        VALUES ('bot_1', '0b6f7c2a-1111-4222-8333-944445555666', 'user_1', 'B', 'Hi', 'Be kind', '',
                                now(), now())""")
        for call_id, cost, duration in [
            ("ok", 0.25, 60),
            ("huge", 1e300, 10**9),
            ("inf", "Infinity", None),
            ("nan", "NaN", 7 * 24 * 3600),
        ]:
            conn.execute(
                """INSERT INTO calls (id, "vapiCallId", "assistantId", "userId", "botId", status, cost, duration,
                                      "updatedAt")
                   VALUES (%s, %s, 'asst', 'user_1', 'bot_1', 'ENDED', %s::float8, %s, now())""",
                [call_id, call_id, cost, duration],
            )

    assert manage("migrate", "analytics", "0006", "--noinput", **env).returncode == 0

    with psycopg.connect(empty_database) as conn:
        rows = conn.execute('SELECT "vapiCallId", cost, duration FROM calls ORDER BY 1').fetchall()
        assert rows == [("huge", 0, None), ("inf", 0, None), ("nan", 0, 7 * 24 * 3600), ("ok", 0.25, 60)]
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("UPDATE calls SET cost = 1e300 WHERE id = 'ok'")
