"""The knowledge base on the dashboard: partials that the bot page (``/dashboard/bots/<uuid>``, bots' templates)
loads into its ``#knowledge`` section with htmx, and the storage figure of the overview.

Views call the same services and selectors as the API (``documents.services``, ``documents.selectors``,
``documents.search``, ``bots.selectors.bot_get``): no query or rule of their own. Another user's bot or document
is a 404. An htmx request gets the fragment; the same URL without htmx (no JavaScript, a reloaded address) gets it
inside the layout, or, after a POST, a redirect back to the bot page with a message.

Uploads go through the API's limits: ``common.uploads.SkipOversizeFiles``, put first, skips a file over
``MAX_UPLOAD_MB`` while it arrives (nothing of it is kept) and names it, and the rest of the form, CSRF token
included, is still read; a request over ``MAX_UPLOAD_REQUEST_MB`` is refused unread by the API's handler
(``documents.uploads.LimitedUploadHandler``). Handlers must be in place before the body is read, and Django's CSRF
middleware reads it before the view runs: the upload view is therefore exempt from the middleware and runs the very
same check itself, right after reading the body and before anything is stored (Django's documented way).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.pages import page_login_required
from bots.models import Bot, RagSourceType
from bots.selectors import bot_get
from common.errors import ServiceError
from common.uploads import SkipOversizeFiles
from documents import selectors, services, vectors
from documents.api.serializers import SearchQueryInputSerializer
from documents.downloads import original_response
from documents.extract import EXTENSIONS
from documents.models import Document, DocumentStatus
from documents.search import search_chunks
from documents.uploads import UnsupportedFileType, UploadTooLarge

WORKING = (DocumentStatus.PENDING, DocumentStatus.PROCESSING)
# After "Re-sync website" the table polls until the crawl has finished (the bot's knowledgeSyncedAt moves past
# the request), but no longer than this: a crawl that never ran must not poll for ever.
SYNC_WATCH_SECONDS = 600


def _owned_bot(request: HttpRequest, uuid: str) -> Bot:
    return bot_get(user=request.user, uuid=uuid)  # another user's: NotFoundError, the 404 page (common.errors)


def _owned_document(request: HttpRequest, document_id: str) -> Document:
    return selectors.document_get_owned(user=request.user, document_id=document_id)


def _bot_page(bot: Bot) -> str:
    return reverse("dashboard-bot", args=[bot.uuid]) + "#knowledge"


def _fragment(request: HttpRequest, template: str, context: dict[str, Any], *, title: str, bot: Bot | None = None):
    """The fragment for htmx; without htmx, the fragment on a page of its own (with the way back to the bot)."""
    if request.htmx:
        return render(request, template, context)
    back = _bot_page(bot) if bot is not None else reverse("dashboard")
    page = {"fragment": template, "title": title, "back": back, "nav": "dashboard"}
    return render(request, "documents/fragment_page.html", {**context, **page})


def _sync_since(request: HttpRequest) -> float | None:
    """The ``sync_since`` of a table that watches a website crawl it asked for (epoch seconds), when still fresh."""
    try:
        since = float(request.GET.get("sync_since", ""))
    except ValueError:
        return None
    return since if 0 <= time.time() - since < SYNC_WATCH_SECONDS else None


def _documents_context(bot: Bot, *, sync_since: float | None = None) -> dict[str, Any]:
    documents = list(selectors.document_list(bot=bot))
    syncing = sync_since is not None and (
        bot.knowledge_synced_at is None or bot.knowledge_synced_at < datetime.fromtimestamp(sync_since, tz=UTC)
    )
    return {
        "bot": bot,
        "documents": documents,
        "working": any(document.status in WORKING for document in documents),
        # For the bot page's "Documents" figure, kept in step with the table (out of band): no query of its own.
        "ready_count": sum(document.status == DocumentStatus.READY for document in documents),
        "stored_count": sum(bool(document.file_path) for document in documents),
        "syncing": syncing,
        "sync_since": f"{sync_since:.3f}" if syncing else "",
        # Whether READY documents get sentence vectors (documents.vectors): the table says which have them.
        "vectors_expected": vectors.enabled_for(bot.language),
    }


def _after_post(
    request: HttpRequest, bot: Bot, *, message: str, error: str = "", region: str = "knowledge-status", **extra
) -> HttpResponse:
    """htmx: the refreshed table, and the message out of band in its live region. Without htmx: back to the bot
    page, the message shown there."""
    if request.htmx:
        context = {**_documents_context(bot, **extra), "status": {"region": region, "message": message, "error": error}}
        return render(request, "documents/_documents.html", context)
    if error:
        messages.error(request, f"{error} {message}".strip())
    else:
        messages.success(request, message)
    return redirect(_bot_page(bot))


@require_GET
@page_login_required
def knowledge(request: HttpRequest, uuid: str) -> HttpResponse:
    """``GET /dashboard/bots/<uuid>/knowledge``: the bot page's knowledge-base section."""
    bot = _owned_bot(request, uuid)
    context = {
        **_documents_context(bot),
        "is_website": bot.rag_source_type == RagSourceType.URL,
        "accept": ",".join(EXTENSIONS),
        "max_upload_mb": settings.MAX_UPLOAD_MB,
        "query_max_length": SearchQueryInputSerializer().fields["q"].max_length,
    }
    return _fragment(request, "documents/_knowledge.html", context, title=f"Knowledge base · {bot.name}", bot=bot)


