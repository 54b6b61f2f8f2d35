"""Handing a stored original back to its owner, with the original app's headers (the API's legacy download route
and the dashboard's download link answer alike)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse

from common.errors import NotFoundError
from documents.models import Document

# The original's download types, by extension; anything else is a download of bytes.
DOWNLOAD_TYPES = {
    "txt": "text/plain",
    "pdf": "application/pdf",
    "json": "application/json",
    "csv": "text/csv",
    "md": "text/markdown",
}


def original_response(*, document: Document) -> FileResponse:
    """The stored original of ``document`` (from an owner-scoped selector, its bot loaded) as an attachment;
    NotFoundError when it has none or storage lost it."""
    if not document.file_path or not default_storage.exists(document.file_path):
        raise NotFoundError("File not found")
    extension = document.name.rsplit(".", 1)[-1].lower() if "." in document.name else ""
    response = FileResponse(
        default_storage.open(document.file_path, "rb"),
        content_type=DOWNLOAD_TYPES.get(extension, "application/octet-stream"),
    )
    ascii_name = document.name.encode("ascii", "replace").decode().replace('"', "_")
    response["Content-Disposition"] = f'attachment; filename="{ascii_name}"'
    response["Cache-Control"] = "private, no-cache"
    response["X-Bot-UUID"] = document.bot.uuid
    response["X-File-Name"] = ascii_name
    return response
