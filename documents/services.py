"""Writes on documents and their stored originals."""

from __future__ import annotations

import logging

from django.core.files.storage import default_storage
from django.db import transaction

from documents.models import Document

logger = logging.getLogger(__name__)


def stored_files_delete_on_commit(*, owner) -> None:
    """Delete the stored originals of every document of ``owner``'s bots once the surrounding transaction
    commits (so a rollback never leaves rows whose files are gone). Call it before deleting the rows."""
    paths = [
        path for path in Document.objects.filter(bot__user=owner).values_list("file_path", flat=True).iterator() if path
    ]
    if paths:
        transaction.on_commit(lambda: _delete_stored_files(paths))


def _delete_stored_files(paths: list[str]) -> None:
    for path in paths:
        try:
            default_storage.delete(path)
        except OSError:
            logger.warning("Could not delete the stored file %s", path)
