"""``manage.py prepare_database``: wait, migrate, verify; and the import from the original app's database (a real
second PostgreSQL database with the original's schema, config/tests/legacy_schema.sql) and uploads folder."""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import docx
import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from psycopg import sql

from accounts.models import User
from accounts.tests.factories import UserFactory
from analytics.models import Call, Session
from analytics.tests.factories import SessionFactory
from bots.models import Bot
from config import legacy_import
from config.legacy_import import (
    ORIGINAL_MISSING,
    LegacyImportError,
    LegacySource,
    legacy_database_import,
    legacy_document_text,
)
from config.tests.factories import (
    LegacyBotFactory,
    LegacyCallFactory,
    LegacyDocumentFactory,
    LegacySessionFactory,
    LegacyUserFactory,
    at,
)
from config.tests.processes import free_port, manage
from documents.chunking import chunk_text, word_count
from documents.extract import JSON_INVALID, extract, media_type
from documents.models import Document, DocumentChunk
from documents.services import text_hash
from documents.tests.pdfgen import make_pdf

SCHEMA = Path(__file__).with_name("legacy_schema.sql")
PDF_PLACEHOLDER = (
    "[PDF Document: manual.pdf]\nThis is a PDF file that requires specialized parsing for text extraction. The "
    "original binary content is preserved for download and viewing."
)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- The original's database ------------------------------------------------------------------------------------


def _server_url(database: str, password: str | None = None) -> str:
    db = settings.DATABASES["default"]
    secret = password if password is not None else db["PASSWORD"]
    credentials = quote(db["USER"]) + (":" + quote(secret, safe="") if secret else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"


@dataclass
class LegacyDatabase:
    url: str  # with a password in it: the tests check it is never printed
    password: str
    admin_url: str

    def execute(self, query, params=None) -> list:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def insert(self, table: str, *rows: dict) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for row in rows:
                conn.execute(
                    sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                        sql.Identifier(table),
                        sql.SQL(", ").join(map(sql.Identifier, row)),
                        sql.SQL(", ").join(sql.Placeholder() * len(row)),
                    ),
                    list(row.values()),
                )

    def update(self, table: str, row_id: str, **values) -> None:
        self.execute(
            sql.SQL("UPDATE {} SET {} WHERE id = %s").format(
                sql.Identifier(table),
                sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(column)) for column in values),
            ),
            [*values.values(), row_id],
        )


