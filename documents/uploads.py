"""Receiving uploaded files: size limits enforced while the bytes arrive, safe names, and types checked by content
and extension before anything is stored."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from common.errors import ServiceError
from documents.extract import sniff_kind

MB = 1024 * 1024
SNIFF_BYTES = 8192
ACCEPTED = "PDF, DOCX, TXT, MD, CSV, JSON and HTML"
_RESERVED = re.compile(r'[<>:"|?*\x00]')
MAX_NAME_LENGTH = 150


class UploadTooLarge(ServiceError):
    status_code = 413
    default_message = "The upload is too large"


class UnsupportedFileType(ServiceError):
    status_code = 415
    default_message = f"Only {ACCEPTED} files are accepted"


class LimitedUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: refuses a request body over MAX_UPLOAD_REQUEST_MB before reading it, and a
    file over MAX_UPLOAD_MB as soon as its bytes pass the limit (the rest is never read). It passes every chunk on
    unchanged to the next handler, which spools it to a temporary file: nothing is held whole in memory."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.MAX_UPLOAD_REQUEST_MB * MB:
            raise UploadTooLarge(f"The upload is larger than {settings.MAX_UPLOAD_REQUEST_MB} MB")

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.MAX_UPLOAD_MB * MB:
            raise UploadTooLarge(f"{sanitize_filename(self.file_name)} is larger than {settings.MAX_UPLOAD_MB} MB")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def sanitize_filename(name: str | None) -> str:
    """A file name that is safe to store and to put in a header: the base name only (no directory, so no
    traversal), no control or format characters, none of the characters Windows reserves, no leading dots."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = _RESERVED.sub("_", name).strip().lstrip(".").strip()
    if not name:
        return "file"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:16] if dot else ""
        name = (stem if dot else name)[: MAX_NAME_LENGTH - len(extension) - 1].rstrip() + (
            f".{extension}" if dot else ""
        )
    return name


@dataclass(frozen=True)
class CheckedUpload:
    upload: UploadedFile
    name: str
    kind: str


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Refuse (413, 415) what we will not store. The type is read from the first bytes and must agree with the
    extension: a renamed executable is not a PDF."""
    name = sanitize_filename(upload.name)
    if upload.size > settings.MAX_UPLOAD_MB * MB:
        raise UploadTooLarge(f"{name} is larger than {settings.MAX_UPLOAD_MB} MB")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = sniff_kind(head, name)
    if kind is None:
        raise UnsupportedFileType(f"{name}: only {ACCEPTED} files are accepted (by content and extension)")
    return CheckedUpload(upload=upload, name=name, kind=kind)
