"""Backups: pg_dump to a folder or a storage, retention, and pg_restore back, on the test PostgreSQL server.

The round trips compare every row of every table (full tuples, ordered by primary key) and the schema's indexes and
constraints before the backup and after the restore. They run with real commits (``transaction=True``): pg_dump and
pg_restore are other sessions, and dropping tables needs them unused. ``schema_guard`` puts the schema back from a
dump of its own should a test fail half-way, so that the tests after it find the tables they expect.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import secrets
import shutil
import stat
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from azure.storage.blob import BlobServiceClient
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, storages
from django.core.management import CommandError, call_command
from django.db import connection
from storages.backends.azure_storage import AzureStorage

from accounts.models import User
from accounts.tests.factories import StaffUserFactory, UserFactory
from analytics.tests.factories import CallFactory, SessionFactory
from bots.tests.factories import BotFactory
from config import backups
from config.backups import (
    MASK,
    Backup,
    BackupFolder,
    backup_name,
    backups_prune,
    libpq_environment,
    retention_plan,
)
from config.tests.fake_blob_service import ACCOUNT_KEY, FakeBlobService
from config.tests.processes import manage
from documents.models import DocumentChunk
from documents.services import document_index_text
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.slow

OUR_TABLES = ("users", "bots", "documents", "document_chunks", "sessions", "calls")
NOW = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)
PASSWORD = "pw-" + secrets.token_hex(12)


# --- Helpers --------------------------------------------------------------------------------------------------


def run(*args, **options) -> tuple[str, str]:
    """Run a management command; its standard output and error."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def database_name() -> str:
    return connection.settings_dict["NAME"]


def database_url() -> str:
    """The test database as a DATABASE_URL, for commands run in a process of their own."""
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def server_major() -> int:
    connection.ensure_connection()
    return connection.pg_version // 10000


def snapshot() -> dict[str, object]:
    """Every row of every table in the public schema (full tuples, by primary key), and the schema's indexes and
    constraints."""
    result: dict[str, object] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [name for (name,) in cursor.fetchall()]
        for table in tables:
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY a.attnum",
                [f'"{table}"'],
            )
            order = ", ".join(f'"{column}"' for (column,) in cursor.fetchall()) or "1"
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY {order}')
            result[table] = cursor.fetchall()
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname")
        result["<indexes>"] = [(name, without_casts(definition)) for name, definition in cursor.fetchall()]
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
        )
        result["<constraints>"] = [(table, name, without_casts(definition)) for table, name, definition in cursor]
    return result


def without_casts(definition: str) -> str:
    """A constraint's or an index's definition without casts and grouping. PostgreSQL prints a CHECK (or a partial
    index's WHERE) of ``col IN ('A', 'B')`` on a varchar as ``(ARRAY['A'::varchar, …])::text[]``, and the same
    restored from a dump, parsed from that text, as ``ARRAY[('A'::varchar)::text, …]``: equivalent, not identical."""
    return re.sub(r"::(character varying|text)(\[\])?|[()\s]", "", definition)


