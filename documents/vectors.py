"""Sentence vectors of a bot's chunks and exact nearest-neighbour search over them (issue 17).

Writing: once a document is READY, a task (``tasks.embed_document``) gives each of its chunks a vector from the
sentence-embedding engine (``documents.embeddings``), a few dozen chunks at a time, and then marks the document with
the model that made them (``Document.embedding_model``, ``embedded_at``). Until then full-text search answers alone.
Replacing a document's chunks (reprocessing, a re-crawled page) clears the mark and queues the task again; a change
of model is caught up by ``manage.py embeddings_rebuild``.

Reading: a bot's vectors of the current model, as one float32 matrix, are cached in the process (no vector database:
pgvector is not on every server, and exact search over one bot's chunks is a matrix-vector product, about a
millisecond for 20,000 chunks). Before each search one small query over the bot's documents tells whether the
matrix is still what the database holds (how many documents carry vectors of the model, and their latest
``embedded_at``), at most once a second per bot (``KNOWLEDGE_CHECK_SECONDS``): any document embedded, replaced or
deleted changes it, and the matrix is read again. Matrices are
evicted least recently used past ``VECTOR_CACHE_MB``.

Only bots whose language the model is meant for use vectors (``documents.embeddings.supports_language``: English
for all-MiniLM-L6-v2); the others keep full-text search in their own language.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, Max, Min, OuterRef, Sum
from django.db.models.functions import Extract, Now

from bots.models import Bot
from documents.models import Document, DocumentChunk, DocumentStatus

logger = logging.getLogger(__name__)

# Chunks read, embedded and written per round: the engine's own batches are within it; the worker holds no more.
EMBED_ROUND = 64


class VectorsUnavailable(Exception):
    """No vector search for this bot now (the engine's weights are missing, or the bot's language is not the
    model's): search answers with full-text search alone."""


def engine() -> Any:
    """The embedding engine (``documents.embeddings``): imported on first use, so that a process that never embeds
    never imports ONNX Runtime. Tests replace it."""
    try:
        from documents import embeddings
    except ImportError as exc:  # the engine's packages are not installed here
        raise VectorsUnavailable(f"the embedding engine cannot be imported ({exc})") from exc
    return embeddings


def enabled_for(language: str | None) -> bool:
    """Whether a bot in ``language`` gets vectors: embeddings switched on, and the configured model meant for that
    language (``documents.embeddings.supports_language``: all-MiniLM-L6-v2 reads English)."""
    if not settings.EMBEDDINGS_ENABLED:
        return False
    try:
        return bool(engine().supports_language(language))
    except VectorsUnavailable:
        return False


def current_model() -> str:
    """The engine's model id (it changes with the model or its weights); ``VectorsUnavailable`` without weights."""
    embeddings = engine()
    try:
        return embeddings.model_id()
    except embeddings.EmbeddingsUnavailable as exc:
        raise VectorsUnavailable(str(exc)) from exc


# --- Writing -----------------------------------------------------------------------------------------------------


def document_embed(*, document_id: str, force: bool = False) -> str:
    """Give the chunks of a READY document vectors of the current model; then mark the document. ``force``: every
    chunk again (the model changed), else only those without one. Returns what happened, for the task's result."""
    document = Document.objects.select_related("bot").only("id", "status", "embedding_model", "bot__language")
    document = document.filter(pk=document_id).first()
    if document is None or document.status != DocumentStatus.READY:
        return "not ready"
    if not enabled_for(document.bot.language):
        return "not embedded: language or setting"
    model = current_model()
    if document.embedding_model == model and not force:
        return "up to date"
    # Vectors of another model are all replaced (the document keeps its old mark, unsearched by this model, until
    # the last of them is written).
    force = force or document.embedding_model is not None
    chunks = DocumentChunk.objects.filter(document_id=document_id)
    if not force:
        chunks = chunks.filter(embedding__isnull=True)
    after = 0
    embedded = 0
    while True:
        rows = list(chunks.filter(id__gt=after).order_by("id").values_list("id", "content")[:EMBED_ROUND])
        if not rows:
            break
        embeddings = engine()
        try:
            vectors = embeddings.embed_passages([content for _, content in rows])
        except embeddings.EmbeddingsUnavailable as exc:  # weights that fail their check at load, a process exiting
            raise VectorsUnavailable(str(exc)) from exc
        _store([chunk_id for chunk_id, _ in rows], [vector.astype("<f4").tobytes() for vector in vectors])
        after = rows[-1][0]
        embedded += len(rows)
    # Marked only if every chunk the document now has carries a vector: chunks replaced meanwhile (reprocessing)
    # have none, and their own task marks the document when it has given them theirs.
    marked = (
        Document.objects.filter(pk=document_id, status=DocumentStatus.READY)
        .exclude(Exists(DocumentChunk.objects.filter(document_id=OuterRef("pk"), embedding__isnull=True)))
        .update(embedding_model=model, embedded_at=Now())
    )
    logger.info("Document %s: %d chunk vectors (%s)%s", document_id, embedded, model, "" if marked else ", not marked")
    return f"{embedded} chunks" if marked else f"{embedded} chunks, chunks replaced meanwhile"


def _store(ids: list[int], vectors: list[bytes]) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE document_chunks AS c SET embedding = v.embedding "
                "FROM unnest(%s::bigint[], %s::bytea[]) AS v(id, embedding) WHERE c.id = v.id",
                [ids, vectors],
            )
        return
    DocumentChunk.objects.bulk_update(
        [DocumentChunk(id=chunk_id, embedding=vector) for chunk_id, vector in zip(ids, vectors, strict=True)],
        ["embedding"],
    )


