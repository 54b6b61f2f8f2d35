"""Celery tasks of the knowledge base. Thin: load by id, call a service, record the reason on failure."""

from __future__ import annotations

import logging

from celery import shared_task

from bots.models import Bot
from common.tasking import DatabaseRetryTask, memory_give_back
from documents import services, vectors

logger = logging.getLogger(__name__)


class ProcessingTask(DatabaseRetryTask):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        # A bug or a lost database must not leave the document PROCESSING for ever.
        services.document_fail(document_id=args[0], reason=f"Processing failed unexpectedly ({type(exc).__name__})")

    def after_return(self, status, retval, task_id, args, kwargs, einfo) -> None:
        # A big document's pages, chunks and parser state are freed by now: the pool process gives the memory back
        # instead of keeping its largest document's high-water mark for its next tasks.
        memory_give_back()


@shared_task(bind=True, base=ProcessingTask, acks_late=True, time_limit=600, soft_time_limit=570)
def process_document(self, document_id: str) -> str:
    # A retry after a database error goes on although the document is no longer PENDING: its first attempt may have
    # claimed it before the error (or not: then this claim does). Processing is idempotent and takes a row lock.
    if not services.document_claim(document_id=document_id) and not self.request.retries:
        return "not claimed"
    services.document_process(document_id=document_id)
    return "done"


@shared_task(acks_late=True, time_limit=900)
def sync_bot_website(bot_id: str) -> dict:
    result = services.bot_website_sync(bot_id=bot_id)
    return {"added": result.added, "updated": result.updated, "removed": result.removed, "error": result.error}


@shared_task(base=DatabaseRetryTask, acks_late=True)
def reindex_bot(bot_id: str) -> str:
    bot = Bot.objects.filter(pk=bot_id).first()
    if bot is not None:
        services.bot_reindex(bot=bot)
    return "done"


class EmbeddingTask(DatabaseRetryTask):
    def after_return(self, status, retval, task_id, args, kwargs, einfo) -> None:
        memory_give_back()  # the engine's batches are freed: the pool process gives the memory back


@shared_task(base=EmbeddingTask, acks_late=True, time_limit=1800, soft_time_limit=1770)
def embed_document(document_id: str, force: bool = False) -> str:
    """The sentence vectors of a READY document's chunks (documents.vectors). Without the engine's weights it does
    nothing and says so: full-text search answers meanwhile."""
    try:
        return vectors.document_embed(document_id=document_id, force=force)
    except vectors.VectorsUnavailable as exc:
        logger.warning("Document %s: no sentence vectors (%s); full-text search answers for it", document_id, exc)
        return "embeddings unavailable"


@shared_task
def recover_stuck_documents() -> int:
    return services.documents_recover_stuck()


@shared_task
def remove_orphaned_files() -> int:
    return services.stored_files_remove_orphans()
