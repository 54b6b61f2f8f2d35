"""Moving in from the original app: its local ``uploads`` folder.

The original kept every uploaded file on its server's disk (src/lib/localFileStorage.ts):
``uploads/<bot uuid>/<file name>``, a ``<file name>.metadata.json`` beside each (``originalSize``, ``type``,
``chunks``, ``processedAt``, ``metadata``), a ``bot-metadata.json`` per bot (``botName``, ``userId``,
``createdAt``, …), and its own ``README.md`` and ``.gitignore`` at the top.

Each file of a bot that exists here (import the original's database first, or in the same run) goes through the
same path as an upload: its type is read from its first bytes and must agree with its extension, it must fit
``MAX_UPLOAD_MB``, it is stored under ``uploads/<bot uuid>/`` with Django's storage (local disk or Azure Blob) and
the processing pipeline extracts, chunks and indexes it (a Celery task after the commit; in-process when no broker
is configured). A file whose document the database import brought (same bot, same name, no stored original yet)
becomes that document's original: one waiting for it (no text in the original database: a PDF, a DOCX) is then
processed; one that already has its text keeps it. Any other file becomes a new document, dated by its
metadata's ``processedAt`` (the time the original received it) or, without one, by the file's modification time.

Idempotent: a file whose bot already has a stored original of that name is left alone, so a second run stores
nothing and creates no document; it never replaces a stored original. Each file is stored and recorded in its own
transaction, its stored copy deleted if that transaction fails: a file is imported whole or not at all. A file it
cannot import (its bot is not here, or belongs to another user than ``bot-metadata.json`` says; a type we do not
accept; too large; unreadable) is reported with its path and the reason.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.utils.dateparse import parse_datetime

from bots.models import Bot
from common.errors import ServiceError
from config.legacy_import import Change, LegacyImportError, Problem, aware, database_refusal
from documents.extract import media_type
from documents.models import Document, DocumentStatus
from documents.services import (
    bot_document_counters_refresh,
    bot_storage_path,
    document_reprocess,
    documents_store_uploads,
)
from documents.uploads import CheckedUpload, check_upload, sanitize_filename

logger = logging.getLogger(__name__)

BOT_METADATA = "bot-metadata.json"
METADATA_SUFFIX = ".metadata.json"


@dataclass
class UploadsReport:
    root: str
    files: int = 0
    done: int = 0  # files looked at so far
    created: int = 0  # new documents
    attached: int = 0  # originals of documents the database import brought
    unchanged: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)  # files not imported
    notes: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    documents: dict[str, int] = field(default_factory=dict)  # status -> count, of the documents created or attached
    document_ids: list[str] = field(default_factory=list)


@dataclass
class _File:
    folder: str  # the bot uuid
    name: str
    path: Path

    @property
    def label(self) -> str:
        return f"{self.folder}/{self.name}"


def legacy_uploads_import(
    *, root: str | os.PathLike, dry_run: bool = False, progress: Callable[[UploadsReport], None] | None = None
) -> UploadsReport:
    """Import the original's uploads folder ``root`` (see the module's docstring). A dry run reads and checks
    every file and says what would be created or attached, and writes nothing. ``progress`` is told after every
    file."""
    root = Path(root)
    if not root.is_dir():
        raise LegacyImportError(f"The uploads folder {root} does not exist or is not a folder")
    report = UploadsReport(root=str(root))
    folders, files = _scan(root, report)
    report.files = len(files)
    bots = {bot.uuid: bot for bot in Bot.objects.filter(uuid__in=folders).only("pk", "uuid", "user_id")}
    owners = {uuid: _metadata_owner(root / uuid, report) for uuid in folders if uuid in bots}
    documents: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for document in (
        Document.objects.filter(bot__in=list(bots.values()), source_url__isnull=True)
        .order_by("-uploaded_at", "-pk")
        .values("pk", "bot_id", "name", "file_path", "status")
    ):
        documents[document["bot_id"]].append(document)

    for file in files:
        bot = bots.get(file.folder)
        if bot is None:
            _skip(report, file, f"bot {file.folder} is not here (import the original database first)")
        elif owners.get(file.folder) not in (None, bot.user_id):
            _skip(
                report,
                file,
                f"{BOT_METADATA} says the bot belongs to user {owners[file.folder]}, "
                f"but bot {bot.uuid} here belongs to user {bot.user_id}",
            )
        else:
            _import_file(report, file, bot, documents[bot.pk], dry_run=dry_run)
        report.done += 1
        if progress is not None:
            progress(report)

    if not dry_run and report.document_ids:
        for pk, name, uuid, status, error in Document.objects.filter(pk__in=report.document_ids).values_list(
            "pk", "name", "bot__uuid", "status", "error"
        ):
            report.documents[status] = report.documents.get(status, 0) + 1
            if status == DocumentStatus.FAILED:
                report.notes.append(Problem("documents", pk, f"{uuid}/{name}: processing failed: {error}"))
    return report


def _scan(root: Path, report: UploadsReport) -> tuple[list[str], list[_File]]:
    """The bot folders and the files in them, sorted; metadata files and the original's own files left out."""
    folders: list[str] = []
    files: list[_File] = []
    for entry in sorted(os.scandir(root), key=lambda entry: entry.name):
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            continue  # the original's README.md and .gitignore
        folders.append(entry.name)
        try:
            items = sorted(os.scandir(entry.path), key=lambda item: item.name)
        except OSError as exc:
            report.skipped += 1
            report.problems.append(Problem("uploads", entry.name, f"cannot be read ({type(exc).__name__})"))
            continue
        for item in items:
            if item.name.startswith(".") or item.name == BOT_METADATA or item.name.endswith(METADATA_SUFFIX):
                continue
            file = _File(folder=entry.name, name=item.name, path=Path(item.path))
            if item.is_file(follow_symlinks=False):
                files.append(file)
            else:
                report.skipped += 1
                report.problems.append(Problem("uploads", file.label, "not a regular file (a folder or a link)"))
    return folders, files


