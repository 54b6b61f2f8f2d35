"""Logical backups of the database: ``pg_dump`` custom-format archives kept in a folder or in a Django storage, their
retention, and ``pg_restore`` of one of them. ``manage.py backup_database`` and ``restore_database`` are thin
commands over this module; docs/backups.md is the operator's guide.

Why dumps when Azure already backs the server up: Azure's automated backups (7 to 35 days, point-in-time restore)
always restore into a *new server* and cannot be exported or kept longer. A dump is one file that can be kept as
long as wanted, copied off Azure, restored into any PostgreSQL (staging, a laptop), or restored in place after a bad
deploy.

Secrets. pg_dump and pg_restore get every connection parameter through libpq's environment variables, the password
as ``PGPASSWORD`` in the child's environment only (as Django's own ``dbshell`` does): never on the command line,
which ``ps`` shows to every user of the machine. An environment variable rather than a temporary passfile because
nothing is left on disk if the process is killed, and Linux lets only the same user read another process's
environment. Whatever the programs print is passed on with the password masked.

Names. A backup is ``voicebot-<database>-<UTC time>.dump``: names sort by time, say what they hold, and let
retention recognise our own files among others (it never touches anything else, and never the newest backup).
"""

from __future__ import annotations

import contextlib
import datetime
import io
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

import psycopg
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.files.storage.handler import InvalidStorageError
from django.db import DatabaseError, connections
from django.utils import timezone

STORAGE_ALIAS = "backups"
NAME_PREFIX = "voicebot-"
NAME_SUFFIX = ".dump"
_TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"^voicebot-(?P<database>[A-Za-z0-9_.-]+)-(?P<taken>\d{8}T\d{6}Z)\.dump$")
# The first bytes of every pg_dump custom-format archive.
ARCHIVE_MAGIC = b"PGDMP"
# Bytes copied at a time between a storage and a program: the dump is never held in memory.
COPY_CHUNK = 1024 * 1024
# What is kept of a failed program's error output for the message (its last lines say why).
_ERROR_TAIL_BYTES = 4000
MASK = "********"
# The apps whose tables a restore reports (row counts), lowest layer first.
_DATA_APPS = ("accounts", "bots", "documents", "analytics")

# OPTIONS of a Django PostgreSQL database that are libpq connection parameters, and the environment variable libpq
# reads each from (https://www.postgresql.org/docs/current/libpq-envars.html).
_LIBPQ_ENVIRONMENT = {
    "hostaddr": "PGHOSTADDR",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "channel_binding": "PGCHANNELBINDING",
    "require_auth": "PGREQUIREAUTH",
    "sslmode": "PGSSLMODE",
    "requiressl": "PGREQUIRESSL",
    "sslnegotiation": "PGSSLNEGOTIATION",
    "sslcompression": "PGSSLCOMPRESSION",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcertmode": "PGSSLCERTMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "sslcrldir": "PGSSLCRLDIR",
    "sslsni": "PGSSLSNI",
    "requirepeer": "PGREQUIREPEER",
    "ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION",
    "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION",
    "gssencmode": "PGGSSENCMODE",
    "krbsrvname": "PGKRBSRVNAME",
    "gsslib": "PGGSSLIB",
    "gssdelegation": "PGGSSDELEGATION",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "load_balance_hosts": "PGLOADBALANCEHOSTS",
}
# OPTIONS that are Django's or psycopg's own (not libpq's), the encoding (pg_dump chooses the dump's), and TCP tuning
# that has no environment variable: none changes which database is reached or what is dumped. ``assume_role``
# becomes the programs' ``--role``.
_NOT_FORWARDED = frozenset(
    {
        "assume_role",
        "isolation_level",
        "pool",
        "server_side_binding",
        "cursor_factory",
        "context",
        "prepare_threshold",
        "client_encoding",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
        "fallback_application_name",
    }
)


class BackupError(Exception):
    """A backup or restore could not be done. The message is meant for the operator and never holds the password."""


