"""Writes on documents and their stored originals."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q

from accounts.models import User
from bots.models import Bot
from documents.models import Document

logger = logging.getLogger(__name__)


def bot_storage_path(bot: Bot) -> str:
    """Where a bot's originals live in storage, as in the original app: ``uploads/<bot uuid>/``."""
    return f"uploads/{bot.uuid}"


@transaction.atomic
def documents_store_uploads(*, bot: Bot, files: Iterable[UploadedFile]) -> list[Document]:
    """Store uploaded originals under ``uploads/<bot uuid>/`` (streamed by the storage, chunk by chunk) and
    record each as a Document; its text is extracted later."""
    documents: list[Document] = []
    saved: list[str] = []
    try:
        for upload in files:
            name = os.path.basename((upload.name or "").replace("\\", "/")) or "file"
            # The storage picks a free name when one is taken, so two uploads never overwrite each other.
            path = default_storage.save(f"{bot_storage_path(bot)}/{name}", upload)
            saved.append(path)
            documents.append(
                Document.objects.create(
                    bot=bot,
                    name=os.path.basename(path),
                    type=upload.content_type or "application/octet-stream",
                    size=upload.size,
                    file_path=path,
                )
            )
        bot_document_counters_refresh(bot=bot)
    except Exception:
        _delete_stored_files(saved)  # the rows roll back: their files must not stay behind
        raise
    return documents


def bot_document_counters_refresh(*, bot: Bot) -> None:
    """Set the bot's ``documentsProcessed`` and ``localFilesStored`` from what the database holds (counted, never
    incremented, so they cannot drift)."""
    counts = Document.objects.filter(bot=bot).aggregate(
        processed=Count("id", filter=Q(processed_at__isnull=False)),
        stored=Count("id", filter=Q(file_path__isnull=False)),
    )
    Bot.objects.filter(pk=bot.pk).update(
        documents_processed=counts["processed"],
        local_files_stored=counts["stored"],
        local_storage_path=bot_storage_path(bot) if counts["stored"] else None,
    )


def stored_files_delete_on_commit(*, owner: User | None = None, bot: Bot | None = None) -> None:
    """Delete the stored originals of the documents of ``owner``'s bots (or of ``bot``) once the surrounding
    transaction commits, so a rollback never leaves rows whose files are gone. Call it before deleting rows."""
    documents = Document.objects.filter(bot__user=owner) if owner is not None else Document.objects.filter(bot=bot)
    paths = [path for path in documents.values_list("file_path", flat=True).iterator() if path]
    if paths:
        transaction.on_commit(lambda: _delete_stored_files(paths), robust=True)


def _delete_stored_files(paths: list[str]) -> None:
    for path in paths:
        try:
            default_storage.delete(path)
        except OSError:
            logger.warning("Could not delete the stored file %s", path)