def documents_to_embed(*, model: str) -> Any:
    """The READY documents whose chunks lack vectors of ``model``, of bots whose language it reads."""
    documents = Document.objects.filter(status=DocumentStatus.READY).exclude(embedding_model=model)
    languages = documents.values_list("bot__language", flat=True).distinct()
    read = [language for language in languages if enabled_for(language)]
    return documents.filter(bot__language__in=read).order_by("uploaded_at", "id")


# --- Reading -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Matrix:
    key: tuple
    ids: Any  # numpy int64 array: chunk ids, in the rows' order
    vectors: Any  # numpy float32 array (chunks, dimensions), unit rows

    @property
    def nbytes(self) -> int:
        return int(self.ids.nbytes + self.vectors.nbytes)


_cache: OrderedDict[str, _Matrix] = OrderedDict()
_cache_lock = threading.Lock()


def _knowledge_key(bot: Bot, model: str) -> tuple:
    """What the bot's matrix depends on, read in one small query over its documents (not its chunks): how many
    carry vectors of the model, their first and latest ``embedded_at`` and (PostgreSQL) the sum of those instants."""
    figures = {"documents": Count("id"), "first": Min("embedded_at"), "latest": Max("embedded_at")}
    if connection.vendor == "postgresql":
        figures["instants"] = Sum(Extract("embedded_at", "epoch"))
    found = Document.objects.filter(bot=bot, embedding_model=model, embedded_at__isnull=False).aggregate(**figures)
    return (model, *found.values())


def _load(bot: Bot, model: str, key: tuple) -> _Matrix:
    import numpy as np

    rows = (
        DocumentChunk.objects.filter(
            bot=bot, document__embedding_model=model, document__embedded_at__isnull=False, embedding__isnull=False
        )
        .values_list("id", "embedding")
        .order_by("id")
    )  # sorted ids: a chunk's row is found by bisection
    ids: list[int] = []
    buffers: list[bytes] = []
    for chunk_id, vector in rows.iterator(chunk_size=2000):
        ids.append(chunk_id)
        buffers.append(bytes(vector))
    dimensions = engine().dimensions()
    vectors = np.frombuffer(b"".join(buffers), dtype="<f4").reshape(len(ids), dimensions) if ids else None
    if vectors is None:
        vectors = np.zeros((0, dimensions), dtype="<f4")
    return _Matrix(key=key, ids=np.asarray(ids, dtype=np.int64), vectors=vectors)


# A bot's matrix is checked against its documents at most this often (seconds): a document embedded or deleted is
# seen by the searches that start after it (a deleted chunk found meanwhile is not read: the rows are read by id).
KNOWLEDGE_CHECK_SECONDS = 1.0
_checked: dict[str, float] = {}


def _matrix(bot: Bot, model: str) -> _Matrix:
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(bot.pk)
        if cached is not None and cached.key[0] == model and now - _checked.get(bot.pk, 0) < KNOWLEDGE_CHECK_SECONDS:
            _cache.move_to_end(bot.pk)
            return cached
    key = _knowledge_key(bot, model)
    with _cache_lock:
        cached = _cache.get(bot.pk)
        if cached is not None and cached.key == key:
            _checked[bot.pk] = now
            _cache.move_to_end(bot.pk)
            return cached
    matrix = _load(bot, model, key)
    with _cache_lock:
        _cache[bot.pk] = matrix
        _checked[bot.pk] = now
        _cache.move_to_end(bot.pk)
        budget = settings.VECTOR_CACHE_MB * 1024 * 1024
        while len(_cache) > 1 and sum(item.nbytes for item in _cache.values()) > budget:
            _cache.popitem(last=False)
    return matrix


def cache_clear() -> None:
    with _cache_lock:
        _cache.clear()
        _checked.clear()


@dataclass(frozen=True)
class Nearest:
    """The chunks nearest to a question (chunk id, cosine similarity), nearest first, and the similarity of any
    other chunk of the bot that has a vector (for the chunks that full-text search found)."""

    top: list[tuple[int, float]]
    _ids: Any
    _scores: Any

    def similarity(self, chunk_id: int) -> float | None:
        import numpy as np

        index = int(np.searchsorted(self._ids, chunk_id))
        if index < len(self._ids) and self._ids[index] == chunk_id:
            return float(self._scores[index])
        return None


def nearest(*, bot: Bot, query: str, limit: int) -> Nearest | None:
    """The ``limit`` chunks of ``bot`` nearest to ``query``, exact, over every chunk with a vector; None when the
    bot has none yet. ``VectorsUnavailable`` when vector search cannot answer for this bot."""
    import numpy as np

    if not enabled_for(bot.language):
        raise VectorsUnavailable("not for this bot's language")
    model = current_model()
    matrix = _matrix(bot, model)
    if not len(matrix.ids):
        return None
    embeddings = engine()
    try:
        query_vector = embeddings.embed_query(query)
    except embeddings.EmbeddingsUnavailable as exc:
        raise VectorsUnavailable(str(exc)) from exc
    scores = matrix.vectors @ query_vector.astype("<f4", copy=False)
    count = min(limit, len(scores))
    best = np.argpartition(-scores, count - 1)[:count]
    best = best[np.lexsort((matrix.ids[best], -scores[best]))]  # by score, then chunk id: a stable order
    return Nearest([(int(matrix.ids[index]), float(scores[index])) for index in best], matrix.ids, scores)


def embed_on_commit(document_id: str) -> None:
    """Queue the document's vectors once the transaction that made its chunks commits (nothing when switched off)."""
    from common.tasking import enqueue_on_commit
    from documents import tasks

    if settings.EMBEDDINGS_ENABLED:
        enqueue_on_commit(tasks.embed_document, document_id)