# --- Names and retention ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    """One of our backup files: its name, the database it holds and when it was taken (from the name, not the file's
    mtime, which copies and storages do not keep)."""

    name: str
    database: str
    taken_at: datetime.datetime
    size: int | None = None


def database_label(name: str | None) -> str:
    """The database's name as it appears in backup names: only characters that are safe in file and blob names."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name or "") or "database"


def backup_name(*, database: str, taken_at: datetime.datetime) -> str:
    stamp = taken_at.astimezone(datetime.UTC).strftime(_TIMESTAMP_FORMAT)
    return f"{NAME_PREFIX}{database_label(database)}-{stamp}{NAME_SUFFIX}"


def backup_parse(name: str) -> Backup | None:
    """The backup a file name stands for, or None when the name is not one of ours."""
    match = _NAME.match(name)
    if match is None:
        return None
    try:
        taken_at = datetime.datetime.strptime(match["taken"], _TIMESTAMP_FORMAT).replace(tzinfo=datetime.UTC)
    except ValueError:
        return None
    return Backup(name=name, database=match["database"], taken_at=taken_at)


def retention_plan(
    backups: Iterable[Backup], *, keep: int = 0, keep_days: float = 0, now: datetime.datetime
) -> list[Backup]:
    """The backups that no rule keeps, oldest first: a backup is kept when it is one of the ``keep`` newest *or*
    younger than ``keep_days`` (either rule suffices, as in restic and borg: asking for both never deletes more
    than asking for one). The newest is always kept, whatever the rules and clocks say. No rule: nothing goes."""
    if keep <= 0 and keep_days <= 0:
        return []
    newest_first = sorted(backups, key=lambda backup: (backup.taken_at, backup.name), reverse=True)
    cutoff = now - datetime.timedelta(days=keep_days) if keep_days > 0 else None
    doomed = []
    for index, backup in enumerate(newest_first):
        if index == 0 or index < keep or (cutoff is not None and backup.taken_at >= cutoff):
            continue
        doomed.append(backup)
    return doomed[::-1]


# --- Where backups are kept -------------------------------------------------------------------------------------


