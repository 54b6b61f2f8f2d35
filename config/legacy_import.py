"""Moving in from the original app: its PostgreSQL database (Prisma schema) into ours.

The original's five tables are read with psycopg directly (never through ``DATABASES``: the original is not one of
our databases), in one read-only REPEATABLE READ transaction so that every table is read from the same snapshot, by
server-side cursors in batches of ``batch_size`` rows. Rows keep their ids. Each row is converted (enums checked,
naive UTC timestamps made aware, the original's quirks repaired, see below), validated with our models' own
fields, and compared with the row of the same id here:

* absent here: created;
* the same: unchanged (a second run creates and writes nothing);
* different: updated, the changed columns only, unless the row here changed after the original's (users: Clerk
  told us a newer profile, ``clerkUpdatedAt``; bots and calls: ``updatedAt``): then it is *kept* as it is.
  Documents and sessions have no ``updatedAt`` in the original: the original's values win.

Rows deleted from the original after a first run are not deleted here: this is an import, not a mirror.

A row that cannot be imported (a field our model refuses, an unknown enum value, an email, bot uuid, VAPI
assistant id, session id or call id that belongs to another row here, a parent that was not imported) is reported
with its table, id and reason and skipped; its children are skipped with it (a bot whose owner was skipped, that
bot's documents, sessions and calls). The rest is imported. Everything runs in one transaction: a failure that is
not a row's own (the database going away, a bug) rolls the whole import back, so nothing is left half-imported. A
row the database refuses for a reason we did not foresee is found by retrying its batch row by row, each in its
own savepoint, and reported like the others.

Repairs on the way (each one a defect of the original, spec/legacy-api.md):

* ``sessions.userId`` and ``calls.userId`` are set to the bot's owner: every analytics query here is scoped by
  that column, and the original filled sessions' with whoever was signed in when the session was recorded. A row
  whose owner changed this way is noted in the report.
* Documents: the original never parsed PDFs (their content is a placeholder sentence), read DOCX as if it were
  text, and cut chunks at blank lines. A document whose content is real text (TXT, MD, CSV, JSON, HTML, checked by
  content and name as an upload is) is re-extracted, re-chunked and indexed as our pipeline does (READY). One
  without usable text is imported FAILED, "waiting for its original file": the uploads import
  (``config.legacy_uploads``) brings the file and sends it through the processing pipeline. From then on the file
  is the document's source: the database import leaves its content columns alone.
* ``documents.filePath`` (a path on the original's server) is not kept: ours is the stored original's path, set
  when the uploads import stores it. The bots' ``documentsProcessed``/``localFilesStored``/``localStoragePath``
  are recounted from what is here, never copied.
* A bot imported ACTIVATING gets ``activationStartedAt`` = its ``updatedAt``, so that the stuck-activation beat
  retries it instead of leaving it ACTIVATING for ever.
"""

from __future__ import annotations

import datetime
import io
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import environ
import psycopg
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, models, transaction
from psycopg import sql
from psycopg.rows import dict_row

from accounts.models import User
from analytics.models import Call, CallStatus, Session
from bots.models import Bot, BotStatus, Position, RagSourceType, Theme
from documents.extract import KINDS, ExtractionError, extract, media_type, sniff_kind
from documents.models import Document, DocumentChunk, DocumentStatus
from documents.services import bot_document_counters_refresh, document_index_text, text_hash
from documents.uploads import SNIFF_BYTES

# What an imported document without usable text says until its original file is imported (shown to its owner).
ORIGINAL_MISSING = "Waiting for the original file to be imported from the previous app"
# How the original's content of every PDF began (it never parsed them).
PDF_PLACEHOLDER = "[PDF Document: "
DEFAULT_BATCH_SIZE = 500
# Documents carry their whole text: they are read in smaller batches.
DOCUMENT_BATCH_DIVISOR = 10
CONNECT_TIMEOUT = 10

# Query parameters of a Prisma DATABASE_URL that libpq does not know (ops paste the original's URL as it is).
# ``schema`` becomes the search_path; the others tune Prisma's own pool and mean nothing to a single reader.
PRISMA_ONLY_PARAMETERS = frozenset(
    {"schema", "connection_limit", "pool_timeout", "pgbouncer", "socket_timeout", "statement_cache_size", "sslaccept"}
)