@pytest.fixture
def legacy():
    """A scratch PostgreSQL database on the test server with the original's schema, dropped afterwards."""
    name = f"voicebot_legacy_{secrets.token_hex(4)}"
    with psycopg.connect(_server_url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    # The server's own password when it has one; else one it ignores (trust), to prove none is ever printed.
    password = settings.DATABASES["default"]["PASSWORD"] or f"Legacy-p@ss-{secrets.token_hex(4)}"
    database = LegacyDatabase(url=_server_url(name, password), password=password, admin_url=_server_url(name))
    try:
        database.execute(SCHEMA.read_text())
        yield database
    finally:
        with psycopg.connect(_server_url("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@dataclass
class Run:
    out: str
    err: str
    returncode: int

    @property
    def output(self) -> str:
        return self.out + self.err


def prepare(*args: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("prepare_database", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return Run(out.getvalue(), err.getvalue() + str(exc), exc.returncode)
    return Run(out.getvalue(), err.getvalue(), 0)


def counts_line(table: str, *counts: int) -> re.Pattern:
    """The report's line of ``table``: in original, created, updated, unchanged, kept, not imported."""
    return re.compile(rf"^\s+{table}\s+" + r"\s+".join(str(count) for count in counts) + r"\s*$", re.MULTILINE)


def utc(value: datetime.datetime | None) -> datetime.datetime | None:
    return None if value is None else value.replace(tzinfo=datetime.UTC)


# --- A full original: every table, every column, nulls, every enum value ------------------------------------------


@dataclass
class Seed:
    users: list[dict]
    bots: list[dict]
    documents: dict[str, dict]
    sessions: list[dict]
    calls: list[dict]


@pytest.fixture
def seeded(legacy) -> Seed:
    users = [LegacyUserFactory(), LegacyUserFactory(firstName=None, lastName=None, imageUrl=None)]
    owner, other = users[0]["id"], users[1]["id"]
    bots = [
        LegacyBotFactory(
            userId=owner,
            status="PENDING",
            position="LEFT",
            theme="DARK",
            ragSourceType="URL",
            ragUrl="https://example.com/help",
            vapiAssistantId=None,
            activatedAt=None,
            localStoragePath=None,
            documentsProcessed=0,
            localFilesStored=0,
        ),
        LegacyBotFactory(
            userId=owner, status="ACTIVATING", ragEnabled=False, ragSourceType=None, vapiKnowledgeBaseId="kb-7"
        ),
        LegacyBotFactory(userId=owner, status="ACTIVE"),
        LegacyBotFactory(userId=other, status="FAILED", language="de", voice="mark", activatedAt=None),
    ]
    files_bot = bots[2]["id"]
    documents = {
        "txt": LegacyDocumentFactory(botId=files_bot, pages=1),
        # Browsers send no type for Markdown: the name says what it is.
        "md": LegacyDocumentFactory(
            botId=files_bot, name="faq.md", type="", content="# FAQ\n\nQ: Do you ship abroad?\nA: Yes, worldwide."
        ),
        "html": LegacyDocumentFactory(
            botId=files_bot,
            name="returns.html",
            type="text/html",
            content="<html><head><title>Returns</title><style>p {color: red}</style></head>"
            "<body><p>Returns are accepted within 30 days.</p><script>track()</script></body></html>",
            processedAt=None,
        ),
        "pdf": LegacyDocumentFactory(
            botId=files_bot, name="manual.pdf", type="application/pdf", content=PDF_PLACEHOLDER, size=48213
        ),
        "empty": LegacyDocumentFactory(
            botId=files_bot, name="lost.txt", content=None, chunks=None, wordCount=None, filePath=None
        ),
        "json": LegacyDocumentFactory(botId=files_bot, name="data.json", type="application/json", content="{oops"),
        "welcome": LegacyDocumentFactory(botId=bots[1]["id"], name="welcome.txt", content="Welcome aboard."),
    }
    sessions = [
        LegacySessionFactory(userId=owner, botId=files_bot),
        LegacySessionFactory(
            userId=owner, botId=bots[0]["id"], endTime=None, userAgent=None, ipAddress=None, interactions=0
        ),
        # Recorded by another signed-in user (the original required one): it belongs to the bot's owner here.
        LegacySessionFactory(userId=other, botId=files_bot, ipAddress="2001:db8::7"),
    ]
    calls = [
        LegacyCallFactory(userId=owner, botId=files_bot, status=status, assistantId=bots[2]["vapiAssistantId"])
        for status in ("QUEUED", "RINGING", "IN_PROGRESS", "FORWARDING", "ENDED")
    ] + [
        LegacyCallFactory(
            userId=other,
            botId=bots[3]["id"],
            endedReason=None,
            phoneNumber=None,
            type=None,
            cost=0,
            duration=None,
            transcript=None,
            recording=None,
            summary=None,
            messageCount=0,
            startedAt=None,
            endedAt=None,
        )
    ]
    legacy.insert("users", *users)
    legacy.insert("bots", *bots)
    legacy.insert("documents", *documents.values())
    legacy.insert("sessions", *sessions)
    legacy.insert("calls", *calls)
    return Seed(users=users, bots=bots, documents=documents, sessions=sessions, calls=calls)


def assert_imported(seed: Seed) -> None:
    """Every field of every imported row, against the original's row it came from."""
    for row in seed.users:
        user = User.objects.get(pk=row["id"])
        assert (user.email, user.first_name, user.last_name, user.image_url) == (
            row["email"],
            row["firstName"],
            row["lastName"],
            row["imageUrl"],
        )
        assert (user.created_at, user.updated_at) == (utc(row["createdAt"]), utc(row["updatedAt"]))
        assert not user.has_usable_password()
        assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
        assert (user.clerk_updated_at, user.last_login) == (None, None)

    for row in seed.bots:
        bot = Bot.objects.get(pk=row["id"])
        for key, ours in (
            ("uuid", bot.uuid),
            ("userId", bot.user_id),
            ("name", bot.name),
            ("welcomeMessage", bot.welcome_message),
            ("systemPrompt", bot.system_prompt),
            ("language", bot.language),
            ("voice", bot.voice),
            ("position", bot.position),
            ("theme", bot.theme),
            ("ragEnabled", bot.rag_enabled),
            ("ragSourceType", bot.rag_source_type),
            ("ragUrl", bot.rag_url),
            ("status", bot.status),
            ("embedCode", bot.embed_code),
            ("vapiAssistantId", bot.vapi_assistant_id),
            ("vapiKnowledgeBaseId", bot.vapi_knowledge_base_id),
        ):
            assert ours == row[key], key  # enums: stored upper case, as the original's
        for key, ours in (
            ("activationScheduledAt", bot.activation_scheduled_at),
            ("activatedAt", bot.activated_at),
            ("createdAt", bot.created_at),
            ("updatedAt", bot.updated_at),
        ):
            assert ours == utc(row[key]), key
        # Ours only: the lifecycle's record starts clean; an ACTIVATING bot can be recovered by the beat.
        expected_started = utc(row["updatedAt"]) if row["status"] == "ACTIVATING" else None
        assert bot.activation_started_at == expected_started
        assert (bot.activation_attempts, bot.activation_error, bot.vapi_sync_error) == (0, None, None)
        assert (bot.knowledge_synced_at, bot.knowledge_sync_error) == (None, None)
        # Counted from what is here (READY documents; no stored originals yet), never the original's 7.
        ready = Document.objects.filter(bot=bot, status="READY").count()
        assert (bot.documents_processed, bot.local_files_stored, bot.local_storage_path) == (ready, 0, None)

    for key, row in seed.documents.items():
        document = Document.objects.get(pk=row["id"])
        assert (document.bot_id, document.name, document.size, document.pages) == (
            row["botId"],
            row["name"],
            row["size"],
            row["pages"],
        ), key
        assert document.uploaded_at == utc(row["uploadedAt"]), key
        assert (document.file_path, document.source_url) == (None, None), key  # a path on the old server: not kept
        if key in ("txt", "md", "html", "welcome"):
            kind = {"txt": "txt", "md": "md", "html": "html", "welcome": "txt"}[key]
            text = extract(io.BytesIO(row["content"].encode()), kind).text
            assert (document.status, document.error, document.type) == ("READY", None, media_type(kind)), key
            assert document.content == text, key
            assert document.chunks == chunk_text(text, size=settings.CHUNK_SIZE, overlap=settings.CHUNK_OVERLAP)
            assert document.word_count == word_count(text), key
            assert document.content_hash == text_hash(text), key
            searchable = DocumentChunk.objects.filter(document=document).order_by("position")
            assert [chunk.content for chunk in searchable] == document.chunks, key
            assert all(chunk.search_vector for chunk in searchable), key
            if row["processedAt"] is not None:
                assert document.processed_at == utc(row["processedAt"]), key
            else:
                assert document.processed_at is not None, key  # when it was indexed here
        else:
            reason = JSON_INVALID if key == "json" else ORIGINAL_MISSING
            assert (document.status, document.error) == ("FAILED", reason), key
            assert (document.content, document.chunks, document.word_count) == (None, [], None), key
            assert (document.content_hash, document.processed_at) == (None, None), key
            assert not DocumentChunk.objects.filter(document=document).exists(), key
    assert Document.objects.get(pk=seed.documents["md"]["id"]).type == "text/markdown"
    assert "<p>" not in Document.objects.get(pk=seed.documents["html"]["id"]).content

    owners = {row["id"]: row["userId"] for row in seed.bots}
    for row in seed.sessions:
        session = Session.objects.get(pk=row["id"])
        assert (session.session_id, session.bot_id, session.user_id) == (
            row["sessionId"],
            row["botId"],
            owners[row["botId"]],
        )
        assert (session.start_time, session.end_time) == (utc(row["startTime"]), utc(row["endTime"]))
        assert (session.user_agent, session.ip_address, session.interactions) == (
            row["userAgent"],
            row["ipAddress"],
            row["interactions"],
        )
        assert session.country is None

    for row in seed.calls:
        call = Call.objects.get(pk=row["id"])
        assert (call.user_id, call.bot_id) == (owners[row["botId"]], row["botId"])
        for key, ours in (
            ("vapiCallId", call.vapi_call_id),
            ("assistantId", call.assistant_id),
            ("status", call.status),
            ("endedReason", call.ended_reason),
            ("phoneNumber", call.phone_number),
            ("type", call.type),
            ("cost", call.cost),
            ("duration", call.duration),
            ("transcript", call.transcript),
            ("recording", call.recording),
            ("summary", call.summary),
            ("messageCount", call.message_count),
        ):
            assert ours == row[key], key
        for key, ours in (
            ("createdAt", call.created_at),
            ("startedAt", call.started_at),
            ("endedAt", call.ended_at),
            ("updatedAt", call.updated_at),
        ):
            assert ours == utc(row[key]), key


# --- Preparing the database ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_options_it_migrates_and_verifies_every_table():
    run = prepare()

    assert run.returncode == 0, run.output
    assert re.search(r"Database ready: \d+ tables verified", run.out)


@pytest.mark.django_db
def test_verification_names_a_missing_table_and_a_missing_column():
    with connection.cursor() as cursor:
        cursor.execute('ALTER TABLE calls DROP COLUMN "summary"')
        cursor.execute("DROP TABLE document_chunks")

    run = prepare()

    assert run.returncode == 1
    assert 'column calls."summary" is missing' in run.err
    assert "table document_chunks is missing" in run.err
    assert "The database does not match the code: 2 problems" in run.err


@pytest.mark.django_db
def test_a_dry_run_applies_no_migration_and_says_which_are_pending():
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE id = "
            "(SELECT max(id) FROM django_migrations WHERE app = 'analytics') RETURNING name"
        )
        (name,) = cursor.fetchone()

    run = prepare("--dry-run")

    assert run.returncode == 1
    assert f"would apply analytics.{name}" in run.out
    assert "a dry run does not apply them" in run.err
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'analytics' AND name = %s", [name])
        assert cursor.fetchone() == (0,)


@pytest.mark.slow
def test_a_database_that_never_answers_fails_with_a_clear_message_and_no_password():
    url = f"postgres://voicebot:Never-Printed-9z@127.0.0.1:{free_port()}/voicebot"

    result = manage("prepare_database", "--wait-timeout", "1", DATABASE_URL=url, SECRET_KEY="wait-test")

    assert result.returncode == 1
    assert "The database (default) did not answer within 1 s" in result.stderr
    assert "does not answer yet (OperationalError)" in result.stderr
    assert "Never-Printed-9z" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


# --- The original's URL and documents ---------------------------------------------------------------------------


def test_a_prisma_url_is_understood_and_its_password_never_shown():
    source = LegacySource.from_url(
        "postgresql://legacy:s%40cret@db.example.com:6543/voicebot?schema=app&connection_limit=5&sslmode=require"
    )

    assert source.display == "legacy@db.example.com:6543/voicebot"
    assert source.params["password"] == "s@cret"
    assert source.params["sslmode"] == "require"
    assert source.params["options"] == '-c search_path="app"'
    assert "connection_limit" not in source.params
    assert "schema" not in source.params
    with pytest.raises(LegacyImportError, match="must be a PostgreSQL URL"):
        LegacySource.from_url("mysql://legacy:s3cret@db.example.com/voicebot")


@pytest.mark.parametrize(
    ("name", "media", "content", "kind", "text", "reason"),
    [
        ("notes.txt", "text/plain", "Open  9 to 5.\r\n", "txt", "Open 9 to 5.", None),
        ("notes", "text/plain", "Open 9 to 5.", "txt", "Open 9 to 5.", None),
        ("scan.pdf", "text/plain", "Open 9 to 5.", "txt", None, ORIGINAL_MISSING),  # the name decides
        ("scan", "text/plain", PDF_PLACEHOLDER, "pdf", None, ORIGINAL_MISSING),
        ("page.html", "text/html", "<p>Hello <b>there</b></p>", "html", "Hello there", None),
        ("manual.pdf", "application/pdf", PDF_PLACEHOLDER, "pdf", None, ORIGINAL_MISSING),
        ("letter.docx", DOCX_TYPE, "PK\x03\x04\x14\x00\ufffd\ufffdword/document.xml", "docx", None, ORIGINAL_MISSING),
        ("lost.txt", "text/plain", None, "txt", None, ORIGINAL_MISSING),
        ("data.json", "application/json", "{oops", "json", None, JSON_INVALID),
        ("tool.exe", "application/octet-stream", "MZ\x90", None, None, ORIGINAL_MISSING),
    ],
)
def test_the_text_of_an_original_document(name, media, content, kind, text, reason):
    assert legacy_document_text(name=name, media=media, content=content) == legacy_import.LegacyText(
        kind=kind, text=text, reason=reason
    )


# --- Importing the original's database ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db
def test_the_original_database_is_imported_field_by_field(seeded, legacy):
    run = prepare("--from-database", legacy.url, "--batch-size", "2")

    assert run.returncode == 0, run.output
    assert_imported(seeded)
    assert counts_line("users", 2, 2, 0, 0, 0, 0).search(run.out)
    assert counts_line("bots", 4, 4, 0, 0, 0, 0).search(run.out)
    assert counts_line("documents", 7, 7, 0, 0, 0, 0).search(run.out)
    assert counts_line("sessions", 3, 3, 0, 0, 0, 0).search(run.out)
    assert counts_line("calls", 6, 6, 0, 0, 0, 0).search(run.out)
    # Batches of two (documents: of one) drew the progress bar on stderr, table by table.
    assert re.search(r"^bots +\[#{15} {15}\] 2/4: 2 new", run.err, re.MULTILINE)
    assert re.search(r"^calls +\[#{30}\] 6/6: 6 new", run.err, re.MULTILINE)
    assert re.search(r"^documents +\[#{5}", run.err, re.MULTILINE)
    # The remarks: the session recorded by someone else, the documents waiting for their file.
    third = seeded.sessions[2]
    assert f"sessions  {third['id']}  userId {third['userId']} is not its bot's owner" in run.out
    assert re.search(rf"documents {seeded.documents['pdf']['id']}  manual.pdf \(bot .*\): no text", run.out)
    assert legacy.password not in run.output
    assert run.out.rstrip().endswith("Import complete.")


@pytest.mark.slow
@pytest.mark.django_db
def test_a_second_run_creates_nothing_and_updates_only_what_changed(seeded, legacy):
    assert prepare("--from-database", legacy.url).returncode == 0

    again = prepare("--from-database", legacy.url)

    assert again.returncode == 0, again.output
    for table, total in (("users", 2), ("bots", 4), ("documents", 7), ("sessions", 3), ("calls", 6)):
        assert counts_line(table, total, 0, 0, total, 0, 0).search(again.out), table
    assert_imported(seeded)

    # The original changes; so does one bot here, after the original last touched it.
    bot, kept_bot, document, call, session = (
        seeded.bots[2],
        seeded.bots[0],
        seeded.documents["txt"],
        seeded.calls[0],
        seeded.sessions[0],
    )
    legacy.update("bots", bot["id"], name="Renamed in the original", updatedAt=at(100))
    legacy.update("bots", kept_bot["id"], welcomeMessage="Changed in the original", updatedAt=at(100))
    Bot.objects.filter(pk=kept_bot["id"]).update(name="Renamed here", updated_at=timezone.now())
    legacy.update("documents", document["id"], content="Opening hours changed.\n\nWe now open at 8.")
    legacy.update("calls", call["id"], status="ENDED", cost=1.5, updatedAt=at(100))
    legacy.update("sessions", session["id"], interactions=9)
    moved, new_bot = seeded.documents["md"], seeded.bots[3]
    legacy.update("documents", moved["id"], botId=new_bot["id"])
    # A document whose original file arrived here (its file is its source now), moved to another bot too.
    attached = seeded.documents["html"]
    Document.objects.filter(pk=attached["id"]).update(file_path=f"uploads/{bot['uuid']}/returns.html")
    legacy.update("documents", attached["id"], botId=new_bot["id"], content="<p>Changed in the original</p>")
    # A document whose text is gone from the original.
    emptied = seeded.documents["welcome"]
    legacy.update("documents", emptied["id"], content=None)
    # A profile Clerk sent here after the original's last change wins over the original's.
    profile = seeded.users[1]
    User.objects.filter(pk=profile["id"]).update(last_name="From Clerk", clerk_updated_at=timezone.now())
    legacy.update("users", profile["id"], lastName="Older", updatedAt=at(100))
    chunks_before = DocumentChunk.objects.filter(document_id=document["id"]).count()

    third = prepare("--from-database", legacy.url)

    assert third.returncode == 0, third.output
    assert counts_line("users", 2, 0, 0, 1, 1, 0).search(third.out)
    assert User.objects.get(pk=profile["id"]).last_name == "From Clerk"
    assert counts_line("bots", 4, 0, 1, 2, 1, 0).search(third.out)
    assert counts_line("documents", 7, 0, 4, 3, 0, 0).search(third.out)
    # The moved documents' search rows went with them; every bot concerned was recounted.
    for document_id in (moved["id"], attached["id"]):
        assert set(DocumentChunk.objects.filter(document_id=document_id).values_list("bot_id", flat=True)) == {
            new_bot["id"]
        }
    assert "Returns are accepted within 30 days." in Document.objects.get(pk=attached["id"]).content
    assert Document.objects.get(pk=emptied["id"]).status == "FAILED"
    assert not DocumentChunk.objects.filter(document_id=emptied["id"]).exists()
    assert [Bot.objects.get(pk=row["id"]).documents_processed for row in seeded.bots] == [0, 0, 1, 2]
    assert Bot.objects.get(pk=new_bot["id"]).local_files_stored == 1
    assert counts_line("sessions", 3, 0, 1, 2, 0, 0).search(third.out)
    assert counts_line("calls", 6, 0, 1, 5, 0, 0).search(third.out)
    assert (User.objects.count(), Bot.objects.count(), Document.objects.count()) == (2, 4, 7)
    assert (Session.objects.count(), Call.objects.count()) == (3, 6)
    renamed = Bot.objects.get(pk=bot["id"])
    assert (renamed.name, renamed.updated_at) == ("Renamed in the original", utc(at(100)))
    kept = Bot.objects.get(pk=kept_bot["id"])
    assert (kept.name, kept.welcome_message) == ("Renamed here", kept_bot["welcomeMessage"])
    reindexed = Document.objects.get(pk=document["id"])
    assert reindexed.content == "Opening hours changed.\n\nWe now open at 8."
    assert reindexed.content_hash == text_hash(reindexed.content)
    assert [c.content for c in DocumentChunk.objects.filter(document=reindexed)] == reindexed.chunks
    assert chunks_before >= 1
    assert reindexed.processed_at == utc(document["processedAt"])
    assert (Call.objects.get(pk=call["id"]).status, Call.objects.get(pk=call["id"]).cost) == ("ENDED", 1.5)
    assert Session.objects.get(pk=session["id"]).interactions == 9


@pytest.mark.slow
@pytest.mark.django_db
def test_a_dry_run_says_what_would_change_and_writes_nothing(seeded, legacy, settings):
    settings.LEGACY_DATABASE_URL = legacy.url  # --from-database without a URL: the password stays off the command line
    run = prepare("--from-database", "--dry-run")

    assert run.returncode == 0, run.output
    assert "(dry run)" in run.out
    assert counts_line("bots", 4, 4, 0, 0, 0, 0).search(run.out)
    assert counts_line("calls", 6, 6, 0, 0, 0, 0).search(run.out)
    assert run.out.rstrip().endswith("Dry run: nothing was written.")
    assert (User.objects.count(), Bot.objects.count(), Document.objects.count()) == (0, 0, 0)
    assert (Session.objects.count(), Call.objects.count(), DocumentChunk.objects.count()) == (0, 0, 0)

    assert prepare("--from-database", legacy.url).returncode == 0
    legacy.update("bots", seeded.bots[1]["id"], name="Renamed", voice="emma", updatedAt=at(200))

    changed = prepare("--from-database", legacy.url, "--dry-run")

    assert changed.returncode == 0, changed.output
    assert counts_line("bots", 4, 0, 1, 3, 0, 0).search(changed.out)
    assert f"update bots      {seeded.bots[1]['id']}  name, voice, updated_at" in changed.out
    assert Bot.objects.get(pk=seeded.bots[1]["id"]).name == seeded.bots[1]["name"]


@pytest.mark.slow
@pytest.mark.django_db
def test_rows_that_cannot_be_imported_are_reported_and_the_rest_imported(legacy):
    here = UserFactory(email="taken@example.com")
    SessionFactory(session_id="session_taken")
    legacy.execute("""ALTER TYPE "BotStatus" ADD VALUE 'PAUSED'""")  # a newer original than the spec's
    good = LegacyUserFactory()
    taken = LegacyUserFactory(email="taken@example.com")
    invalid = LegacyUserFactory(email="not an email")
    legacy.insert("users", good, taken, invalid)
    bot = LegacyBotFactory(userId=good["id"])
    paused = LegacyBotFactory(userId=good["id"], status="PAUSED")
    orphan = LegacyBotFactory(userId=invalid["id"])
    same_assistant = LegacyBotFactory(userId=good["id"], vapiAssistantId=bot["vapiAssistantId"])
    legacy.insert("bots", bot, paused, orphan, same_assistant)
    document = LegacyDocumentFactory(botId=orphan["id"])
    legacy.insert("documents", document, LegacyDocumentFactory(botId=bot["id"]))
    session = LegacySessionFactory(userId=good["id"], botId=bot["id"], sessionId="session_taken")
    bad_ip = LegacySessionFactory(userId=good["id"], botId=bot["id"], ipAddress="unknown")
    legacy.insert("sessions", session, bad_ip, LegacySessionFactory(userId=good["id"], botId=bot["id"]))
    call = LegacyCallFactory(userId=good["id"], botId=paused["id"])
    negative = LegacyCallFactory(userId=good["id"], botId=bot["id"], cost=-1)
    absurd = LegacyCallFactory(userId=good["id"], botId=bot["id"], cost=1e300)
    legacy.insert("calls", call, negative, absurd, LegacyCallFactory(userId=good["id"], botId=bot["id"]))

    run = prepare("--from-database", legacy.url)

    assert run.returncode == 2, run.output
    lines = [line.strip() for line in run.out.split("Not imported (table, id, reason):")[1].splitlines()]
    assert f"users     {taken['id']}  \"email\" 'taken@example.com' belongs to another row (users {here.pk})" in lines
    assert f'users     {invalid["id"]}  "email": Enter a valid email address.' in lines
    assert f"bots      {paused['id']}  \"status\" is 'PAUSED', not one of PENDING, ACTIVATING, ACTIVE, FAILED" in lines
    assert f"bots      {orphan['id']}  its owner, user {invalid['id']}, is not here (not imported)" in lines
    assert (
        f"bots      {same_assistant['id']}  \"vapiAssistantId\" '{bot['vapiAssistantId']}' belongs to another row "
        f"(bots {bot['id']})" in lines
    )
    assert f"documents {document['id']}  its bot {orphan['id']} is not here (not imported)" in lines
    assert any(line.startswith(f"sessions  {session['id']}  \"sessionId\" 'session_taken'") for line in lines)
    assert f'sessions  {bad_ip["id"]}  "ipAddress": Enter a valid IPv4 or IPv6 address.' in lines
    assert f"calls     {call['id']}  its bot {paused['id']} is not here (not imported)" in lines
    # Refused by the database itself (a CHECK constraint), found by retrying its batch row by row.
    assert f"calls     {negative['id']}  the database refused it (constraint calls_cost_and_messages_not_negative)" in (
        lines
    )
    # A figure no report could sum (analytics.models.MAX_CALL_COST) is refused the same way.
    assert f"calls     {absurd['id']}  the database refused it (constraint calls_cost_plausible)" in lines
    assert "11 rows or files could not be imported (listed above). Everything else was imported." in run.err
    # The rest is imported.
    imported = User.objects.filter(pk__in=[good["id"], taken["id"], invalid["id"]])
    assert list(imported.values_list("pk", flat=True)) == [good["id"]]
    assert set(Bot.objects.exclude(user=here).values_list("pk", flat=True)) >= {bot["id"]}
    assert not Bot.objects.filter(pk__in=[paused["id"], orphan["id"], same_assistant["id"]]).exists()
    assert Document.objects.filter(bot_id=bot["id"]).count() == 1
    assert Session.objects.filter(bot_id=bot["id"]).count() == 1
    assert Call.objects.filter(bot_id=bot["id"]).count() == 1


@pytest.mark.slow
@pytest.mark.django_db
def test_a_failure_in_the_middle_leaves_nothing_half_imported(seeded, legacy, monkeypatch):
    def broken(self, rows):
        raise RuntimeError("the import broke while importing sessions")

    monkeypatch.setattr(legacy_import.SessionImport, "import_batch", broken)

    with pytest.raises(RuntimeError):
        prepare("--from-database", legacy.url)

    assert (User.objects.count(), Bot.objects.count(), Document.objects.count()) == (0, 0, 0)
    assert DocumentChunk.objects.count() == 0


@pytest.mark.slow
@pytest.mark.django_db
def test_an_original_that_cannot_be_read_is_a_clear_error_without_its_password(legacy, settings):
    settings.LEGACY_DATABASE_URL = ""
    unset = prepare("--from-database")

    assert unset.returncode == 1
    assert "--from-database without a URL reads LEGACY_DATABASE_URL, which is not set" in unset.err

    unreachable = f"postgres://legacy:{legacy.password}@127.0.0.1:{free_port()}/voicebot"
    run = prepare("--from-database", unreachable)

    assert run.returncode == 1
    assert f"Cannot connect to the original database legacy@127.0.0.1:{unreachable.split(':')[3]}" in run.err
    assert legacy.password not in run.output

    ours = prepare("--from-database", _server_url(connection.settings_dict["NAME"], legacy.password))

    assert ours.returncode == 1
    assert "is this application's own database (it has django_migrations), not the original's" in ours.err
    assert legacy.password not in ours.output

    legacy.execute("DROP TABLE calls")
    wrong = prepare("--from-database", legacy.url)

    assert wrong.returncode == 1
    assert "is not the original app's schema: missing table calls" in wrong.err
    assert legacy.password not in wrong.output
    assert User.objects.count() == 0


@pytest.mark.slow
@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_rows(legacy):
    """Per batch, a fixed number of statements whatever its size: no query per row (documents without text
    included; documents with text are indexed one by one, as the processing pipeline does)."""

    def queries(rows: int) -> int:
        owner = LegacyUserFactory()
        bot = LegacyBotFactory(userId=owner["id"])
        legacy.insert("users", owner, *(LegacyUserFactory() for _ in range(rows)))
        legacy.insert("bots", bot)
        legacy.insert(
            "documents",
            *(
                LegacyDocumentFactory(botId=bot["id"], name=f"scan-{n}.pdf", content=PDF_PLACEHOLDER)
                for n in range(rows)
            ),
        )
        legacy.insert("sessions", *(LegacySessionFactory(userId=owner["id"], botId=bot["id"]) for _ in range(rows)))
        legacy.insert("calls", *(LegacyCallFactory(userId=owner["id"], botId=bot["id"]) for _ in range(rows)))
        with CaptureQueriesContext(connection) as captured:
            legacy_database_import(url=legacy.url, batch_size=1000)
        for table in ("calls", "sessions", "documents", "bots", "users"):
            legacy.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
        return len(captured)

    assert queries(3) == queries(30)


# --- Importing the original's uploads folder ----------------------------------------------------------------------


def docx_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def write_upload(folder: Path, name: str, data: bytes, *, processed_at: str | None = None) -> Path:
    """A file as the original's saveFileToBot left it: the bytes, and its .metadata.json beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    if processed_at is not None:
        metadata = {"originalSize": len(data), "type": "application/octet-stream", "chunks": 1}
        metadata |= {"processedAt": processed_at, "metadata": {"wordCount": 5, "processedAt": processed_at}}
        (folder / f"{name}.metadata.json").write_text(json.dumps(metadata, indent=2))
    return path


def write_bot_metadata(folder: Path, **values) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bot-metadata.json").write_text(json.dumps({"botName": "Support", "ragEnabled": True, **values}))


@dataclass
class Uploads:
    root: Path
    bot: dict
    second_bot: dict
    pdf: dict  # its document in the original's database (placeholder text)
    txt: dict  # its document in the original's database (real text)


@pytest.fixture
def uploads(legacy, tmp_path, settings) -> Uploads:
    settings.MEDIA_ROOT = tmp_path / "media"
    owner, stranger = LegacyUserFactory(), LegacyUserFactory()
    bot, second_bot = LegacyBotFactory(userId=owner["id"]), LegacyBotFactory(userId=owner["id"])
    wrong_owner = LegacyBotFactory(userId=stranger["id"])
    pdf = LegacyDocumentFactory(
        botId=bot["id"], name="manual.pdf", type="application/pdf", content=PDF_PLACEHOLDER, processedAt=None
    )
    txt = LegacyDocumentFactory(botId=bot["id"], name="hours.txt")
    legacy.insert("users", owner, stranger)
    legacy.insert("bots", bot, second_bot, wrong_owner)
    legacy.insert("documents", pdf, txt)

    root = tmp_path / "uploads"
    root.mkdir()
    (root / "README.md").write_text("# Uploads Directory\n")  # the original's own files
    (root / ".gitignore").write_text("*\n")
    folder = root / bot["uuid"]
    write_bot_metadata(folder, userId=owner["id"], botUuid=bot["uuid"])
    pdf_bytes = make_pdf(["Refunds are paid within 14 days.", "Shipping is free above 50 euros."])
    write_upload(folder, "manual.pdf", pdf_bytes, processed_at="2024-03-01T09:50:15.123Z")
    write_upload(folder, "hours.txt", txt["content"].encode(), processed_at="2024-03-01T09:50:15.123Z")
    write_upload(
        folder,
        "handbook.docx",
        docx_bytes("Employees get 25 days of leave.", "Remote work is allowed."),
        processed_at="2024-04-05T06:07:08.000Z",
    )
    write_upload(folder, "setup.exe", b"MZ\x90\x00\x03" + bytes(200), processed_at="2024-04-05T06:07:08.000Z")
    settings.MAX_UPLOAD_MB = 1
    write_upload(folder, "huge.txt", b"All work and no play. " * 50_000)
    intro = write_upload(root / second_bot["uuid"], "intro.txt", b"Welcome to Example Inc.\n")  # no metadata
    os.utime(intro, (1714000000, 1714000000))
    write_upload(root / "6f1c7c3e-0000-4000-8000-000000000000", "orphan.txt", b"Whose file is this?")
    write_bot_metadata(root / wrong_owner["uuid"], userId=owner["id"])
    write_upload(root / wrong_owner["uuid"], "secret.txt", b"Not yours.")
    return Uploads(root=root, bot=bot, second_bot=second_bot, pdf=pdf, txt=txt)


def stored_files(settings) -> list[str]:
    media = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # processing is queued on commit: the import's commits must be real
def test_the_uploads_folder_is_imported_and_processed(uploads, legacy, settings):
    run = prepare("--from-database", legacy.url, "--from-uploads", str(uploads.root))

    assert run.returncode == 2, run.output
    bot = Bot.objects.get(pk=uploads.bot["id"])
    # The PDF the original never read: its legacy row (same id) got its file and was processed.
    pdf = Document.objects.get(pk=uploads.pdf["id"])
    assert (pdf.status, pdf.error, pdf.pages) == ("READY", None, 2)
    assert pdf.file_path == f"uploads/{bot.uuid}/manual.pdf"
    assert "Refunds are paid within 14 days." in pdf.content
    assert DocumentChunk.objects.filter(document=pdf).count() == len(pdf.chunks) >= 1
    assert pdf.uploaded_at == utc(uploads.pdf["uploadedAt"])
    # The text the original did hold: kept, and its file attached for downloads.
    txt = Document.objects.get(pk=uploads.txt["id"])
    assert (txt.status, txt.file_path) == ("READY", f"uploads/{bot.uuid}/hours.txt")
    assert txt.content == extract(io.BytesIO(uploads.txt["content"].encode()), "txt").text
    # A file the original's database did not know: a new document, processed, dated by its metadata.
    handbook = Document.objects.get(bot=bot, name="handbook.docx")
    assert (handbook.status, handbook.type) == ("READY", DOCX_TYPE)
    assert handbook.content == "Employees get 25 days of leave.\n\nRemote work is allowed."
    assert handbook.uploaded_at == datetime.datetime(2024, 4, 5, 6, 7, 8, tzinfo=datetime.UTC)
    assert DocumentChunk.objects.filter(document=handbook).exists()
    intro = Document.objects.get(bot_id=uploads.second_bot["id"])
    assert (intro.name, intro.status, intro.content) == ("intro.txt", "READY", "Welcome to Example Inc.")
    assert intro.uploaded_at == datetime.datetime.fromtimestamp(1714000000, tz=datetime.UTC)
    assert (bot.documents_processed, bot.local_files_stored, bot.local_storage_path) == (3, 3, f"uploads/{bot.uuid}")
    assert stored_files(settings) == sorted(
        [
            f"uploads/{bot.uuid}/handbook.docx",
            f"uploads/{bot.uuid}/hours.txt",
            f"uploads/{bot.uuid}/manual.pdf",
            f"uploads/{uploads.second_bot['uuid']}/intro.txt",
        ]
    )
    assert "Uploads folder" in run.out
    assert "2 new documents created, 2 originals attached to imported documents, 0 already here, 4 not imported" in (
        run.out
    )
    assert "their documents now: READY 4\n" in run.out
    lines = [line.strip() for line in run.out.split("Not imported (table, id, reason):")[1].splitlines()]
    assert any(line.startswith(f"uploads   {bot.uuid}/setup.exe  setup.exe: only PDF, DOCX") for line in lines)
    assert f"uploads   {bot.uuid}/huge.txt  huge.txt is larger than 1 MB" in lines
    assert (
        "uploads   6f1c7c3e-0000-4000-8000-000000000000/orphan.txt  bot 6f1c7c3e-0000-4000-8000-000000000000 is "
        "not here (import the original database first)" in lines
    )
    wrong = Bot.objects.get(pk__in=Bot.objects.exclude(pk__in=[bot.pk, uploads.second_bot["id"]]).values("pk"))
    assert any(line.startswith(f"uploads   {wrong.uuid}/secret.txt  bot-metadata.json says") for line in lines)
    assert "no text in the original database" not in run.out  # the PDF's file arrived

    again = prepare("--from-database", legacy.url, "--from-uploads", str(uploads.root))

    assert again.returncode == 2, again.output
    assert "0 new documents created, 0 originals attached to imported documents, 4 already here" in again.out
    assert Document.objects.count() == 4
    assert len(stored_files(settings)) == 4
    assert Document.objects.get(pk=uploads.pdf["id"]).status == "READY"  # the database import left it alone
    assert counts_line("documents", 2, 0, 0, 2, 0, 0).search(again.out)


@pytest.mark.slow
@pytest.mark.django_db
def test_a_dry_run_of_both_reads_every_file_and_writes_nothing(uploads, legacy, settings):
    run = prepare("--from-database", legacy.url, "--from-uploads", str(uploads.root), "--dry-run")

    assert run.returncode == 2, run.output
    assert "2 new documents would be created, 2 originals would be attached to imported documents" in run.out
    assert f"attach uploads   {uploads.bot['uuid']}/manual.pdf" in run.out
    assert f"create uploads   {uploads.bot['uuid']}/handbook.docx" in run.out
    assert "4 rows or files would not be imported (listed above). Dry run: nothing was written." in run.err
    assert (Bot.objects.count(), Document.objects.count()) == (0, 0)
    assert stored_files(settings) == []