class BackupFolder:
    """Backups as files in a local folder (a mounted volume, say). A dump is written under ``<name>.partial`` with
    mode 0600 (it holds every user's data) and renamed once pg_dump succeeded, so a crash never leaves a truncated
    file that looks like a backup."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __str__(self) -> str:
        return str(self.path)

    def describe(self, name: str) -> str:
        return str(self.path / name)

    def names(self) -> list[str]:
        try:
            return [entry.name for entry in os.scandir(self.path) if entry.is_file()]
        except FileNotFoundError:
            return []

    def size(self, name: str) -> int:
        return (self.path / name).stat().st_size

    def exists(self, name: str) -> bool:
        return (self.path / name).exists()

    def delete(self, name: str) -> None:
        (self.path / name).unlink(missing_ok=True)

    def open(self, name: str) -> BinaryIO:
        return open(self.path / name, "rb")

    def save(self, name: str, dump: PgCommand) -> tuple[str, str]:
        """Run ``dump`` into the new backup ``name``; return the name and what the program warned about."""
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        final = self.path / name
        partial = self.path / (name + ".partial")
        if final.exists():
            raise BackupError(f"{final} already exists")
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise BackupError(f"{partial} exists: is another backup running?") from None
        try:
            # pg_dump writes to a regular file through its standard output: it can seek back and record where each
            # table's data is (what parallel and selective restores need), and no path goes on its command line.
            with os.fdopen(descriptor, "wb") as out:
                warnings = dump.start(stdout=out).wait()
                os.fsync(out.fileno())
            os.replace(partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return name, warnings


class BackupStorage:
    """Backups in a Django storage (``STORAGES["backups"]``: an Azure Blob Storage container in production).

    pg_dump's output is streamed into ``Storage.save`` as it is produced: the dump is never held in memory nor
    written to local disk first. Azure commits a blob only once its upload completes, and a pg_dump that fails makes
    the stream raise before that, so a failed backup leaves no blob; on other storages the partial file is deleted.
    """

    def __init__(self, storage: Storage, alias: str = STORAGE_ALIAS) -> None:
        self.storage = storage
        self.alias = alias

    @classmethod
    def configured(cls, alias: str = STORAGE_ALIAS) -> BackupStorage:
        try:
            return cls(storages[alias], alias)
        except InvalidStorageError:
            raise BackupError(f'No "{alias}" storage is configured (settings.STORAGES["{alias}"])') from None

    def __str__(self) -> str:
        if container := getattr(self.storage, "azure_container", None):
            where = f"Azure container {container}"
        elif isinstance(self.storage, FileSystemStorage):
            where = self.storage.location
        else:
            where = type(self.storage).__name__
        return f'the "{self.alias}" storage ({where})'

    def describe(self, name: str) -> str:
        return f'{name} in the "{self.alias}" storage'

    @contextlib.contextmanager
    def _reporting(self, action: str):
        """A storage's own errors (Azure's: authentication, a missing container) as a ``BackupError``."""
        try:
            yield
        except (BackupError, FileNotFoundError, NotImplementedError):
            raise
        except Exception as exc:
            raise BackupError(f"Could not {action} ({_exception_summary(exc)})") from None

    def names(self) -> list[str]:
        with self._reporting(f"list {self}"):
            try:
                _, files = self.storage.listdir("")
            except FileNotFoundError:
                return []
        return list(files)

    def size(self, name: str) -> int | None:
        with self._reporting(f"read the size of {self.describe(name)}"):
            try:
                return self.storage.size(name)
            except NotImplementedError:
                return None

    def exists(self, name: str) -> bool:
        with self._reporting(f"look for {self.describe(name)}"):
            return self.storage.exists(name)

    def delete(self, name: str) -> None:
        with self._reporting(f"delete {self.describe(name)}"):
            self.storage.delete(name)

    def open(self, name: str) -> IO[bytes]:
        if not self.exists(name):
            raise FileNotFoundError(name)
        with self._reporting(f"open {self.describe(name)}"):
            return self.storage.open(name, "rb")

    def save(self, name: str, dump: PgCommand) -> tuple[str, str]:
        """Stream ``dump`` into the new backup ``name``; return the name saved and what the program warned about."""
        if self.exists(name):
            raise BackupError(f"{self.describe(name)} already exists")
        running = dump.start(stdout=subprocess.PIPE)
        stream = _DumpStream(running)
        try:
            saved = self.storage.save(name, File(stream, name=name))
            warnings = running.wait()  # normally already done when the stream ended
        except BaseException as exc:
            running.stop()
            self._discard(name)
            if isinstance(exc, BackupError | KeyboardInterrupt | SystemExit):
                raise
            raise BackupError(f"Saving {self.describe(name)} failed ({_exception_summary(exc)})") from None
        return saved, warnings

    def _discard(self, name: str) -> None:
        # Best effort: the failure being reported matters more than one in cleaning up after it.
        with contextlib.suppress(Exception):
            self.storage.delete(name)


BackupLocation = BackupFolder | BackupStorage


class _DumpStream:
    """pg_dump's standard output as the read-only stream ``Storage.save`` expects.

    Not seekable, so that uploads read it in chunks (Azure's SDK then stages blocks and commits them at the end)
    rather than measuring it; ``seek(0)`` before the first read is allowed because storages rewind what they are
    given. At the end of the output the stream waits for pg_dump and raises if it failed, which aborts the upload.
    """

    def __init__(self, running: _Running) -> None:
        self._running = running
        self._pipe = running.process.stdout
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        data = self._pipe.read(size if size is not None else -1)
        if not data and size != 0:
            self._running.wait()
        self._position += len(data)
        return data

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET and offset == 0 == self._position:
            return 0
        raise io.UnsupportedOperation("pg_dump's output cannot be rewound")

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self._pipe.closed

    def close(self) -> None:
        """The pipe belongs to the running pg_dump, which closes it when it has been waited for."""


# --- pg_dump and pg_restore -------------------------------------------------------------------------------------


@dataclass
class PgCommand:
    """A PostgreSQL client program to run: its arguments (never a secret among them), its environment (the
    connection), and the secrets to mask in anything it prints."""

    argv: list[str]
    env: dict[str, str]
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def program(self) -> str:
        return Path(self.argv[0]).name

    def start(self, *, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL) -> _Running:
        # Error output goes to a temporary file, not a pipe: a chatty program must never block on a full pipe
        # while we are busy feeding or draining its other end.
        errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _Running.wait)
        try:
            process = subprocess.Popen(self.argv, env=self.env, stdin=stdin, stdout=stdout, stderr=errors)  # noqa: S603
        except OSError as exc:
            errors.close()
            raise BackupError(f"Could not start {self.program} ({type(exc).__name__})") from None
        return _Running(self, process, errors)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, MASK)
        return text


class _Running:
    """A started ``PgCommand``. ``wait`` (idempotent) reaps it and raises ``BackupError`` with the end of its error
    output, password masked, when it failed; it returns that output (warnings) when it succeeded."""

    def __init__(self, command: PgCommand, process: subprocess.Popen, errors: IO[bytes]) -> None:
        self.command = command
        self.process = process
        self._errors = errors
        self._outcome: tuple[int, str] | None = None

    def wait(self) -> str:
        if self._outcome is None:
            returncode = self.process.wait()
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe is not None:
                    with contextlib.suppress(BrokenPipeError):
                        pipe.close()
            self._outcome = (returncode, self._read_errors())
        returncode, errors = self._outcome
        if returncode != 0:
            detail = f":\n{errors}" if errors else ""
            raise BackupError(f"{self.command.program} failed (exit status {returncode}){detail}{_hint(errors)}")
        return errors

    def stop(self) -> None:
        """Kill the program if it still runs (the other end gave up) and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(BackupError):
            self.wait()

    def _read_errors(self) -> str:
        with self._errors:
            size = self._errors.seek(0, io.SEEK_END)
            self._errors.seek(max(0, size - _ERROR_TAIL_BYTES))
            text = self._errors.read().decode("utf-8", "replace")
        if size > _ERROR_TAIL_BYTES:
            text = "…" + text.split("\n", 1)[-1]
        return self.command.mask(text).strip()


def _hint(errors: str) -> str:
    if "unsupported version" in errors and "file header" in errors:
        return "\nThe backup was made by a newer pg_dump: use a pg_restore of the same major version or newer."
    return ""


def libpq_environment(settings_dict: dict, *, purpose: str) -> tuple[dict[str, str], list[str]]:
    """The environment that points libpq's programs at the database of ``settings_dict`` (a ``DATABASES`` entry),
    and the extra arguments it needs (``--role`` for ``OPTIONS["assume_role"]``).

    Built on this process's environment, which the application's own connections read too (``PGSSLROOTCERT`` set
    there, say), minus ``DATABASE_URL`` (the programs do not need a second copy of the password). ``purpose``
    suffixes the application name, so that a DBA sees "voicebot-backup" in ``pg_stat_activity``."""
    options = dict(settings_dict.get("OPTIONS") or {})
    unknown = sorted(key for key in options if key not in _LIBPQ_ENVIRONMENT and key not in _NOT_FORWARDED)
    if unknown:
        raise BackupError(
            f"Database OPTIONS {', '.join(unknown)} cannot be passed to pg_dump/pg_restore without putting them on "
            "their command line; remove them or extend config/backups.py"
        )
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGDATABASE": settings_dict.get("NAME"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
    }
    values.update({variable: options.get(option) for option, variable in _LIBPQ_ENVIRONMENT.items()})
    env.update({name: str(value) for name, value in values.items() if value not in (None, "")})
    # PostgreSQL keeps 63 bytes of an application name: the purpose, which can identify the session, must fit.
    env["PGAPPNAME"] = f"{(env.get('PGAPPNAME') or 'voicebot')[:30]}-{purpose}"
    arguments = [f"--role={options['assume_role']}"] if options.get("assume_role") else []
    return env, arguments


