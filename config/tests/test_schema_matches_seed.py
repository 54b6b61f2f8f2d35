"""The five tables, column by column, against the original Prisma schema (seed/DATABASE_MIGRATION.md and
spec/legacy-api.md): read back from PostgreSQL's catalogue, not from the models' own declarations.

Where we differ from the original on purpose, the difference is listed here with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

pytestmark = pytest.mark.django_db

STRING = {"character varying", "text"}
TEXT = {"text"}
INT = {"integer"}
FLOAT = {"double precision"}
BOOL = {"boolean"}
# Prisma's DateTime was timestamp(3) without time zone; ours are time-zone-aware UTC (DESIGN.md, "Data").
DATETIME = {"timestamp with time zone"}
# Prisma's String[]; a JSON list here so that the SQLite quick start works (DESIGN.md, "Data").
STRING_LIST = {"jsonb"}


@dataclass(frozen=True)
class Column:
    name: str
    types: set[str]
    null: bool = False
    default: str | None = None  # the database default, as PostgreSQL prints it
    key: str | None = None  # "pk", "unique" or "index"
    enum: tuple[str, ...] | None = None
    references: str | None = None  # "table.column", ON DELETE CASCADE


NOW = "statement_timestamp()"

SEED: dict[str, list[Column]] = {
    "users": [
        Column("id", STRING, key="pk"),
        Column("email", STRING, key="unique"),
        Column("firstName", STRING, null=True),
        Column("lastName", STRING, null=True),
        Column("imageUrl", STRING, null=True),
        Column("createdAt", DATETIME, default=NOW),
        Column("updatedAt", DATETIME),
    ],
    "bots": [
        Column("id", STRING, key="pk"),
        # bots(uuid): the unique constraint's index is the original's separate index too.
        Column("uuid", STRING, key="unique"),
        Column("name", STRING),
        Column("welcomeMessage", STRING),
        Column("systemPrompt", TEXT),
        Column("language", STRING, default="'en'::character varying"),
        Column("voice", STRING, default="'jennifer'::character varying"),
        Column("position", STRING, default="'RIGHT'::character varying", enum=("LEFT", "RIGHT")),
        Column("theme", STRING, default="'LIGHT'::character varying", enum=("LIGHT", "DARK")),
        Column("ragEnabled", BOOL, default="false"),
        Column("ragSourceType", STRING, null=True, enum=("FILES", "URL")),
        Column("ragUrl", STRING, null=True),
        Column(
            "status",
            STRING,
            default="'PENDING'::character varying",
            key="index",
            enum=("PENDING", "ACTIVATING", "ACTIVE", "FAILED"),
        ),
        Column("embedCode", TEXT),
        Column("documentsProcessed", INT, default="0"),
        # Not unique in the original; unique here (STYLE.md 10): a call's assistant id must name one bot.
        Column("vapiAssistantId", STRING, null=True, key="unique"),
        Column("vapiKnowledgeBaseId", STRING, null=True),
        Column("localFilesStored", INT, default="0"),
        Column("localStoragePath", STRING, null=True),
        # No database default in the original either; the model defaults it to "now" (activate right away).
        Column("activationScheduledAt", DATETIME),
        Column("activatedAt", DATETIME, null=True),
        Column("createdAt", DATETIME, default=NOW),
        Column("updatedAt", DATETIME),
        Column("userId", STRING, key="index", references="users.id"),
    ],
    "documents": [
        Column("id", STRING, key="pk"),
        Column("name", STRING),
        Column("type", STRING),
        Column("size", INT),
        Column("content", TEXT, null=True),
        Column("chunks", STRING_LIST),
        Column("pages", INT, null=True),
        Column("wordCount", INT, null=True),
        Column("filePath", STRING, null=True),
        Column("uploadedAt", DATETIME, default=NOW),
        Column("processedAt", DATETIME, null=True),
        Column("botId", STRING, key="index", references="bots.id"),
    ],
    "sessions": [
        Column("id", STRING, key="pk"),
        Column("sessionId", STRING, key="unique"),
        Column("startTime", DATETIME, default=NOW, key="index"),
        Column("endTime", DATETIME, null=True),
        Column("userAgent", STRING, null=True),
        Column("ipAddress", STRING, null=True),
        Column("interactions", INT, default="0"),
        Column("userId", STRING, key="index", references="users.id"),
        Column("botId", STRING, key="index", references="bots.id"),
    ],
    "calls": [
        Column("id", STRING, key="pk"),
        Column("vapiCallId", STRING, key="unique"),
        Column("assistantId", STRING, key="index"),
        Column("status", STRING, key="index", enum=("QUEUED", "RINGING", "IN_PROGRESS", "FORWARDING", "ENDED")),
        Column("endedReason", STRING, null=True),
        Column("phoneNumber", STRING, null=True),
        Column("type", STRING, null=True),
        Column("cost", FLOAT, default="0.0"),
        Column("duration", INT, null=True),
        Column("transcript", TEXT, null=True),
        Column("recording", STRING, null=True),
        Column("summary", TEXT, null=True),
        Column("messageCount", INT, default="0"),
        Column("createdAt", DATETIME, default=NOW, key="index"),
        Column("startedAt", DATETIME, null=True),
        Column("endedAt", DATETIME, null=True),
        Column("updatedAt", DATETIME),
        Column("userId", STRING, key="index", references="users.id"),
        Column("botId", STRING, key="index", references="bots.id"),
    ],
}

# Columns the original did not have. Users: what Django needs for staff to log into the admin, and Clerk's
# updated_at of the profile we hold (webhook deliveries that arrive out of order are ignored by it).
ADDED_COLUMNS: dict[str, set[str]] = {
    "users": {"password", "lastLogin", "isSuperuser", "isStaff", "isActive", "clerkUpdatedAt"},
    # The activation lifecycle's record: when the attempt began, how many, why it failed, why a sync failed.
    # and the website crawl's record (ragSourceType URL).
    "bots": {
        "activationStartedAt",
        "activationAttempts",
        "activationError",
        "vapiSyncError",
        "knowledgeSyncedAt",
        "knowledgeSyncError",
    },
    # Processing (status, error, when the last attempt began and how many there were), crawled pages (sourceUrl),
    # change detection on re-crawls (contentHash) and the chunks' sentence vectors: their model and when (issue 17).
    "documents": {
        "status",
        "error",
        "sourceUrl",
        "contentHash",
        "processingStartedAt",
        "processingAttempts",
        "embeddingModel",
        "embeddedAt",
    },
    "sessions": {"country"},
    # VAPI's conversation (artifact.messages) and raw analysis, beside the count the original kept (nullable JSON).
    "calls": {"messages", "analysis"},
}

CASES = [(table, column) for table, columns in SEED.items() for column in columns]


def _model(table: str) -> type[models.Model]:
    return next(model for model in apps.get_models() if model._meta.db_table == table)


def _catalogue(table: str) -> dict[str, dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            [table],
        )
        return {
            name: {"type": data_type, "null": nullable == "YES", "default": default}
            for name, data_type, nullable, default in cursor.fetchall()
        }


def _constraints(table: str) -> dict[str, dict]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


def _key_of(column: str, constraints: dict[str, dict]) -> str | None:
    single = [c for c in constraints.values() if c["columns"] == [column]]
    if any(c["primary_key"] for c in single):
        return "pk"
    if any(c["unique"] for c in single):
        return "unique"
    if any(c["index"] for c in single):
        return "index"
    return None


@pytest.mark.parametrize(("table", "column"), CASES, ids=[f"{t}.{c.name}" for t, c in CASES])
def test_column_matches_the_seed(table: str, column: Column):
    catalogue = _catalogue(table)
    assert column.name in catalogue, f"{table}.{column.name} is missing"
    actual = catalogue[column.name]

    assert actual["type"] in column.types
    assert actual["null"] is column.null
    assert actual["default"] == column.default
    assert _key_of(column.name, _constraints(table)) == column.key

    field = next(f for f in _model(table)._meta.concrete_fields if f.column == column.name)
    assert field.null is column.null
    if column.enum is not None:
        assert tuple(value for value, _label in field.choices) == column.enum


@pytest.mark.parametrize("table", SEED)
def test_no_column_beyond_the_seed_and_the_listed_additions(table: str):
    expected = {column.name for column in SEED[table]} | ADDED_COLUMNS[table]

    assert set(_catalogue(table)) == expected


@pytest.mark.parametrize(
    ("table", "column"), [(t, c) for t, c in CASES if c.references], ids=lambda v: getattr(v, "name", v)
)
def test_foreign_keys_cascade_in_the_orm_and_in_the_database(table: str, column: Column):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ref.relname, ref_att.attname, con.confdeltype FROM pg_constraint con "
            "JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1] "
            "JOIN pg_class ref ON ref.oid = con.confrelid "
            "JOIN pg_attribute ref_att ON ref_att.attrelid = con.confrelid AND ref_att.attnum = con.confkey[1] "
            "WHERE con.contype = 'f' AND con.conrelid = %s::regclass AND att.attname = %s",
            [table, column.name],
        )
        rows = cursor.fetchall()

    assert rows == [(*column.references.split("."), "c")]  # "c": ON DELETE CASCADE
    field = next(f for f in _model(table)._meta.concrete_fields if f.column == column.name)
    assert field.remote_field.on_delete is models.CASCADE


ENUM_CASES = [(t, c) for t, c in CASES if c.enum]


def _make_row(table: str) -> models.Model:
    from analytics.tests.factories import CallFactory
    from bots.tests.factories import BotFactory

    return {"bots": BotFactory, "calls": CallFactory}[table]()


@pytest.mark.parametrize(("table", "column"), ENUM_CASES, ids=[f"{t}.{c.name}" for t, c in ENUM_CASES])
def test_enum_values_are_enforced_by_the_database(table: str, column: Column):
    row = _make_row(table)

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        # The legacy API's lower-case spelling must never reach the table.
        cursor.execute(f'UPDATE {table} SET "{column.name}" = %s WHERE id = %s', [column.enum[0].lower(), row.pk])


def _literal(default: str) -> object:
    """PostgreSQL's printed column default as a Python value: 'en'::character varying -> "en", false -> False."""
    if default.startswith("'"):
        return default[1 : default.index("'", 1)]
    if default in ("true", "false"):
        return default == "true"
    return float(default) if "." in default else int(default)


DEFAULT_CASES = [(t, c) for t, c in CASES if c.default is not None]


@pytest.mark.parametrize(("table", "column"), DEFAULT_CASES, ids=[f"{t}.{c.name}" for t, c in DEFAULT_CASES])
def test_python_default_is_the_database_default(table: str, column: Column):
    """A row made by the ORM gets what a row inserted with plain SQL gets."""
    field = next(f for f in _model(table)._meta.concrete_fields if f.column == column.name)

    if column.default == NOW:
        assert field.default is timezone.now
    else:
        assert field.default == _literal(column.default)