def make_data(*, incompressible_bytes: int = 0) -> None:
    """Rows in all our tables: unicode everywhere, NULLs wherever allowed, big texts, and a document indexed for
    search (its chunks and their tsvectors)."""
    big = "Grüße aus Zürich, 世界, Ça va ? ☎️🤖 «quotes» 'single' \"double\" \\ back\tslash\n" * 8000
    owner = UserFactory(first_name="Zoë", last_name="Ærøskøbing-Łódź 😀", email="zoe@exämple.com")
    bare = UserFactory(first_name=None, last_name=None, image_url=None)
    StaffUserFactory()
    bot = BotFactory(
        user=owner,
        name="Bot «Ünïcode» 🤖",
        system_prompt=big,
        rag_enabled=True,
        rag_source_type="FILES",
        language="de",
        active=True,
    )
    BotFactory(user=bare, rag_url=None, vapi_assistant_id=None, activated_at=None, activation_error="nope\x01?")
    document = DocumentFactory(bot=bot, name="Handbuch-ß.txt", pages=None, word_count=None, file_path=None)
    document_index_text(document=document, text="Öffnungszeiten: Montag bis Freitag.\n\n" + big[:50_000])
    if incompressible_bytes:
        DocumentFactory(bot=bot, name="random.txt", content=secrets.token_urlsafe(incompressible_bytes))
    DocumentFactory(bot=bot, content=None, chunks=[], size=0, processed_at=None, status="PENDING")
    SessionFactory(bot=bot, user=owner, end_time=None, user_agent=None, ip_address=None, country=None)
    SessionFactory(bot=bot, user=owner, user_agent="Mozilla/5.0 (ünïcode)")
    CallFactory(bot=bot, user=owner, transcript=big, summary="Zusammenfassung: alles gut 👍")
    CallFactory(
        bot=bot,
        user=owner,
        transcript=None,
        recording=None,
        summary=None,
        duration=None,
        ended_reason=None,
        type=None,
        started_at=None,
        ended_at=None,
    )
    for table in OUR_TABLES:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            assert cursor.fetchone()[0] > 0, table


def damage() -> None:
    """Lose every row of ours, add one the backup does not have, and drop a table with its indexes."""
    User.objects.all().delete()  # cascades to bots, documents, chunks, sessions, calls
    UserFactory(email="intruder@example.com")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE document_chunks")


class PopenSpy:
    """Records every program started (arguments and environment) while letting it run."""

    def __init__(self, monkeypatch) -> None:
        self.calls: list[tuple[list[str], dict[str, str]]] = []
        self.stdin: list[object] = []
        self.processes: list[subprocess.Popen] = []
        real = subprocess.Popen
        spy = self

        class Recording(real):
            def __init__(self, args, *more, **options):
                spy.calls.append((list(args), dict(options.get("env") or os.environ)))
                spy.stdin.append(options.get("stdin"))
                super().__init__(args, *more, **options)
                spy.processes.append(self)

        monkeypatch.setattr(subprocess, "Popen", Recording)

    def argv_of(self, program: str) -> list[list[str]]:
        return [argv for argv, _ in self.calls if Path(argv[0]).name == program]

    def stdin_of(self, program: str) -> object:
        return next(
            stdin
            for (argv, _), stdin in zip(self.calls, self.stdin, strict=True)
            if Path(argv[0]).name == program and "--version" not in argv
        )

    def env_of(self, program: str) -> dict[str, str]:
        return next(env for argv, env in self.calls if Path(argv[0]).name == program and "--version" not in argv)


def fake_program(folder: Path, name: str, script: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return path


@pytest.fixture
def schema_guard(tmp_path):
    """A schema-only dump made with the plain tools before the test, restored after it if the schema changed (a
    failed restore test must not leave later tests without their tables). The rows are flushed by pytest-django."""
    env, _ = libpq_environment(connection.settings_dict, purpose="test-guard")
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    guard = tmp_path / "schema-guard.dump"
    with guard.open("wb") as out:
        subprocess.run([pg_dump, "--format=custom", "--schema-only"], env=env, stdout=out, check=True)
    before = {key: value for key, value in snapshot().items() if key.startswith("<")}
    yield
    connection.close()
    after = {key: value for key, value in snapshot().items() if key.startswith("<")}
    if after != before:
        with guard.open("rb") as dump:
            subprocess.run(
                [pg_restore, "--dbname=", "--clean", "--if-exists", "--single-transaction", "--no-owner"],
                env=env,
                stdin=dump,
                check=True,
            )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def backup_dir(tmp_path) -> Path:
    return tmp_path / "backups"


class RecordingStorage(InMemoryStorage):
    """InMemoryStorage standing in for Azure Blob: records how ``save`` is fed (the chunk sizes, and whether pg_dump
    was still running when the first chunk arrived, i.e. whether the dump streams)."""

    saves: list[dict] = []
    processes: list[subprocess.Popen] = []

    def _save(self, name, content):
        record = {"name": name, "chunks": [], "producer_running_at_first_chunk": None, "content": content}
        type(self).saves.append(record)

        class Watched:
            def chunks(inner_self):
                for chunk in content.chunks():
                    if not record["chunks"]:
                        record["producer_running_at_first_chunk"] = self.processes[-1].poll() is None
                    record["chunks"].append(len(chunk))
                    yield chunk

        return super()._save(name, Watched())


class SmallBlockAzureStorage(AzureStorage):
    """django-storages' AzureStorage with the SDK's upload blocks at 64 KiB instead of 4 MiB, so that a small dump
    travels in many blocks."""

    def _get_service_client(self):
        return BlobServiceClient.from_connection_string(self.connection_string, max_block_size=64 * 1024)


def use_blob_storage(settings, blob_service: FakeBlobService) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": f"{__name__}.SmallBlockAzureStorage",
            "OPTIONS": {
                "connection_string": FakeBlobService.connection_string(blob_service.endpoint),
                "azure_container": "backups",
            },
        },
    }