def client_program(name: str, *, server_major: int) -> tuple[str, int]:
    """The path and major version of the PostgreSQL client program ``name`` on PATH, or a ``BackupError`` saying
    which package provides it."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found on PATH. It comes with PostgreSQL's client programs, version {server_major} or "
            f"newer: on Debian or Ubuntu, `apt-get install postgresql-client-{server_major}` (from apt.postgresql.org "
            "when the release does not have that version)."
        )
    try:
        result = subprocess.run(  # noqa: S603 (an absolute path found above, a constant argument)
            [path, "--version"],
            env={name: value for name, value in os.environ.items() if name != "DATABASE_URL"},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"Could not run {path} --version ({type(exc).__name__})") from None
    match = re.search(r"\(PostgreSQL\) (\d+)", result.stdout)
    if result.returncode != 0 or match is None:
        raise BackupError(f"Could not tell the version of {path}")
    return path, int(match[1])


def _server_major(alias: str) -> int:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        raise BackupError(
            f"Backups are for PostgreSQL (DATABASE_URL=postgres://…); this database is {connection.vendor}. The quick "
            "start's SQLite database is one file (db.sqlite3): stop the server and copy it."
        )
    try:
        connection.ensure_connection()
        return connection.pg_version // 10000
    except DatabaseError as exc:
        password = connection.settings_dict.get("PASSWORD") or ""
        message = str(exc).replace(password, MASK) if password else str(exc)
        raise BackupError(f"Could not connect to the database: {message.strip()}") from None


def _secrets(settings_dict: dict) -> tuple[str, ...]:
    return tuple(secret for secret in (settings_dict.get("PASSWORD"),) if secret)


def _exception_summary(exc: BaseException) -> str:
    """An exception's class and, for Azure, its error code: never its text, which can hold a SAS-signed URL."""
    code = getattr(exc, "error_code", None)
    code = getattr(code, "value", code)  # the SDK's StorageErrorCode enum: its value is Azure's own code
    return f"{type(exc).__name__}: {code}" if code else type(exc).__name__


