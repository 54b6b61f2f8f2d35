"""Reads of documents, always through a bot the caller owns."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from accounts.errors import NotFoundError
from bots.models import Bot
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