# --- Round trips ----------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_backup_drop_data_restore_gives_identical_rows(backup_dir, schema_guard):
    make_data()
    before = snapshot()
    chunks = DocumentChunk.objects.count()

    out, _ = run("backup_database", output=str(backup_dir))
    [dump] = list(backup_dir.iterdir())
    assert re.fullmatch(rf"voicebot-{database_name()}-\d{{8}}T\d{{6}}Z\.dump", dump.name)
    assert re.search(rf"to {re.escape(str(dump))} \(\d+\.\d (KiB|MiB)\)", out), out
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600  # every user's data: the owner's eyes only
    damage()
    assert snapshot() != before

    out, _ = run("restore_database", dump.name, input_dir=str(backup_dir), yes=True)

    assert snapshot() == before
    assert f"Restored {dump}" in out
    assert f"users 3, deleted_clerk_users 0, bots 2, documents 2, document_chunks {chunks}, sessions 2, calls 2." in out


@pytest.mark.django_db(transaction=True)
def test_backup_to_azure_blob_storage_and_restore_from_it(blob_service, schema_guard):
    """End to end, as deployed: the settings build the "backups" storage from AZURE_CONNECTION_STRING and
    BACKUP_AZURE_CONTAINER, and the commands run in processes of their own against Azure's REST API (played by a
    local fake)."""
    make_data()
    before = snapshot()
    env = {
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "backup-test",
        "AZURE_CONNECTION_STRING": FakeBlobService.connection_string(blob_service.endpoint),
        "BACKUP_AZURE_CONTAINER": "db-backups",
    }

    backup = manage("backup_database", "--to-storage", **env)

    assert backup.returncode == 0, backup.stderr
    [name] = blob_service.blobs
    assert blob_service.blobs[name].startswith(b"PGDMP")
    assert ("PUT", "blocklist", "db-backups", name) in [request[:4] for request in blob_service.requests]
    assert f'{name} in the "backups" storage' in backup.stdout
    damage()
    # Decoys for --latest: a newer backup of another database, an older one of ours.
    now = datetime.datetime.now(tz=datetime.UTC)
    blob_service.blobs[backup_name(database="otherdb", taken_at=now + datetime.timedelta(days=1))] = b"x"
    blob_service.blobs[backup_name(database=database_name(), taken_at=now - datetime.timedelta(days=1))] = b"x"
    connection.close()

    restore = manage("restore_database", "--from-storage", "--latest", "--yes", **env)

    assert restore.returncode == 0, restore.stderr
    assert f"Restored {name}" in restore.stdout
    assert snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_the_dump_streams_into_blob_storage_block_by_block(settings, monkeypatch, blob_service):
    use_blob_storage(settings, blob_service)
    spy = PopenSpy(monkeypatch)
    pg_dump_running_at_first_block = []
    blob_service.on_block = lambda name: pg_dump_running_at_first_block.append(spy.processes[-1].poll() is None)
    # A dump much larger than a pipe's buffer (64 KiB): pg_dump cannot have finished when the first block arrives
    # unless something read the whole dump before uploading it.
    make_data(incompressible_bytes=1_500_000)

    out, _ = run("backup_database", to_storage=True)

    [name] = blob_service.blobs
    assert pg_dump_running_at_first_block[:1] == [True]
    calls = [(method, comp) for method, comp, _, blob, _ in blob_service.requests if blob == name]
    assert calls.count(("PUT", "block")) > 10
    assert calls[-2:] == [("PUT", "blocklist"), ("HEAD", None)]  # committed once, at the end; then its size
    assert f"({backups.format_size(len(blob_service.blobs[name]))})" in out