def format_size(size: int | None) -> str:
    if size is None:
        return "size unknown"
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


# --- Services ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupResult:
    backup: Backup
    location: BackupLocation
    warnings: str = ""


@dataclass(frozen=True)
class RestoreResult:
    name: str
    size: int | None
    taken_at: datetime.datetime | None
    database: str
    row_counts: dict[str, int]
    warnings: str = ""


def backups_list(*, location: BackupLocation, database: str | None = None, sizes: bool = True) -> list[Backup]:
    """Our backups in ``location`` (of ``database`` only, when given), newest first. Other files are ignored."""
    backups = [backup for backup in map(backup_parse, location.names()) if backup is not None]
    if database is not None:
        backups = [backup for backup in backups if backup.database == database_label(database)]
    if sizes:
        backups = [
            Backup(name=b.name, database=b.database, taken_at=b.taken_at, size=location.size(b.name)) for b in backups
        ]
    return sorted(backups, key=lambda backup: (backup.taken_at, backup.name), reverse=True)


def backups_prune(
    *,
    location: BackupLocation,
    database: str,
    keep: int = 0,
    keep_days: float = 0,
    now: datetime.datetime | None = None,
) -> list[Backup]:
    """Delete the backups of ``database`` in ``location`` that ``retention_plan`` does not keep; return them."""
    if keep <= 0 and keep_days <= 0:
        return []  # no rule: not even a listing (a storage call) is needed
    backups = backups_list(location=location, database=database, sizes=False)
    doomed = retention_plan(backups, keep=keep, keep_days=keep_days, now=now or timezone.now())
    for backup in doomed:
        location.delete(backup.name)
    return doomed


