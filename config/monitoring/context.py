"""What a process is serving right now, for its log lines: the request id of a web request and the id of a Celery
task. Kept in context variables, so that each thread (gunicorn gthread, the test client) and each asyncio task sees
its own, and nothing has to be passed down through services.

The request id comes from the caller's ``X-Request-ID`` when it is sane (a load balancer or the frontend set it,
so one id follows a request across systems), and is generated otherwise. It is sent back in ``X-Request-ID``, so a
user reporting an error can quote it and it leads to every log line of their request.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported at start-up by settings.py and Celery's app: nothing of Django's is needed at run time
    from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# Short and made of characters that cannot break a log line or a header: UUIDs, hex, ULIDs, AWS/GCP trace ids.
# Anything else (too long, spaces, quotes, newlines, non-ASCII) is replaced by an id of ours, never trimmed or
# escaped: a half-kept id would match nothing on the caller's side anyway.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("task_id", default=None)


def sane_request_id(value: str | None) -> str | None:
    """``value`` when it is acceptable as a request id, else None."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


def current_task_id() -> str | None:
    return task_id_var.get()


class RequestIdMiddleware:
    """First in MIDDLEWARE: every log line written while the request is served carries its id, and the response
    (errors included, whatever produced them) returns it in ``X-Request-ID``.

    Django logs a request's 4xx/5xx (``django.request``) after the middleware chain has returned, when the context
    variable is reset again; the id is also put on the request (``request.request_id``), where the log filter finds
    it through the record's ``request`` attribute."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response