def pg_dump_failing_midway(folder: Path, monkeypatch) -> None:
    """A pg_dump first on PATH that writes 300 kB of dump, then fails."""
    fake_program(
        folder,
        "pg_dump",
        'if [ "$1" = --version ]; then echo "pg_dump (PostgreSQL) 99.1"; exit 0; fi\n'
        "head -c 300000 /dev/zero\necho 'pg_dump: error: query failed' >&2\nexit 1\n",
    )
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/usr/bin{os.pathsep}/bin")


def test_a_failing_pg_dump_commits_no_blob(settings, tmp_path, monkeypatch, blob_service, db):
    use_blob_storage(settings, blob_service)
    pg_dump_failing_midway(tmp_path, monkeypatch)

    with pytest.raises(CommandError, match=r"(?s)pg_dump failed .*query failed"):
        run("backup_database", to_storage=True)

    assert ("PUT", "block") in [request[:2] for request in blob_service.requests]  # it had started uploading
    assert ("PUT", "blocklist") not in [request[:2] for request in blob_service.requests]
    assert blob_service.blobs == {}


def test_a_blob_storage_refusing_us_is_a_clear_error_without_the_key(settings, blob_service, db):
    use_blob_storage(settings, blob_service)
    blob_service.refuse = (403, "AuthenticationFailed")

    with pytest.raises(CommandError) as failure:
        run("backup_database", to_storage=True)

    assert str(failure.value).startswith("Could not look for voicebot-")
    assert str(failure.value).endswith("(ClientAuthenticationError: AuthenticationFailed)")
    assert ACCOUNT_KEY not in str(failure.value)


@pytest.mark.django_db(transaction=True)
def test_a_storage_without_local_files_streams_both_ways(settings, monkeypatch, schema_guard):
    """InMemoryStorage has no file descriptors: the dump is fed to the storage, and the backup to pg_restore,
    through pipes (Azure's downloads are temporary files, which pg_restore reads directly)."""
    settings.STORAGES = {**settings.STORAGES, "backups": {"BACKEND": f"{__name__}.RecordingStorage"}}
    RecordingStorage.saves = []
    spy = PopenSpy(monkeypatch)
    RecordingStorage.processes = spy.processes
    # A dump much larger than a pipe's buffer (64 KiB): pg_dump cannot have finished when the first chunk arrives
    # unless something read the whole dump before handing it to the storage.
    make_data(incompressible_bytes=1_500_000)
    before = snapshot()

    out, _ = run("backup_database", to_storage=True)

    [save] = RecordingStorage.saves
    assert save["producer_running_at_first_chunk"] is True
    assert len(save["chunks"]) > 10
    assert max(save["chunks"]) <= 1024 * 1024
    assert isinstance(save["content"].file, backups._DumpStream)  # pg_dump's pipe, not a copy of it
    assert f'{save["name"]} in the "backups" storage' in out
    damage()

    # --latest: the newest of *this* database, not a newer one of another database nor an older one of ours.
    storage = storages["backups"]
    now = datetime.datetime.now(tz=datetime.UTC)
    storage.save(backup_name(database="otherdb", taken_at=now + datetime.timedelta(days=1)), ContentFile(b"x"))
    storage.save(backup_name(database=database_name(), taken_at=now - datetime.timedelta(days=1)), ContentFile(b"x"))
    out, _ = run("restore_database", latest=True, from_storage=True, yes=True)

    assert snapshot() == before
    assert f"Restored {save['name']}" in out
    assert spy.stdin_of("pg_restore") == subprocess.PIPE