def database_backup(
    *, location: BackupLocation, alias: str = "default", now: datetime.datetime | None = None
) -> BackupResult:
    """Dump the database ``alias`` with ``pg_dump --format=custom`` (compressed; restorable table by table and in
    parallel) into ``location`` under a new ``voicebot-<database>-<UTC time>.dump``.

    Refuses before starting when pg_dump is missing or older than the server (pg_dump cannot dump a newer server)."""
    server_major = _server_major(alias)
    program, major = client_program("pg_dump", server_major=server_major)
    if major < server_major:
        raise BackupError(
            f"{program} is version {major}, older than the server (PostgreSQL {server_major}), which it cannot dump. "
            f"Install postgresql-client-{server_major} (Debian/Ubuntu; from apt.postgresql.org when the release does "
            f"not have it) and put its pg_dump first on PATH (/usr/lib/postgresql/{server_major}/bin)."
        )
    settings_dict = connections[alias].settings_dict
    env, arguments = libpq_environment(settings_dict, purpose="backup")
    # --no-password: a scheduled run must fail rather than wait for someone to type a password.
    command = PgCommand(
        argv=[program, "--format=custom", "--no-password", *arguments], env=env, secrets=_secrets(settings_dict)
    )
    taken_at = (now or timezone.now()).astimezone(datetime.UTC).replace(microsecond=0)
    database = database_label(settings_dict.get("NAME"))
    name, warnings = location.save(backup_name(database=database, taken_at=taken_at), command)
    backup = Backup(name=name, database=database, taken_at=taken_at, size=location.size(name))
    return BackupResult(backup=backup, location=location, warnings=warnings)


def database_restore(
    *, location: BackupLocation, name: str, alias: str = "default", lock_timeout: float = 60
) -> RestoreResult:
    """Replace the contents of the database ``alias`` with the backup ``name`` of ``location``.

    pg_restore runs with:

    - ``--clean --if-exists``: each object of the backup is dropped before it is recreated, so the data is replaced
      rather than added to, and objects the target lacks are no error;
    - ``--no-owner --no-privileges``: objects belong to the user restoring, and no GRANT names a role of the source
      server (Azure's admin role differs from server to server; a non-superuser cannot give objects away);
    - ``--single-transaction`` (implies ``--exit-on-error``): all or nothing; a failure leaves the database as it
      was;
    - ``lock_timeout`` (seconds, 0 = wait forever): dropping a table needs it to be unused; rather than queueing
      behind a long transaction, with every other query queueing behind the restore, it gives up and rolls back
      (see ``_LockWatch``).

    Objects the target has but the backup lacks (a table a later migration added) are left alone."""
    connection = connections[alias]
    if connection.in_atomic_block:
        # Whatever this transaction touched stays locked until it ends, and pg_restore would wait for it forever.
        raise BackupError("A restore cannot run inside a transaction")
    server_major = _server_major(alias)
    program, _ = client_program("pg_restore", server_major=server_major)
    settings_dict = connection.settings_dict
    # A name of its own, by which _LockWatch finds the restore's session.
    env, arguments = libpq_environment(settings_dict, purpose=f"restore-{os.getpid()}")
    # --dbname= (empty): connect, to the database libpq finds in PGDATABASE, instead of printing SQL.
    command = PgCommand(
        argv=[
            program,
            "--dbname=",
            "--format=custom",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            *arguments,
        ],
        env=env,
        secrets=_secrets(settings_dict),
    )
    # Our own session holds nothing, but must not sit in the middle of what is being dropped and recreated.
    connection.close()
    try:
        source = location.open(name)
    except FileNotFoundError:
        raise BackupError(f"There is no backup {location.describe(name)}") from None
    with source, _LockWatch(alias, application_name=env["PGAPPNAME"], timeout=lock_timeout) as watch:
        try:
            warnings = _restore_from(source, command, description=location.describe(name))
        except BackupError:
            if not watch.cancelled:
                raise
            raise BackupError(
                f"pg_restore waited more than {lock_timeout:g} s for a table in use, and was stopped. Stop the web, "
                "worker and beat processes (anything holding a transaction open), then restore again. Nothing was "
                "changed (the restore is a single transaction)."
            ) from None
    parsed = backup_parse(name)
    return RestoreResult(
        name=name,
        size=location.size(name),
        taken_at=parsed.taken_at if parsed else None,
        database=settings_dict.get("NAME") or "",
        row_counts=_row_counts(alias),
        warnings=warnings,
    )


