"""An upload handler for the pages' forms, beside the API's (``documents.uploads.LimitedUploadHandler``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

MB = 1024 * 1024


class SkipOversizeFiles(FileUploadHandler):
    """Put first (``request.upload_handlers.insert(0, …)``, before the body is read) by a page that takes files: a
    file over ``MAX_UPLOAD_MB`` is skipped — its bytes discarded as they arrive, never stored — and its name kept
    in ``too_large``, instead of the API's 413 for the whole request. The rest of the form is still read, the CSRF
    token included, so the page can answer with the refusal next to its field and every other value kept. A
    request over ``MAX_UPLOAD_REQUEST_MB`` is still refused before it is read, by the API's handler after this one."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.too_large: list[str] = []
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.MAX_UPLOAD_MB * MB:
            self.too_large.append((self.file_name or "file").replace("\\", "/").rsplit("/", 1)[-1])
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