@pytest.mark.django_db(transaction=True)
def test_a_restore_replaces_a_newer_state_and_refuses_without_yes(backup_dir, monkeypatch, schema_guard):
    UserFactory(email="kept@example.com")
    run("backup_database", output=str(backup_dir))
    UserFactory(email="added-after-the-backup@example.com")

    def emails():
        return set(User.objects.values_list("email", flat=True))

    # Not on a terminal (cron, CI): only --yes will do.
    with pytest.raises(CommandError, match="Refusing without --yes"):
        run("restore_database", latest=True, input_dir=str(backup_dir))
    assert "added-after-the-backup@example.com" in emails()

    # On a terminal: the database's name must be typed.
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    with pytest.raises(CommandError, match="Not confirmed"):
        run("restore_database", latest=True, input_dir=str(backup_dir))
    assert "added-after-the-backup@example.com" in emails()

    monkeypatch.setattr("builtins.input", lambda prompt: database_name())
    run("restore_database", latest=True, input_dir=str(backup_dir))
    assert emails() == {"kept@example.com"}


@pytest.mark.django_db(transaction=True)
def test_a_restore_gives_up_and_changes_nothing_while_a_table_stays_in_use(backup_dir, schema_guard):
    UserFactory(email="kept@example.com")
    run("backup_database", output=str(backup_dir))
    UserFactory(email="added-after-the-backup@example.com")
    # Another session reading users, its transaction left open (a request in progress, a stuck worker). The server
    # ends it after 10 s: without a lock timeout the restore would then go through, and this test fail, not hang.
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.execute("SET idle_in_transaction_session_timeout = '10s'")
        other.execute("SELECT COUNT(*) FROM users").fetchone()

        with pytest.raises(CommandError) as failure:
            run("restore_database", latest=True, input_dir=str(backup_dir), yes=True, lock_timeout=0.5)
    finally:
        other.close()

    assert "waited more than 0.5 s for a table in use" in str(failure.value)
    assert "Stop the web, worker and beat processes" in str(failure.value)
    assert set(User.objects.values_list("email", flat=True)) == {
        "kept@example.com",
        "added-after-the-backup@example.com",
    }


@pytest.mark.django_db(transaction=True)
def test_the_password_is_never_on_a_command_line_nor_in_the_output(backup_dir, monkeypatch, caplog, schema_guard):
    # The test server trusts local connections, so any password works: this one must travel only in PGPASSWORD.
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", PASSWORD)
    spy = PopenSpy(monkeypatch)

    backup_out, backup_err = run("backup_database", output=str(backup_dir))
    restore_out, restore_err = run("restore_database", latest=True, input_dir=str(backup_dir), yes=True)

    assert spy.argv_of("pg_dump")
    assert spy.argv_of("pg_restore")
    for argv, _ in spy.calls:
        assert not any(PASSWORD in argument for argument in argv), argv
    for program in ("pg_dump", "pg_restore"):
        env = spy.env_of(program)
        assert env["PGPASSWORD"] == PASSWORD
        assert "DATABASE_URL" not in env
        assert env["PGDATABASE"] == database_name()
    for text in (backup_out, backup_err, restore_out, restore_err, caplog.text):
        assert PASSWORD not in text


def test_a_failing_pg_dump_leaves_no_backup_and_its_output_is_masked(backup_dir, tmp_path, monkeypatch, db):
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", PASSWORD)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_program(
        bin_dir,
        "pg_dump",
        'if [ "$1" = --version ]; then echo "pg_dump (PostgreSQL) 99.1"; exit 0; fi\n'
        "printf 'PGDMP partial dump' \n"
        'echo "pg_dump: error: connection failed for password $PGPASSWORD" >&2\nexit 1\n',
    )
    monkeypatch.setenv("PATH", str(bin_dir))

    with pytest.raises(CommandError) as failure:
        run("backup_database", output=str(backup_dir))

    message = str(failure.value)
    assert "pg_dump failed (exit status 1)" in message
    assert f"connection failed for password {MASK}" in message
    assert PASSWORD not in message
    assert list(backup_dir.iterdir()) == []  # neither the dump nor its .partial