@require_GET
@page_login_required
def documents(request: HttpRequest, uuid: str) -> HttpResponse:
    """``GET /dashboard/bots/<uuid>/documents``: the documents table, which polls while any is being processed."""
    bot = _owned_bot(request, uuid)
    context = _documents_context(bot, sync_since=_sync_since(request))
    return _fragment(request, "documents/_documents.html", context, title=f"Documents · {bot.name}", bot=bot)


def _csrf_protected(request: HttpRequest) -> None:
    """Stands for the upload view in the CSRF check (the view itself is marked exempt)."""


def _csrf_rejection(request: HttpRequest) -> HttpResponse | None:
    return CsrfViewMiddleware(_csrf_protected).process_view(request, _csrf_protected, (), {})


@csrf_exempt  # checked in the view, after the body is read: see the module's docstring
@require_POST
@page_login_required
def upload(request: HttpRequest, uuid: str) -> HttpResponse:
    """``POST /dashboard/bots/<uuid>/documents/upload`` (multipart, ``files``): the API's upload, same checks
    (413 too large, 415 wrong type: then nothing is stored), same service."""
    bot = _owned_bot(request, uuid)
    skipped = SkipOversizeFiles(request)
    request.upload_handlers.insert(0, skipped)  # before the body is read
    refusal: ServiceError | None = None
    try:
        files = request.FILES.getlist("files")
    except UploadTooLarge as exc:  # the whole request over MAX_UPLOAD_REQUEST_MB: not read at all
        refusal, files = exc, []
    except MultiPartParserError:
        raise BadRequest("The upload could not be read") from None
    rejected = _csrf_rejection(request)
    if rejected is not None:
        return rejected
    if skipped.too_large:
        # As the API: one file over the limit and nothing of the request is stored.
        names = ", ".join(skipped.too_large)
        refusal = UploadTooLarge(
            f"{names} {'is' if len(skipped.too_large) == 1 else 'are'} larger than {settings.MAX_UPLOAD_MB} MB"
        )
    try:
        if refusal is not None:
            raise refusal
        stored = services.documents_upload(bot=bot, files=files)
    except UploadTooLarge as exc:
        too_large = f"File too large (max {settings.MAX_UPLOAD_MB} MB)."
        return _after_post(request, bot, region="upload-status", error=too_large, message=exc.message)
    except UnsupportedFileType as exc:
        return _after_post(request, bot, region="upload-status", error="File type not allowed.", message=exc.message)
    except ServiceError as exc:
        return _after_post(request, bot, region="upload-status", error="Nothing was uploaded.", message=exc.message)
    names = ", ".join(document.name for document in stored)
    noun = "file" if len(stored) == 1 else "files"
    return _after_post(request, bot, region="upload-status", message=f"Uploaded {len(stored)} {noun}: {names}.")


@require_GET
@page_login_required
def download(request: HttpRequest, document_id: str) -> HttpResponse:
    """``GET /dashboard/documents/<id>/download``: the stored original, with the API's headers."""
    document = _owned_document(request, document_id)
    return original_response(document=document)


@require_POST
@page_login_required
def delete(request: HttpRequest, document_id: str) -> HttpResponse:
    """``POST /dashboard/documents/<id>/delete``: the document, its chunks and its stored original."""
    document = _owned_document(request, document_id)
    bot, name = document.bot, document.name
    services.document_delete(document=document)
    return _after_post(request, bot, message=f"Deleted {name}.")


@require_POST
@page_login_required
def resync(request: HttpRequest, uuid: str) -> HttpResponse:
    """``POST /dashboard/bots/<uuid>/resync``: crawl the bot's website again (the API's service); the table then
    watches until the crawl has finished."""
    bot = _owned_bot(request, uuid)
    since = time.time()
    try:
        services.bot_website_sync_request(bot=bot)
    except ServiceError as exc:
        return _after_post(request, bot, error="Could not re-sync.", message=exc.message)
    if request.htmx:
        bot = _owned_bot(request, uuid)  # a crawl run in-process (no broker) has finished by now
    return _after_post(request, bot, message="Website sync started.", sync_since=since)


@require_GET
@page_login_required
def search(request: HttpRequest, uuid: str) -> HttpResponse:
    """``GET /dashboard/bots/<uuid>/search?q=``: the retrieval tester, the API's search (same function)."""
    bot = _owned_bot(request, uuid)
    params = SearchQueryInputSerializer(data=request.GET)
    hits, error = [], ""
    if params.is_valid():
        hits = search_chunks(bot=bot, query=params.validated_data["q"], limit=params.validated_data["k"])
    else:
        field, problems = next(iter(params.errors.items()))
        error = "Type a question to test." if field == "q" and not request.GET.get("q") else f"{field}: {problems[0]}"
    context = {"bot": bot, "query": request.GET.get("q", ""), "hits": hits, "error": error}
    return _fragment(request, "documents/_search_results.html", context, title=f"Retrieval · {bot.name}", bot=bot)


@require_GET
@page_login_required
def storage(request: HttpRequest) -> HttpResponse:
    """``GET /dashboard/storage``: the overview's "Storage used" figure (one ``<div class="stat">``)."""
    totals = selectors.document_storage_totals(user=request.user)
    return _fragment(request, "documents/_storage.html", {"totals": totals}, title="Storage used")