class _LockWatch:
    """Cancels the restore's session once it has waited for a lock longer than ``timeout`` seconds (0: never).

    PostgreSQL's ``lock_timeout`` cannot be handed to pg_restore: the script of every archive begins with ``SET
    lock_timeout = 0``. So a thread, on a connection of its own, looks in ``pg_locks`` (``waitstart``, PostgreSQL
    14+) for a lock the session named ``application_name`` has been waiting for too long, and cancels that session
    (``pg_cancel_backend``: allowed on one's own sessions). The statement fails, the single transaction rolls back.
    """

    _QUERY = (
        "SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE NOT l.granted AND a.datname = current_database() AND a.application_name = %s "
        "AND l.waitstart < clock_timestamp() - make_interval(secs => %s) LIMIT 1"
    )

    def __init__(self, alias: str, *, application_name: str, timeout: float, interval: float = 0.1) -> None:
        self.alias = alias
        self.application_name = application_name
        self.timeout = timeout
        self.interval = interval
        self.cancelled = False
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _LockWatch:
        if self.timeout > 0:
            wrapper = connections[self.alias]
            # A plain driver connection (Django's are per thread), opened here so that an error shows at once.
            self._connection = psycopg.connect(**wrapper.get_connection_params(), autocommit=True)
            self._thread = threading.Thread(target=self._watch, name="restore-lock-watch", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._thread is not None:
            self._stopped.set()
            self._thread.join()
            self._connection.close()

    def _watch(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                row = self._connection.execute(self._QUERY, [self.application_name, self.timeout]).fetchone()
                if row is not None:
                    self._connection.execute("SELECT pg_cancel_backend(%s)", [row[0]])
                    self.cancelled = True
                    return
        except psycopg.Error:
            return  # the watch's own connection failed: the restore goes on, only without this safety net


def _restore_from(source: IO[bytes], command: PgCommand, *, description: str) -> str:
    try:
        # For Azure this first read downloads the blob (to a temporary file past AZURE_BLOB_MAX_MEMORY_SIZE).
        head = source.read(len(ARCHIVE_MAGIC))
    except Exception as exc:
        raise BackupError(f"Could not read {description} ({_exception_summary(exc)})") from None
    if head != ARCHIVE_MAGIC:
        raise BackupError(f"{description} is not a pg_dump custom-format archive")
    if _is_regular_file(source):
        # A local file: pg_restore reads it directly (and can seek in it). Rewound at the descriptor: a buffered
        # reader's seek(0) within its buffer moves only the buffer, and the child reads the descriptor.
        source.seek(0)
        os.lseek(source.fileno(), 0, os.SEEK_SET)
        return command.start(stdin=source).wait()
    # Anything else (a storage's stream) is copied into pg_restore chunk by chunk.
    running = command.start(stdin=subprocess.PIPE)
    try:
        running.process.stdin.write(head)
        shutil.copyfileobj(source, running.process.stdin, COPY_CHUNK)
    except BrokenPipeError:
        pass  # pg_restore stopped reading: wait() reports why
    except BaseException:
        running.stop()
        raise
    return running.wait()


def _is_regular_file(stream: IO[bytes]) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode) and stream.seekable()
    except (AttributeError, OSError, ValueError):
        return False


def _row_counts(alias: str) -> dict[str, int]:
    """Rows per table of our apps, as restored (tables the backup did not have are left out)."""
    from django.apps import apps

    connection = connections[alias]
    tables = [model._meta.db_table for label in _DATA_APPS for model in apps.get_app_config(label).get_models()]
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute("SELECT to_regclass(%s)", [connection.ops.quote_name(table)])
            if cursor.fetchone()[0] is None:
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (our table names)
            counts[table] = cursor.fetchone()[0]
    return counts