def test_a_failing_pg_dump_leaves_nothing_in_the_storage(settings, tmp_path, monkeypatch, db):
    location = tmp_path / "storage"
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}},
    }
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pg_dump_failing_midway(bin_dir, monkeypatch)

    with pytest.raises(CommandError, match=r"(?s)pg_dump failed .*query failed"):
        run("backup_database", to_storage=True)

    assert not location.exists() or list(location.iterdir()) == []


# --- Missing or unsuitable programs ---------------------------------------------------------------------------


def test_a_missing_pg_dump_names_the_package_to_install(backup_dir, tmp_path, monkeypatch, db):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    with pytest.raises(CommandError) as failure:
        run("backup_database", output=str(backup_dir))

    assert "pg_dump was not found on PATH" in str(failure.value)
    assert f"apt-get install postgresql-client-{server_major()}" in str(failure.value)
    assert not backup_dir.exists()


def test_a_pg_dump_older_than_the_server_is_refused_before_it_runs(backup_dir, tmp_path, monkeypatch, db):
    ran = tmp_path / "ran"
    fake_program(
        tmp_path,
        "pg_dump",
        f'if [ "$1" = --version ]; then echo "pg_dump (PostgreSQL) 9.6.24"; exit 0; fi\ntouch {ran}\n',
    )
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(CommandError) as failure:
        run("backup_database", output=str(backup_dir))

    assert f"is version 9, older than the server (PostgreSQL {server_major()})" in str(failure.value)
    assert f"postgresql-client-{server_major()}" in str(failure.value)
    assert not ran.exists()
    assert not backup_dir.exists()


@pytest.mark.django_db(transaction=True)
def test_a_missing_pg_restore_names_the_package_to_install(backup_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    with pytest.raises(CommandError, match=f"pg_restore was not found.*postgresql-client-{server_major()}"):
        run("restore_database", "whatever.dump", input_dir=str(backup_dir), yes=True)


@pytest.mark.django_db(transaction=True)
def test_a_file_that_is_not_a_dump_is_refused(backup_dir):
    backup_dir.mkdir()
    (backup_dir / "notes.dump").write_text("SELECT 1;")

    with pytest.raises(CommandError, match="is not a pg_dump custom-format archive"):
        run("restore_database", str(backup_dir / "notes.dump"), yes=True)


def test_sqlite_is_told_that_backups_are_for_postgresql(backup_dir, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")

    with pytest.raises(CommandError, match="Backups are for PostgreSQL"):
        run("backup_database", output=str(backup_dir))


# --- Retention and listing ------------------------------------------------------------------------------------


def stamps(*days_ago: float) -> list[Backup]:
    return [Backup(name=f"b{days}", database="db", taken_at=NOW - datetime.timedelta(days=days)) for days in days_ago]


def names(backups) -> list[str]:
    return [backup.name for backup in backups]


def test_retention_keeps_the_newest_n():
    assert names(retention_plan(stamps(0, 1, 2, 3, 4), keep=2, now=NOW)) == ["b4", "b3", "b2"]


def test_retention_keeps_what_is_younger_than_the_days():
    assert names(retention_plan(stamps(0, 1, 6.9, 7.1, 30), keep_days=7, now=NOW)) == ["b30", "b7.1"]


def test_retention_with_both_rules_keeps_what_either_keeps():
    assert names(retention_plan(stamps(0, 1, 2, 10, 20), keep=4, keep_days=5, now=NOW)) == ["b20"]
    assert names(retention_plan(stamps(0, 10, 20, 30), keep=1, keep_days=15, now=NOW)) == ["b30", "b20"]


def test_retention_never_deletes_the_newest_nor_anything_without_a_rule():
    assert names(retention_plan(stamps(40, 50), keep_days=7, now=NOW)) == ["b50"]
    assert retention_plan(stamps(0, 1, 2), now=NOW) == []


def test_prune_touches_only_our_backups_of_this_database(tmp_path):
    ours = [backup_name(database="voicebot", taken_at=NOW - datetime.timedelta(days=d)) for d in range(5)]
    others = [
        backup_name(database="staging", taken_at=NOW - datetime.timedelta(days=100)),
        "voicebot-voicebot-20200101T000000Z.dump.partial",
        "voicebot-voicebot-2020.dump",
        "notes.txt",
        "voicebot-voicebot-20201399T000000Z.dump",  # not a date
    ]
    for name in ours + others:
        (tmp_path / name).write_bytes(b"x")

    deleted = backups_prune(location=BackupFolder(tmp_path), database="voicebot", keep=2, now=NOW)

    assert sorted(names(deleted)) == sorted(ours[2:])
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(ours[:2] + others)


def test_backup_to_storage_applies_retention_after_the_backup(settings, tmp_path, db):
    location = tmp_path / "storage"
    location.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}},
    }
    old = [backup_name(database=database_name(), taken_at=NOW - datetime.timedelta(days=d)) for d in (1, 2, 3)]
    foreign = backup_name(database="otherdb", taken_at=NOW - datetime.timedelta(days=400))
    for name in [*old, foreign, "README.txt"]:
        (location / name).write_bytes(b"x")

    out, _ = run("backup_database", to_storage=True, keep=2)

    [new] = [path.name for path in location.iterdir() if path.name not in {*old, foreign, "README.txt"}]
    assert sorted(path.name for path in location.iterdir()) == sorted([new, old[0], foreign, "README.txt"])
    assert f"deleted 2: {old[2]}, {old[1]}." in out


