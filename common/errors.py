"""The API's one error contract: every error under ``/api/`` is JSON ``{"success": false, "error": "<message>"}``
(extra detail keys allowed) with the status that fits. Services raise ``ServiceError`` subclasses; DRF views get
their errors shaped by ``api_exception_handler``; everything else under ``/api/`` (unknown paths, Django's own
error pages, exceptions outside DRF, a database that does not answer) by ``ApiErrorMiddleware``.

Messages never carry exception text from below (drivers, libraries): that can name hosts, queries or secrets.
"""

from __future__ import annotations

import logging
import math
import sys
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found
from rest_framework import exceptions
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """A failure with a message meant for the caller. ``extra`` goes into the body beside ``error``."""

    status_code = 400
    default_message = "Bad request"

    def __init__(self, message: str | None = None, *, status_code: int | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra
        super().__init__(self.message)


class NotFoundError(ServiceError):
    status_code = 404
    default_message = "Not found"


class ForbiddenError(ServiceError):
    status_code = 403
    default_message = "Forbidden"


class ConflictError(ServiceError):
    status_code = 409
    default_message = "Conflict with the current state of the resource"


class UnavailableError(ServiceError):
    """Something we depend on is down or not configured: 503, try again later."""

    status_code = 503
    default_message = "Service unavailable"


def error_body(message: str, **extra: Any) -> dict[str, Any]:
    return {"success": False, "error": message, **extra}


def _database_unavailable_headers() -> dict[str, str]:
    return {"Retry-After": str(settings.API_RETRY_AFTER_SECONDS)}


def _for_django_exception(exc: Exception) -> tuple[int, str, dict[str, str]] | None:
    """Status, message and headers for the exceptions that DRF does not know; None for the rest."""
    if isinstance(exc, IntegrityError):
        return 409, "Conflict with existing data", {}
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is down, restarting, failing over, or the pool has no connection to give: retry later.
        # (Other database errors, ProgrammingError or DataError, are bugs: a 500, logged with their traceback.)
        logger.error("Database unavailable: %s", type(exc).__name__)
        return 503, "Database unavailable, please retry shortly", _database_unavailable_headers()
    if isinstance(exc, RequestDataTooBig):
        return 413, "Request body too large", {}
    if isinstance(exc, ObjectDoesNotExist):
        # A record the request had found was deleted before it finished (a race with another request): it is gone,
        # which is a 404. Services say so themselves where they can (NotFoundError); this is the net under them,
        # logged with its traceback so that a real bug behind it is still seen.
        logger.warning("A record went away during the request: %s", type(exc).__qualname__, exc_info=exc)
        return 404, "Not found", {}
    if isinstance(exc, SuspiciousOperation):
        return 400, "Bad request", {}
    return None


def _drf_message(exc: exceptions.APIException, response: Response) -> tuple[str, dict[str, Any]]:
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        field, messages = next(iter(errors.items()), ("", ["Invalid input"]))
        first = messages[0] if isinstance(messages, list) and messages else messages
        label = "" if field in ("non_field_errors", "detail") else f"{field}: "
        return f"{label}{first}", {"errors": errors}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # The legacy frontend expects "Unauthorized"; the reason says why, without echoing the credentials.
        return "Unauthorized", {"detail": str(exc.detail)}
    if isinstance(exc, exceptions.Throttled):
        return "Too many requests", {"retryAfter": math.ceil(exc.wait) if exc.wait else None}
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    return str(detail or HTTPStatus(response.status_code).phrase), {}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: DRF's own statuses and headers, our envelope."""
    # Imported here: rest_framework.views imports the authentication classes, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, ServiceError):
        headers = _database_unavailable_headers() if exc.status_code == 503 else {}
        return Response(error_body(exc.message, **exc.extra), status=exc.status_code, headers=headers)
    mapped = _for_django_exception(exc)
    if mapped is not None:
        status, message, headers = mapped
        return Response(error_body(message), status=status, headers=headers)
    response = drf_exception_handler(exc, context)  # Http404 and PermissionDenied become DRF's, headers set
    if response is None:
        return None  # unexpected: ApiErrorMiddleware logs it and answers 500
    message, extra = _drf_message(exc, response)
    response.data = error_body(message, **extra)
    return response


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def json_error(status: int, message: str | None = None, **extra: Any) -> JsonResponse:
    return JsonResponse(error_body(message or HTTPStatus(status).phrase, **extra), status=status)


def response_for_exception(request: HttpRequest, exc: BaseException) -> JsonResponse:
    """The JSON answer to an exception raised outside DRF's handling, under /api/."""
    mapped = _for_django_exception(exc) if isinstance(exc, Exception) else None
    if mapped is not None:
        status, message, headers = mapped
        response = json_error(status, message)
        for name, value in headers.items():
            response[name] = value
        return response
    if isinstance(exc, Http404):
        return json_error(404, "Not found")
    if isinstance(exc, PermissionDenied):
        return json_error(403, "Forbidden")
    logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return json_error(500, "Internal server error")


class ApiErrorMiddleware:
    """Under /api/: exceptions become JSON errors, and no error response leaves as an HTML page (Django's 404,
    CSRF failure, 400 for a bad host, …): it is replaced by the JSON envelope with the same status."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            is_api_request(request)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            replacement = json_error(response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_api_request(request):
            # Pages call the same selectors as the API: an owner-scoped lookup that finds nothing (another user's
            # record, or none) is the 404 page there, as it is the JSON 404 here.
            if isinstance(exc, NotFoundError | ObjectDoesNotExist):
                return page_not_found(request, Http404(str(exc)))
            return None
        return response_for_exception(request, exc)


@csrf_exempt  # nothing here to protect: a POST to an unknown path is a 404, not a CSRF failure (403)
def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Every unknown path under /api/, whatever DEBUG says."""
    return json_error(404, "Not found")


# Outside /api/ (the admin, pages) when the database does not answer: a page that names nothing about it.
_UNAVAILABLE_PAGE = (
    '<!doctype html><html lang="en"><head><title>Service Unavailable (503)</title></head><body>'
    "<h1>Service Unavailable (503)</h1><p>The service is briefly unavailable. Please try again in a moment.</p>"
    "</body></html>"
)


_SERVER_ERROR_PAGE = (
    '<!doctype html><html lang="en"><head><title>Server Error (500)</title></head><body>'
    "<h1>Server Error (500)</h1><p>Something went wrong. Please try again in a moment.</p>"
    '<p><a href="/">Home page</a></p></body></html>'
)


_REFUSED_PAGE = (
    '<!doctype html><html lang="en"><head><title>{phrase} ({status})</title></head><body>'
    "<h1>{phrase} ({status})</h1><p>{message}</p><p>Go back and try again.</p>"
    "</body></html>"
)


def refused_page(status: int, message: str) -> HttpResponse:
    """Outside /api/: a request refused for the caller's mistake, with its status and a message saying why (a
    bare page: it may be shown before any template context exists, e.g. from a middleware)."""
    phrase = HTTPStatus(status).phrase
    page = _REFUSED_PAGE.format(status=status, phrase=escape(phrase), message=escape(message))
    return HttpResponse(page, status=status)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: reached for exceptions raised in middleware (under /api/ too, e.g. a session saved after the
    view) and in views outside /api/. A database outage is a 503 with Retry-After there as well, not a 500: it is
    not a bug, and monitoring and clients should tell the two apart."""
    exc = sys.exc_info()[1]
    if is_api_request(request):
        return response_for_exception(request, exc) if exc else json_error(500, "Internal server error")
    if isinstance(exc, ServiceError) and exc.status_code < 500:
        # Refused while the request was read, before any view (e.g. an upload over the limits, met when the CSRF
        # check reads the form): the caller's mistake, with its status, not a server error.
        return refused_page(exc.status_code, exc.message)
    if isinstance(exc, OperationalError | InterfaceError):
        headers = _database_unavailable_headers()
        page = _layout_page("503.html", {"retry_after": int(headers["Retry-After"])}, fallback=_UNAVAILABLE_PAGE)
        response = HttpResponse(page, status=503)
        for name, value in headers.items():
            response[name] = value
        return response
    return HttpResponse(_layout_page("500.html", {}, fallback=_SERVER_ERROR_PAGE), status=500)


def _layout_page(template: str, context: dict[str, Any], *, fallback: str) -> str:
    """An error page in the product's layout, rendered without a request: no context processor runs, so nothing
    reads the session or the user (from a database that may be what failed). If even that fails (a template or
    static-files manifest problem), the bare page: an error page must not raise."""
    try:
        return loader.get_template(template).render(context)
    except Exception:
        logger.exception("The %s page could not be rendered; sent the bare page instead", template)
        return fallback