# The original's columns that are read, per table (Prisma schema; documents.chunks is not read: it is re-cut).
LEGACY_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "email", "firstName", "lastName", "imageUrl", "createdAt", "updatedAt"),
    "bots": (
        "id",
        "uuid",
        "name",
        "welcomeMessage",
        "systemPrompt",
        "language",
        "voice",
        "position",
        "theme",
        "ragEnabled",
        "ragSourceType",
        "ragUrl",
        "status",
        "embedCode",
        "vapiAssistantId",
        "vapiKnowledgeBaseId",
        "activationScheduledAt",
        "activatedAt",
        "createdAt",
        "updatedAt",
        "userId",
    ),
    "documents": ("id", "name", "type", "size", "content", "pages", "uploadedAt", "processedAt", "botId"),
    "sessions": (
        "id",
        "sessionId",
        "startTime",
        "endTime",
        "userAgent",
        "ipAddress",
        "interactions",
        "userId",
        "botId",
    ),
    "calls": (
        "id",
        "vapiCallId",
        "assistantId",
        "status",
        "endedReason",
        "phoneNumber",
        "type",
        "cost",
        "duration",
        "transcript",
        "recording",
        "summary",
        "messageCount",
        "createdAt",
        "startedAt",
        "endedAt",
        "updatedAt",
        "userId",
        "botId",
    ),
}
# Postgres enum columns: read as text, so that a value our enums do not know is reported, not a driver error.
ENUM_COLUMNS = {"bots": {"position", "theme", "ragSourceType", "status"}, "calls": {"status"}}


class LegacyImportError(Exception):
    """The import cannot start or go on (the original cannot be reached, its schema is not the expected one). The
    message is safe to print: it never carries a password or a driver's text."""


# --- The report --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A row (or file) that was not imported, or was imported with a remark."""

    table: str
    id: str
    reason: str


@dataclass(frozen=True)
class Change:
    """A row that was (or in a dry run would be) created or updated, with the columns that change."""

    table: str
    action: str  # "create" or "update"
    id: str
    columns: tuple[str, ...] = ()


@dataclass
class TableReport:
    table: str
    total: int = 0  # rows in the original
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # changed here after the original's last change: left as it is
    skipped: int = 0