def test_list_shows_our_backups_newest_first(backup_dir):
    backup_dir.mkdir()
    older = backup_name(database="voicebot", taken_at=NOW - datetime.timedelta(days=1))
    newer = backup_name(database="voicebot", taken_at=NOW)
    for name in (older, newer, "other.txt"):
        (backup_dir / name).write_bytes(b"PGDMP" + b"\0" * 2043)

    out, _ = run("restore_database", show_list=True, input_dir=str(backup_dir))

    lines = out.splitlines()
    assert lines[0] == f"Backups in {backup_dir}, newest first:"
    assert lines[1].split() == [newer, "2.0", "KiB", "2025-06-15", "12:00:00", "UTC"]
    assert lines[2].split()[0] == older
    assert len(lines) == 3
    assert "other.txt" not in out


# --- Connection parameters ------------------------------------------------------------------------------------


def test_connection_parameters_go_to_libpq_environment_variables(monkeypatch):
    for name in list(os.environ):
        if name.startswith("PG"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", f"postgres://app:{PASSWORD}@db.example.com/voicebot")
    settings_dict = {
        "NAME": "voicebot",
        "USER": "app",
        "PASSWORD": PASSWORD,
        "HOST": "db.postgres.database.azure.com",
        "PORT": 5432,
        "OPTIONS": {
            "sslmode": "verify-full",
            "sslrootcert": "/etc/ssl/azure.pem",
            "connect_timeout": 5,
            "application_name": "voicebot",
            "assume_role": "voicebot_owner",
            "pool": {"max_size": 4},
        },
    }

    env, arguments = libpq_environment(settings_dict, purpose="backup")

    assert {name: env[name] for name in env if name.startswith("PG")} == {
        "PGHOST": "db.postgres.database.azure.com",
        "PGPORT": "5432",
        "PGDATABASE": "voicebot",
        "PGUSER": "app",
        "PGPASSWORD": PASSWORD,
        "PGSSLMODE": "verify-full",
        "PGSSLROOTCERT": "/etc/ssl/azure.pem",
        "PGCONNECT_TIMEOUT": "5",
        "PGAPPNAME": "voicebot-backup",
    }
    assert "DATABASE_URL" not in env
    assert arguments == ["--role=voicebot_owner"]


def test_an_option_libpq_cannot_take_from_the_environment_is_refused():
    with pytest.raises(backups.BackupError, match="sslpassword cannot be passed"):
        libpq_environment({"NAME": "x", "OPTIONS": {"sslpassword": PASSWORD}}, purpose="backup")
