"""Reads of documents, always through a bot the caller owns."""

from __future__ import annotations

from typing import TypedDict

from django.db.models import Count, Q, QuerySet, Sum

from accounts.models import User
from bots.models import Bot
from common.errors import NotFoundError
from documents.models import Document


def document_list(*, bot: Bot) -> QuerySet[Document]:
    """The bot's documents, newest first, without their text; ``chunk_count`` annotated. ``bot`` comes from an
    owner-scoped selector (bots.selectors.bot_get)."""
    return (
        Document.objects.filter(bot=bot)
        .select_related("bot")
        .defer("content", "chunks")
        .annotate(chunk_count=Count("search_chunks"))
        .order_by("-uploaded_at", "-id")
    )


def document_get(*, bot: Bot, document_id: str) -> Document:
    document = document_list(bot=bot).filter(pk=document_id).first()
    if document is None:
        raise NotFoundError("Document not found")
    return document


def document_get_stored(*, bot: Bot, name: str) -> Document | None:
    """The stored upload called ``name`` (names are unique per bot: the storage gives duplicates a suffix)."""
    return Document.objects.filter(bot=bot, name=name, file_path__isnull=False).first()


def document_get_owned(*, user: User, document_id: str) -> Document:
    """One of ``user``'s documents by id, whichever bot it belongs to (its bot loaded, its text deferred); 404
    "Document not found" for another user's document as for none."""
    document = (
        Document.objects.filter(bot__user=user, pk=document_id).select_related("bot").defer("content", "chunks").first()
    )
    if document is None:
        raise NotFoundError("Document not found")
    return document


class StorageTotals(TypedDict):
    size: int
    files: int
    pages: int


def document_storage_totals(*, user: User) -> StorageTotals:
    """What ``user``'s knowledge bases hold, over all their bots, in one query: the bytes of every document
    (uploaded originals and crawled pages), the number of uploaded files and of crawled pages."""
    totals = Document.objects.filter(bot__user=user).aggregate(
        size=Sum("size", default=0),
        files=Count("id", filter=Q(file_path__isnull=False)),
        pages=Count("id", filter=Q(source_url__isnull=False)),
    )
    return StorageTotals(size=totals["size"], files=totals["files"], pages=totals["pages"])