@dataclass
class ImportReport:
    source: str  # the original database, without its password
    tables: list[TableReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # not imported
    notes: list[Problem] = field(default_factory=list)  # imported, with a remark
    changes: list[Change] = field(default_factory=list)  # only when asked for (dry runs, -v 2)


# --- Reading the original --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegacySource:
    """Connection settings of the original's database, parsed from its URL the way ``DATABASE_URL`` is (Azure's
    ``user@server`` user names, ``sslmode`` and other libpq parameters), plus Prisma's own parameters."""

    params: dict[str, Any]
    display: str  # user@host:port/name: what reports and errors show, never the password

    @classmethod
    def from_url(cls, url: str) -> LegacySource:
        try:
            config = environ.Env.db_url_config(url)
        except Exception:
            raise LegacyImportError("The original database URL cannot be read (expected postgres://…)") from None
        if config.get("ENGINE") != "django.db.backends.postgresql" or not config.get("NAME"):
            raise LegacyImportError("The original database URL must be a PostgreSQL URL: postgres://user@host/name")
        options = {key: str(value) for key, value in (config.get("OPTIONS") or {}).items()}
        params: dict[str, Any] = {key: value for key, value in options.items() if key not in PRISMA_ONLY_PARAMETERS}
        if options.get("schema"):
            # Prisma puts the tables in ?schema= (public by default); libpq's options split on unescaped spaces.
            search_path = _quote_ident(options["schema"]).replace(" ", "\\ ")
            params["options"] = f"{params.get('options', '')} -c search_path={search_path}".strip()
        params.setdefault("connect_timeout", CONNECT_TIMEOUT)
        params.setdefault("application_name", "voicebot-import")
        params.update(dbname=config["NAME"], user=config.get("USER") or None, password=config.get("PASSWORD") or None)
        params.update(host=config.get("HOST") or None, port=config.get("PORT") or None)
        host = config.get("HOST") or "localhost"
        port = f":{config['PORT']}" if config.get("PORT") else ""
        user = f"{config['USER']}@" if config.get("USER") else ""
        params = {key: value for key, value in params.items() if value is not None}
        return cls(params=params, display=f"{user}{host}{port}/{config['NAME']}")

    @contextmanager
    def open(self) -> Iterator[LegacyReader]:
        try:
            conn = psycopg.connect(**self.params, row_factory=dict_row)
        except psycopg.Error as exc:
            raise LegacyImportError(
                f"Cannot connect to the original database {self.display} ({_error_name(exc)})"
            ) from None
        try:
            # One snapshot for every table (a bot written between reading bots and documents is not half-seen),
            # and the original is never written to.
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            yield LegacyReader(conn, self.display)
        finally:
            conn.close()  # ends the read-only transaction


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _error_name(exc: BaseException) -> str:
    """A driver error by class (and SQLSTATE): its text can name hosts, users and values."""
    state = getattr(exc, "sqlstate", None)
    return f"{type(exc).__name__}, SQLSTATE {state}" if state else type(exc).__name__


class LegacyReader:
    def __init__(self, conn: psycopg.Connection, display: str) -> None:
        self.conn = conn
        self.display = display

    def missing_columns(self) -> list[str]:
        """What the import needs and the original's database lacks ("table bots", 'column calls."summary"')."""
        rows = self._execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ANY(%s)",
            [list(LEGACY_COLUMNS)],
        ).fetchall()
        present: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            present[row["table_name"]].add(row["column_name"])
        missing: list[str] = []
        for table, columns in LEGACY_COLUMNS.items():
            if table not in present:
                missing.append(f"table {table}")
                continue
            missing += [f'column {table}."{column}"' for column in columns if column not in present[table]]
        return missing

    def is_django_database(self) -> bool:
        """True for a database of this application (ours has the original's table and column names too: imported
        onto itself, it would change nothing and report everything as unchanged, hiding the mistake)."""
        return self._execute("SELECT to_regclass('django_migrations') IS NOT NULL AS ours").fetchone()["ours"]

    def count(self, table: str) -> int:
        return self._execute(sql.SQL("SELECT count(*) AS n FROM {}").format(sql.Identifier(table))).fetchone()["n"]

    def batches(self, table: str, batch_size: int) -> Iterator[list[dict[str, Any]]]:
        """The table's rows in id order, ``batch_size`` at a time, from a server-side cursor (the original's table
        is never held in memory whole)."""
        enums = ENUM_COLUMNS.get(table, set())
        columns = sql.SQL(", ").join(
            sql.SQL("{}::text AS {}").format(sql.Identifier(column), sql.Identifier(column))
            if column in enums
            else sql.Identifier(column)
            for column in LEGACY_COLUMNS[table]
        )
        query = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(columns, sql.Identifier(table), sql.Identifier("id"))
        try:
            with self.conn.cursor(name=f"legacy_{table}") as cursor:
                cursor.itersize = batch_size
                cursor.execute(query)
                while batch := cursor.fetchmany(batch_size):
                    yield batch
        except psycopg.Error as exc:
            raise LegacyImportError(f"Reading {table} from the original database failed ({_error_name(exc)})") from None

    def _execute(self, query, params=None) -> psycopg.Cursor:
        try:
            return self.conn.execute(query, params)
        except psycopg.Error as exc:
            raise LegacyImportError(f"Reading the original database failed ({_error_name(exc)})") from None


# --- Converting rows ---------------------------------------------------------------------------------------------


class Skip(Exception):
    """The row cannot be imported; ``reason`` says why, for the report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Plan:
    """What our row of the original's row ``id`` should hold."""

    id: str
    values: dict[str, Any]  # field (attname) -> value: compared with our row, the changed ones written
    on_create: dict[str, Any] = field(default_factory=dict)  # written only with a new row
    fresh: datetime.datetime | None = None  # the original's updatedAt, for tables that have a freshness column
    text: str | None = None  # documents: the text to index
    note: str | None = None


def aware(value: datetime.datetime | None) -> datetime.datetime | None:
    """Prisma's ``TIMESTAMP(3)`` holds UTC without saying so; ours are time-zone aware."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)


def enum(value: str | None, choices: type[models.TextChoices], column: str, *, null: bool = False) -> str | None:
    if value is None:
        if null:
            return None
        raise Skip(f'"{column}" is empty')
    converted = value.strip().upper()
    if converted not in choices.values:
        raise Skip(f'"{column}" is {value!r}, not one of {", ".join(choices.values)}')
    return converted


def invalid(model: type[models.Model], values: dict[str, Any]) -> str | None:
    """The first value our model's field refuses (too long, not an email, URL or IP address, blank where a value
    is required...), said with the column's name. Relations are checked by the importers, in bulk."""
    for name, value in values.items():
        model_field = model._meta.get_field(name)
        if model_field.is_relation:
            continue
        try:
            model_field.clean(value, None)
        except ValidationError as exc:
            return f'"{model_field.column}": {" ".join(exc.messages)}'
    return None