def _metadata_owner(folder: Path, report: UploadsReport) -> str | None:
    """The ``userId`` of the folder's bot-metadata.json, when it has one."""
    path = folder / BOT_METADATA
    if not path.is_file():
        return None
    try:
        owner = json.loads(path.read_text(encoding="utf-8")).get("userId")
    except (OSError, ValueError, AttributeError):
        report.notes.append(Problem("uploads", f"{folder.name}/{BOT_METADATA}", "cannot be read: not checked"))
        return None
    return owner if isinstance(owner, str) and owner else None


def _uploaded_at(file: _File, report: UploadsReport) -> datetime.datetime:
    """When the original received the file: its metadata's ``processedAt``, else the file's modification time."""
    path = file.path.with_name(file.name + METADATA_SUFFIX)
    if path.is_file():
        try:
            metadata = json.loads(path.read_text(encoding="utf-8"))
            nested = metadata.get("metadata") if isinstance(metadata.get("metadata"), dict) else {}
            for value in (metadata.get("processedAt"), nested.get("processedAt")):
                parsed = parse_datetime(value) if isinstance(value, str) else None
                if parsed is not None:
                    return aware(parsed)
        except (OSError, ValueError, AttributeError):
            report.notes.append(
                Problem("uploads", file.label + METADATA_SUFFIX, "cannot be read: the file's date is used")
            )
    return datetime.datetime.fromtimestamp(file.path.stat().st_mtime, tz=datetime.UTC)


def _skip(report: UploadsReport, file: _File, reason: str) -> None:
    report.skipped += 1
    report.problems.append(Problem("uploads", file.label, reason))


def _import_file(
    report: UploadsReport, file: _File, bot: Bot, documents: list[dict[str, Any]], *, dry_run: bool
) -> None:
    names = {file.name, sanitize_filename(file.name)}
    candidates = [document for document in documents if document["name"] in names]
    if any(document["file_path"] for document in candidates):
        report.unchanged += 1
        return
    # The database import's document of this file (the newest, when the original recorded the same name twice).
    waiting = candidates[0] if candidates else None
    try:
        with open(file.path, "rb") as handle:
            upload = UploadedFile(handle, name=file.name, size=os.fstat(handle.fileno()).st_size)
            checked = check_upload(upload)
            if dry_run:  # counted as what would be done
                report.changes.append(Change("uploads", "attach" if waiting else "create", file.label))
                if waiting is not None:
                    report.attached += 1
                else:
                    report.created += 1
                return
            if waiting is not None:
                document_id = _attach(bot=bot, document_id=waiting["pk"], checked=checked)
                if document_id is None:  # attached by someone else meanwhile
                    report.unchanged += 1
                    return
                waiting["file_path"] = "stored"
                report.attached += 1
            else:
                document_id = _create(bot=bot, upload=upload, uploaded_at=_uploaded_at(file, report))
                documents.append({"pk": document_id, "name": checked.name, "file_path": "stored"})
                report.created += 1
    except ServiceError as exc:  # too large, unsupported type
        _skip(report, file, exc.message)
        return
    except OSError as exc:
        _skip(report, file, f"cannot be read ({type(exc).__name__})")
        return
    except DatabaseError as exc:
        _skip(report, file, database_refusal(exc))
        return
    report.document_ids.append(document_id)
    report.changes.append(Change("uploads", "attach" if waiting else "create", file.label))


def _attach(*, bot: Bot, document_id: str, checked: CheckedUpload) -> str | None:
    """Store ``checked`` as the original of the document ``document_id``; process it when the document is waiting
    for it (FAILED: no text). None when the document has an original already."""
    path: str | None = None
    try:
        with transaction.atomic():
            document = Document.objects.select_for_update().filter(pk=document_id, file_path__isnull=True).first()
            if document is None:
                return None
            path = default_storage.save(f"{bot_storage_path(bot)}/{checked.name}", checked.upload)
            Document.objects.filter(pk=document.pk).update(
                file_path=path, type=media_type(checked.kind), size=checked.upload.size
            )
            if document.status == DocumentStatus.FAILED:
                document.file_path = path
                document_reprocess(document=document)  # PENDING, and processed after the commit
            bot_document_counters_refresh(bot=bot)
    except Exception:
        if path is not None:
            _delete(path)  # the row rolled back: its file must not stay behind
        raise
    return document.pk


def _create(*, bot: Bot, upload: UploadedFile, uploaded_at: datetime.datetime) -> str:
    """A new document of ``upload``, by the upload path (stored, PENDING, processed after the commit)."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            (document,) = documents_store_uploads(bot=bot, files=[upload])
            stored.append(document.file_path)
            Document.objects.filter(pk=document.pk).update(uploaded_at=uploaded_at)
    except Exception:
        for path in stored:
            _delete(path)
        raise
    return document.pk


def _delete(path: str) -> None:
    try:
        default_storage.delete(path)
    except OSError:
        logger.warning("Could not delete the stored file %s", path)