def database_refusal(exc: Exception) -> str:
    """Why the database refused a row, by constraint or column name (never the driver's text, which quotes
    values)."""
    cause = exc.__cause__ or exc
    diag = getattr(cause, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    column = getattr(diag, "column_name", None)
    if constraint:
        return f"the database refused it (constraint {constraint})"
    if column:
        return f'the database refused it (column "{column}")'
    return f"the database refused it ({type(cause).__name__})"


_TEXT_KINDS = ("txt", "md", "csv", "json", "html")
_KIND_OF_MEDIA_TYPE = {media_type(kind): kind for kind in KINDS}


@dataclass(frozen=True)
class LegacyText:
    """What a document row of the original yields: its kind (when known), and either its text or why not."""

    kind: str | None
    text: str | None
    reason: str | None = None


def legacy_document_text(*, name: str, media: str, content: str | None) -> LegacyText:
    """The text of a document of the original, from its ``content`` column.

    The original stored a text file's text in ``content`` (and wrote that same text to disk as the "original"), a
    placeholder sentence for a PDF, and a DOCX's bytes misread as text. So ``content`` is treated as the file it
    came from and checked as an upload is: its first bytes must agree with the name's extension (or, for a name
    without one, with the media type the browser sent) and be text. Then our extractor reads it, so HTML, CSV and
    JSON are reduced to their readable text exactly as an upload of the same file would be."""
    kind_of_type = _KIND_OF_MEDIA_TYPE.get((media or "").split(";")[0].strip().lower())
    if content is None or not content.strip():
        return LegacyText(kind=kind_of_type, text=None, reason=ORIGINAL_MISSING)
    if content.startswith(PDF_PLACEHOLDER):
        return LegacyText(kind="pdf", text=None, reason=ORIGINAL_MISSING)
    data = content.encode("utf-8", errors="replace")
    head = data[:SNIFF_BYTES]
    kind = sniff_kind(head, name)
    if kind is None and not os.path.splitext(name)[1] and kind_of_type in _TEXT_KINDS:
        kind = sniff_kind(head, f"document.{kind_of_type}")  # a name without an extension: the browser's type
    if kind not in _TEXT_KINDS:
        return LegacyText(kind=kind or kind_of_type, text=None, reason=ORIGINAL_MISSING)
    try:
        extracted = extract(io.BytesIO(data), kind)
    except ExtractionError as exc:
        return LegacyText(kind=kind, text=None, reason=exc.reason)
    return LegacyText(kind=kind, text=extracted.text)


# --- Writing rows ------------------------------------------------------------------------------------------------


def _grouped(rows: Iterable[tuple[str, dict[str, Any]]]) -> dict[tuple[str, ...], list[tuple[str, dict[str, Any]]]]:
    groups: dict[tuple[str, ...], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for pk, values in rows:
        groups[tuple(values)].append((pk, values))
    return groups


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """INSERT the rows (dicts of attname -> value, the primary key included) as given: unlike ``bulk_create``, an
    ``auto_now`` column keeps the original's value. Columns left out get their database default (or NULL). One
    pipelined ``executemany`` per set of columns."""
    for names, group in _grouped((row["id"], row) for row in rows).items():
        fields = [model._meta.get_field(name) for name in names]
        # Identifiers from our models' metadata, quoted; every value is a parameter.
        query = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            connection.ops.quote_name(model._meta.db_table),
            ", ".join(connection.ops.quote_name(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
        )
        params = [[f.get_db_prep_save(values[f.attname], connection) for f in fields] for _, values in group]
        with connection.cursor() as cursor:
            cursor.executemany(query, params)


def update_rows(model: type[models.Model], rows: list[tuple[str, dict[str, Any]]]) -> None:
    """UPDATE each row's given columns only (rows grouped by the columns they change, one ``executemany`` each)."""
    for names, group in _grouped(rows).items():
        if not names:
            continue
        fields = [model._meta.get_field(name) for name in names]
        query = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
            connection.ops.quote_name(model._meta.db_table),
            ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields),
            connection.ops.quote_name(model._meta.pk.column),
        )
        params = [[*(f.get_db_prep_save(values[f.attname], connection) for f in fields), pk] for pk, values in group]
        with connection.cursor() as cursor:
            cursor.executemany(query, params)


# --- One table ---------------------------------------------------------------------------------------------------


class TableImport:
    """Import one table of the original, batch by batch. Subclasses say how a row converts (``convert``), which
    of our columns it fills (``fields``), what else a batch needs from our database (``context``), and which
    columns must be unique across ids (``unique``)."""

    table: str
    model: type[models.Model]
    fields: tuple[str, ...]  # our attnames that ``convert`` fills, compared with our row
    unique: tuple[str, ...] = ()
    fresh_field: str | None = None  # our column that says the row changed here after the import
    batch_divisor = 1

    def __init__(self, run: ImportRun) -> None:
        self.run = run
        self.report = TableReport(self.table)

    # Hooks.

    def context(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {}

    def convert(self, row: dict[str, Any], existing: dict[str, Any] | None, context: dict[str, Any]) -> Plan:
        raise NotImplementedError

    def changed(self, plan: Plan, existing: dict[str, Any]) -> list[str]:
        return [name for name, value in plan.values.items() if existing[name] != value]

    def write(self, creates: list[Plan], updates: list[tuple[Plan, list[str]]]) -> None:
        insert_rows(self.model, [{"id": plan.id, **plan.values, **plan.on_create} for plan in creates])
        update_rows(self.model, [(plan.id, {name: plan.values[name] for name in columns}) for plan, columns in updates])

    # The batch.

    def import_batch(self, rows: list[dict[str, Any]]) -> None:
        self.report.read += len(rows)
        ids = [row["id"] for row in rows]
        wanted = {*self.fields, *([self.fresh_field] if self.fresh_field else ())}
        existing = {row["pk"]: row for row in self.model.objects.filter(pk__in=ids).values("pk", *sorted(wanted))}
        context = self.context(rows)
        plans: list[Plan] = []
        for row in rows:
            try:
                plan = self.convert(row, existing.get(row["id"]), context)
                reason = invalid(self.model, {"id": plan.id, **plan.values, **plan.on_create})
                if reason:
                    raise Skip(reason)
            except Skip as skip:
                self.skip(row["id"], skip.reason)
                continue
            plans.append(plan)
        plans = self.without_unique_conflicts(plans)

        creates: list[Plan] = []
        updates: list[tuple[Plan, list[str]]] = []
        for plan in plans:
            ours = existing.get(plan.id)
            if ours is None:
                creates.append(plan)
                continue
            columns = self.changed(plan, ours)
            if not columns:
                self.report.unchanged += 1
            elif self.fresh_field and ours[self.fresh_field] and plan.fresh and ours[self.fresh_field] > plan.fresh:
                self.report.kept += 1
            else:
                updates.append((plan, columns))
        refused = self.apply(creates, updates)
        self.run.report.notes += [
            Problem(self.table, plan.id, plan.note) for plan in plans if plan.note and plan.id not in refused
        ]

    def skip(self, row_id: str, reason: str) -> None:
        self.report.skipped += 1
        self.run.report.problems.append(Problem(self.table, row_id, reason))

    def without_unique_conflicts(self, plans: list[Plan]) -> list[Plan]:
        """Skip rows whose unique value (an email, a bot uuid...) belongs to another row here, or to an earlier row
        of the batch. One query per unique column."""
        for name in self.unique:
            column = self.model._meta.get_field(name).column
            values = {plan.values[name] for plan in plans if plan.values[name] is not None}
            taken = dict(
                self.model.objects.filter(**{f"{name}__in": values})
                .exclude(pk__in=[plan.id for plan in plans])
                .values_list(name, "pk")
            )
            kept: list[Plan] = []
            for plan in plans:
                value = plan.values[name]
                owner = taken.get(value) if value is not None else None
                if owner is not None:
                    self.skip(plan.id, f'"{column}" {value!r} belongs to another row ({self.table} {owner})')
                    continue
                if value is not None:
                    taken[value] = plan.id
                kept.append(plan)
            plans = kept
        return plans

    def apply(self, creates: list[Plan], updates: list[tuple[Plan, list[str]]]) -> set[str]:
        """Write the batch in a savepoint; when the database refuses it, row by row, to find and report the rows it
        refuses and write the others. Returns the ids of the refused rows."""
        refused: set[str] = set()
        try:
            with transaction.atomic():
                self.write(creates, updates)
        except (IntegrityError, DataError):
            refused = {plan.id for plan in creates if not self._apply_one([plan], [])}
            refused |= {plan.id for plan, columns in updates if not self._apply_one([], [(plan, columns)])}
            creates = [plan for plan in creates if plan.id not in refused]
            updates = [(plan, columns) for plan, columns in updates if plan.id not in refused]
        self.report.created += len(creates)
        self.report.updated += len(updates)
        if self.run.record_changes:
            self.run.report.changes += [Change(self.table, "create", plan.id) for plan in creates]
            self.run.report.changes += [Change(self.table, "update", plan.id, tuple(cols)) for plan, cols in updates]
        return refused

    def _apply_one(self, creates: list[Plan], updates: list[tuple[Plan, list[str]]]) -> bool:
        plan = creates[0] if creates else updates[0][0]
        try:
            with transaction.atomic():
                self.write(creates, updates)
        except (IntegrityError, DataError) as exc:
            self.skip(plan.id, database_refusal(exc))
            return False
        return True


def _present(model: type[models.Model], ids: Iterable[str]) -> set[str]:
    return set(model.objects.filter(pk__in=set(ids)).values_list("pk", flat=True))


class UserImport(TableImport):
    table = "users"
    model = User
    fields = ("email", "first_name", "last_name", "image_url", "created_at", "updated_at")
    unique = ("email",)
    # The profile here came from Clerk itself after the original last saved it: Clerk is the profile's source.
    fresh_field = "clerk_updated_at"

    def convert(self, row, existing, context) -> Plan:
        return Plan(
            id=row["id"],
            values={
                "email": row["email"],
                "first_name": row["firstName"],
                "last_name": row["lastName"],
                "image_url": row["imageUrl"],
                "created_at": aware(row["createdAt"]),
                "updated_at": aware(row["updatedAt"]),
            },
            # Clerk users never sign in with a password here.
            on_create={"password": make_password(None)},
            fresh=aware(row["updatedAt"]),
        )


class BotImport(TableImport):
    table = "bots"
    model = Bot
    fields = (
        "uuid",
        "user_id",
        "name",
        "welcome_message",
        "system_prompt",
        "language",
        "voice",
        "position",
        "theme",
        "rag_enabled",
        "rag_source_type",
        "rag_url",
        "status",
        "embed_code",
        "vapi_assistant_id",
        "vapi_knowledge_base_id",
        "activation_scheduled_at",
        "activated_at",
        "created_at",
        "updated_at",
    )
    unique = ("uuid", "vapi_assistant_id")
    fresh_field = "updated_at"

    def context(self, rows):
        return {"users": _present(User, (row["userId"] for row in rows))}

    def convert(self, row, existing, context) -> Plan:
        if row["userId"] not in context["users"]:
            raise Skip(f"its owner, user {row['userId']}, is not here (not imported)")
        status = enum(row["status"], BotStatus, "status")
        updated_at = aware(row["updatedAt"])
        return Plan(
            id=row["id"],
            values={
                "uuid": row["uuid"],
                "user_id": row["userId"],
                "name": row["name"],
                "welcome_message": row["welcomeMessage"],
                "system_prompt": row["systemPrompt"],
                "language": row["language"],
                "voice": row["voice"],
                "position": enum(row["position"], Position, "position"),
                "theme": enum(row["theme"], Theme, "theme"),
                "rag_enabled": row["ragEnabled"],
                "rag_source_type": enum(row["ragSourceType"], RagSourceType, "ragSourceType", null=True),
                "rag_url": row["ragUrl"],
                "status": status,
                "embed_code": row["embedCode"],
                "vapi_assistant_id": row["vapiAssistantId"],
                "vapi_knowledge_base_id": row["vapiKnowledgeBaseId"],
                "activation_scheduled_at": aware(row["activationScheduledAt"]),
                "activated_at": aware(row["activatedAt"]),
                "created_at": aware(row["createdAt"]),
                "updated_at": updated_at,
            },
            on_create={"activation_started_at": updated_at if status == BotStatus.ACTIVATING else None},
            fresh=updated_at,
        )


class DocumentImport(TableImport):
    table = "documents"
    model = Document
    fields = (
        "bot_id",
        "name",
        "uploaded_at",
        "type",
        "size",
        "pages",
        "status",
        "error",
        "content_hash",
        "processed_at",
        "file_path",
    )
    batch_divisor = DOCUMENT_BATCH_DIVISOR
    # Written whenever a document without text is created or changed (what an earlier import may have indexed).
    NO_TEXT = {"content": None, "chunks": [], "word_count": None, "processed_at": None, "content_hash": None}
    # Columns that document_index_text writes itself.
    INDEXED = frozenset({"status", "content_hash", "processed_at"})

    def context(self, rows):
        return {"bots": Bot.objects.only("pk", "uuid", "language").in_bulk({row["botId"] for row in rows})}

    def convert(self, row, existing, context) -> Plan:
        if row["botId"] not in context["bots"]:
            raise Skip(f"its bot {row['botId']} is not here (not imported)")
        values: dict[str, Any] = {"bot_id": row["botId"], "name": row["name"], "uploaded_at": aware(row["uploadedAt"])}
        if existing is not None and existing["file_path"]:
            # Its original file was imported: the file, not the original's row, is the source of its content.
            return Plan(id=row["id"], values=values)
        legacy = legacy_document_text(name=row["name"], media=row["type"], content=row["content"])
        values.update(
            type=media_type(legacy.kind) if legacy.kind else (row["type"] or "application/octet-stream"),
            size=row["size"],
            pages=row["pages"],
        )
        if legacy.text is not None:
            values.update(status=DocumentStatus.READY, content_hash=text_hash(legacy.text))
            if row["processedAt"] is not None:
                values["processed_at"] = aware(row["processedAt"])
            return Plan(id=row["id"], values=values, on_create={"chunks": []}, text=legacy.text)
        values.update(status=DocumentStatus.FAILED, error=legacy.reason, content_hash=None)
        return Plan(id=row["id"], values=values, on_create={"chunks": []})

    def changed(self, plan, existing) -> list[str]:
        columns = super().changed(plan, existing)
        if "bot_id" in columns:
            self.run.bots_touched.add(existing["bot_id"])  # the bot it leaves is recounted too
        return columns

    def write(self, creates, updates) -> None:
        index: list[Plan] = []
        rows: list[dict[str, Any]] = []
        for plan in creates:
            row = {"id": plan.id, **plan.values, **plan.on_create}
            if plan.text is not None:
                index.append(plan)
                row = {name: value for name, value in row.items() if name not in self.INDEXED}
                row["status"] = DocumentStatus.PROCESSING
            else:
                row.update(self.NO_TEXT)
            rows.append(row)
        insert_rows(Document, rows)

        changes: list[tuple[str, dict[str, Any]]] = []
        cleared: list[str] = []
        moved: list[Plan] = []
        for plan, columns in updates:
            values = {name: plan.values[name] for name in columns}
            if plan.text is not None and ("bot_id" in columns or self.INDEXED & set(columns) - {"processed_at"}):
                # Changed text, or another bot (its language, and the bot its search rows are filed under).
                index.append(plan)
                values = {name: value for name, value in values.items() if name not in self.INDEXED}
            elif plan.text is None and "status" in plan.values:
                values.update(self.NO_TEXT, status=plan.values["status"], error=plan.values["error"])
                cleared.append(plan.id)
            elif "bot_id" in columns:
                moved.append(plan)
            changes.append((plan.id, values))
        update_rows(Document, changes)
        if cleared:
            DocumentChunk.objects.filter(document_id__in=cleared).delete()
        for plan in moved:  # rare (the original had no way to move a document): one statement each
            DocumentChunk.objects.filter(document_id=plan.id).update(bot_id=plan.values["bot_id"])

        bots = Bot.objects.only("pk", "uuid", "language").in_bulk({plan.values["bot_id"] for plan in index})
        restore: list[tuple[str, dict[str, Any]]] = []
        for plan in index:
            document = Document(pk=plan.id, bot=bots[plan.values["bot_id"]])
            document_index_text(document=document, text=plan.text, pages=plan.values["pages"])
            if "processed_at" in plan.values:
                # The original's processing time, not the moment of this import.
                restore.append((plan.id, {"processed_at": plan.values["processed_at"]}))
        update_rows(Document, restore)
        self.run.bots_touched.update(plan.values["bot_id"] for plan in creates)
        self.run.bots_touched.update(plan.values["bot_id"] for plan, _ in updates)


class _OwnedByBotImport(TableImport):
    """Sessions and calls: their owner is their bot's owner (see the module's docstring)."""

    def context(self, rows):
        bots = Bot.objects.filter(pk__in={row["botId"] for row in rows}).values_list("pk", "user_id")
        return {"owners": dict(bots)}

    def owner(self, row: dict[str, Any], context: dict[str, Any]) -> tuple[str, str | None]:
        owner = context["owners"].get(row["botId"])
        if owner is None:
            raise Skip(f"its bot {row['botId']} is not here (not imported)")
        note = None
        if row["userId"] != owner:
            note = f"userId {row['userId']} is not its bot's owner: it belongs to the bot's owner {owner} here"
        return owner, note


class SessionImport(_OwnedByBotImport):
    table = "sessions"
    model = Session
    fields = ("session_id", "user_id", "bot_id", "start_time", "end_time", "user_agent", "ip_address", "interactions")
    unique = ("session_id",)

    def convert(self, row, existing, context) -> Plan:
        owner, note = self.owner(row, context)
        return Plan(
            id=row["id"],
            values={
                "session_id": row["sessionId"],
                "user_id": owner,
                "bot_id": row["botId"],
                "start_time": aware(row["startTime"]),
                "end_time": aware(row["endTime"]),
                "user_agent": row["userAgent"],
                "ip_address": row["ipAddress"],
                "interactions": row["interactions"],
            },
            note=note,
        )


class CallImport(_OwnedByBotImport):
    table = "calls"
    model = Call
    fields = (
        "vapi_call_id",
        "assistant_id",
        "user_id",
        "bot_id",
        "status",
        "ended_reason",
        "phone_number",
        "type",
        "cost",
        "duration",
        "transcript",
        "recording",
        "summary",
        "message_count",
        "created_at",
        "started_at",
        "ended_at",
        "updated_at",
    )
    unique = ("vapi_call_id",)
    fresh_field = "updated_at"

    def convert(self, row, existing, context) -> Plan:
        owner, note = self.owner(row, context)
        return Plan(
            id=row["id"],
            values={
                "vapi_call_id": row["vapiCallId"],
                "assistant_id": row["assistantId"],
                "user_id": owner,
                "bot_id": row["botId"],
                "status": enum(row["status"], CallStatus, "status"),
                "ended_reason": row["endedReason"],
                "phone_number": row["phoneNumber"],
                "type": row["type"],
                "cost": row["cost"],
                "duration": row["duration"],
                "transcript": row["transcript"],
                "recording": row["recording"],
                "summary": row["summary"],
                "message_count": row["messageCount"],
                "created_at": aware(row["createdAt"]),
                "started_at": aware(row["startedAt"]),
                "ended_at": aware(row["endedAt"]),
                "updated_at": aware(row["updatedAt"]),
            },
            fresh=aware(row["updatedAt"]),
            note=note,
        )


# Parents first: a row's parent must be here before it is.
TABLE_IMPORTS: tuple[type[TableImport], ...] = (UserImport, BotImport, DocumentImport, SessionImport, CallImport)


@dataclass
class ImportRun:
    report: ImportReport
    batch_size: int
    record_changes: bool
    bots_touched: set[str] = field(default_factory=set)


def legacy_database_import(
    *,
    url: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    record_changes: bool = False,
    progress: Callable[[TableReport], None] | None = None,
) -> ImportReport:
    """Import the original's users, bots, documents, sessions and calls (see the module's docstring), in one
    transaction. ``record_changes`` lists every row created or updated, with the changed columns, in the report
    (a dry run: call this inside ``transaction.atomic()`` and roll it back). ``progress`` is told after every
    batch. Raises ``LegacyImportError`` when the original cannot be read; nothing is written then."""
    source = LegacySource.from_url(url)
    report = ImportReport(source=source.display)
    run = ImportRun(report=report, batch_size=max(1, batch_size), record_changes=record_changes)
    with source.open() as legacy:
        if legacy.is_django_database():
            raise LegacyImportError(
                f"{source.display} is this application's own database (it has django_migrations), not the original's"
            )
        missing = legacy.missing_columns()
        if missing:
            raise LegacyImportError(
                f"The original database {source.display} is not the original app's schema: missing {', '.join(missing)}"
            )
        with transaction.atomic():
            for table_import in TABLE_IMPORTS:
                importer = table_import(run)
                importer.report.total = legacy.count(importer.table)
                report.tables.append(importer.report)
                if progress is not None:
                    progress(importer.report)
                for rows in legacy.batches(importer.table, max(1, run.batch_size // importer.batch_divisor)):
                    importer.import_batch(rows)
                    if progress is not None:
                        progress(importer.report)
            # Counters are counted from what is here, never copied (bots whose documents were written).
            for bot in Bot.objects.filter(pk__in=run.bots_touched).only("pk", "uuid"):
                bot_document_counters_refresh(bot=bot)
    return report


def documents_waiting_for_originals() -> list[Problem]:
    """Imported documents that have no text yet because their original file has not been imported."""
    return [
        Problem("documents", pk, f"{name} (bot {uuid}): no text in the original database and no original file yet")
        for pk, name, uuid in Document.objects.filter(status=DocumentStatus.FAILED, error=ORIGINAL_MISSING)
        .order_by("bot__uuid", "name", "pk")
        .values_list("pk", "name", "bot__uuid")
    ]
