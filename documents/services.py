"""Writes on documents: storing uploads, processing them into text and chunks, indexing the chunks for search,
crawling a bot's website, deleting documents with their stored originals.

A document's life: PENDING (stored, queued) → PROCESSING (claimed by one worker) → READY (text, chunks, index) or
FAILED (with the reason). Crawled pages go straight to READY: they are text already.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Now
from django.utils import timezone

from accounts.models import User
from bots.models import Bot, RagSourceType
from bots.services import bot_create, bot_lock, bot_lock_shared
from common.errors import NotFoundError, ServiceError
from common.tasking import enqueue_on_commit
from documents import tasks, vectors
from documents.chunking import Chunker, chunk_text, word_count
from documents.crawl import CrawlError, CrawlLimits, Page, crawl
from documents.extract import (
    KINDS,
    ExtractionError,
    TextStream,
    UnfinishedPart,
    html_to_text,
    media_type,
    normalize_text,
    open_text,
)
from documents.models import Document, DocumentChunk, DocumentStatus
from documents.search import search_config
from documents.uploads import check_upload

logger = logging.getLogger(__name__)

_KIND_OF_MEDIA_TYPE = {media_type(kind): kind for kind in KINDS}


def bot_storage_path(bot: Bot) -> str:
    """Where a bot's originals live in storage, as in the original app: ``uploads/<bot uuid>/``."""
    return f"uploads/{bot.uuid}"


def _on_commit_process(document_ids: Iterable[str]) -> None:
    """Queue the processing of each document once the transaction commits (common.tasking)."""
    for document_id in document_ids:
        enqueue_on_commit(tasks.process_document, document_id)


# --- Uploads -----------------------------------------------------------------------------------------------------


@transaction.atomic
def bot_create_with_files(*, owner: User, data: dict[str, Any], files: Iterable[UploadedFile], base_url: str) -> Bot:
    """Create a bot (``bots.services.bot_create``) with its uploaded files as its first documents, in one
    transaction: a file refused (413, 415) leaves neither the bot nor any file."""
    bot = bot_create(owner=owner, data=data, base_url=base_url)
    files = list(files)
    if files:
        documents_store_uploads(bot=bot, files=files)
        bot.refresh_from_db()
    return bot


def documents_store_uploads(*, bot: Bot, files: Iterable[UploadedFile]) -> list[Document]:
    """Check every file first (413, 415: then nothing is stored), store the originals under ``uploads/<bot uuid>/``
    (the storage streams them chunk by chunk and gives a taken name a suffix), record them as PENDING documents,
    and queue their processing for after the commit.

    The bot's row is locked first, as ``bot_delete`` locks it: an upload racing its bot's delete either finds the
    bot gone (404, nothing stored) or commits first, and the delete then sees its rows and removes its files. If
    the rows do not commit (an error here, or the commit itself failing), the files stored for them are removed:
    a stored original always has its row. (Inside a caller's transaction, a failure after this returns is that
    caller's to clean up; a process killed in between leaves files that ``stored_files_remove_orphans`` finds.)"""
    checked = [check_upload(upload) for upload in files]
    documents: list[Document] = []
    saved: list[str] = []
    committed: list[bool] = []
    try:
        with transaction.atomic():
            bot = bot_lock(bot=bot)
            for item in checked:
                path = default_storage.save(f"{bot_storage_path(bot)}/{item.name}", item.upload)
                saved.append(path)
                documents.append(
                    Document.objects.create(
                        bot=bot,
                        name=path.rsplit("/", 1)[-1],
                        type=media_type(item.kind),
                        size=item.upload.size,
                        file_path=path,
                    )
                )
            bot_document_counters_refresh(bot=bot)
            # First of the commit's callbacks: whatever happens in the later ones (processing, when tasks run
            # inline), the rows are in and their files must stay.
            transaction.on_commit(lambda: committed.append(True))
            _on_commit_process([document.id for document in documents])
    except BaseException:
        if not committed:
            _delete_stored_files(saved)  # the rows rolled back (or never committed): no file without its row
        raise
    return documents


def documents_upload(*, bot: Bot, files: list[UploadedFile]) -> list[Document]:
    """What an owner's upload must satisfy, for the API's file route and the dashboard alike: the bot's knowledge
    base is on and at least one file came; then ``documents_store_uploads`` (413, 415: nothing stored)."""
    if not bot.rag_enabled:
        raise ServiceError("Bot not found or RAG not enabled")
    if not files:
        raise ServiceError("No files provided")
    documents = documents_store_uploads(bot=bot, files=files)
    if not documents:
        raise ServiceError("No files could be processed")
    return documents


# --- Processing ----------------------------------------------------------------------------------------------------


# A document whose processing was started this many times without finishing (its worker killed each time: out of
# memory on a hostile file, say) is FAILED instead of being tried again.
MAX_PROCESSING_ATTEMPTS = 3


def document_claim(*, document_id: str) -> bool:
    """PENDING → PROCESSING in one conditional UPDATE: one worker processes a document."""
    return (
        Document.objects.filter(pk=document_id, status=DocumentStatus.PENDING).update(
            status=DocumentStatus.PROCESSING,
            error=None,
            processing_started_at=Now(),
            processing_attempts=F("processing_attempts") + 1,
        )
        == 1
    )


def documents_recover_stuck(*, now: datetime.datetime | None = None) -> int:
    """Beat: documents that a lost worker left behind. PROCESSING for longer than DOCUMENT_PROCESSING_STUCK_MINUTES
    (the task's time limit is far shorter: its worker was killed, ran out of memory, or its machine went away) goes
    back to PENDING and is queued again, or FAILED once it has been tried MAX_PROCESSING_ATTEMPTS times; PENDING for
    that long (its task was lost with a broker, or never queued) is queued again. Queueing twice is harmless: one
    worker claims a document. Returns how many were queued."""
    cutoff = (now or timezone.now()) - datetime.timedelta(minutes=settings.DOCUMENT_PROCESSING_STUCK_MINUTES)
    stuck = _processing_since_before(cutoff)
    with transaction.atomic():
        hopeless = list(
            stuck.filter(processing_attempts__gte=MAX_PROCESSING_ATTEMPTS)
            .select_for_update(skip_locked=True)
            .values_list("pk", "bot_id")
        )
        Document.objects.filter(pk__in=[pk for pk, _ in hopeless]).update(
            status=DocumentStatus.FAILED,
            error=f"Processing did not finish after {MAX_PROCESSING_ATTEMPTS} attempts: the file may be too large "
            "or too complex to read",
            processed_at=None,
        )
        for bot in Bot.objects.filter(pk__in={bot_id for _, bot_id in hopeless}):
            bot_document_counters_refresh(bot=bot)
    with transaction.atomic():
        retried = list(stuck.select_for_update(skip_locked=True).values_list("pk", flat=True))
        Document.objects.filter(pk__in=retried).update(status=DocumentStatus.PENDING)
        lost = list(_pending_since_before(cutoff).exclude(pk__in=retried).values_list("pk", flat=True))
        _on_commit_process(retried + lost)
    if hopeless or retried or lost:
        logger.warning(
            "Documents recovered: %d queued again after a lost worker, %d queued again after a lost task, %d FAILED",
            len(retried),
            len(lost),
            len(hopeless),
        )
    return len(retried) + len(lost)


def _processing_since_before(cutoff: datetime.datetime) -> QuerySet[Document]:
    # Both read the partial index of unfinished documents (documents_unfinished_idx).
    return Document.objects.filter(status=DocumentStatus.PROCESSING, processing_started_at__lt=cutoff)


def _pending_since_before(cutoff: datetime.datetime) -> QuerySet[Document]:
    return Document.objects.filter(status=DocumentStatus.PENDING, uploaded_at__lt=cutoff, file_path__isnull=False)


def document_process(*, document_id: str) -> None:
    """Extract the stored original's text and index it; FAILED with the reason when the file cannot be read."""
    # Not the text and chunks of an earlier attempt (megabytes, replaced here).
    document = Document.objects.select_related("bot").defer("content", "chunks").filter(pk=document_id).first()
    if document is None or document.status != DocumentStatus.PROCESSING:
        return
    kind = _KIND_OF_MEDIA_TYPE.get(document.type)
    if kind is None or not document.file_path:
        document_fail(document_id=document_id, reason="The file type is not supported")
        return
    try:
        with default_storage.open(document.file_path, "rb") as original, open_text(original, kind) as stream:
            if _ingest(document, stream):
                bot_document_counters_refresh(bot=document.bot)
    except ExtractionError as exc:
        document_fail(document_id=document_id, reason=exc.reason)
    except (FileNotFoundError, OSError):
        document_fail(document_id=document_id, reason="The stored file is missing")


# Chunk rows per INSERT. Small enough that the database starts on a PDF's first pages while the next are read, and
# that a batch (its chunks and their binary parameter) is a few dozen kilobytes.
CHUNK_BATCH = 32
# Characters of a document's text kept in this process before they are sent to the database (a temporary table),
# while it is read: a few pages of a PDF, one part of a text file.
TEXT_FLUSH_CHARS = 64 * 1024


def _locked_for_indexing(document: Document) -> bool:
    """Lock for writing a document's text and chunks, in ``bot_lock``'s order: its bot ``FOR KEY SHARE``, then the
    document. False when either was deleted meanwhile."""
    return bot_lock_shared(bot_id=document.bot_id) and (
        Document.objects.select_for_update().filter(pk=document.pk).exists()
    )


@transaction.atomic
def _ingest(document: Document, stream: TextStream) -> bool:
    """Read, chunk and store a document, page by page (a text file: part by part), in memory that does not grow
    with the document: each part of its text is chunked as it comes, its chunks are written in batches of
    ``CHUNK_BATCH`` rows, and the text itself goes to the database a few pages at a time (``_StreamedText``); the
    ``content`` and ``chunks`` columns are then built by PostgreSQL from what it holds. On PostgreSQL the statements
    are sent in pipeline mode: the INSERT (and the full-text vectors it computes) runs on the database's core while
    this one reads the next pages, so storing costs little more than reading (bench/ingest.py measures it; the
    worker's memory: bench/memory.py). False when the document (or its bot) was deleted meanwhile.

    Locks: the bot ``FOR KEY SHARE`` first (``bot_lock``'s order: edits of the bot go on, its delete waits for
    this), then the document. The bot's counters are refreshed by the caller after the commit, not here: an update
    of the bot's row inside this long transaction would wait behind a document delete that waits for this one."""
    if not _locked_for_indexing(document):
        return False
    DocumentChunk.objects.filter(document=document).delete()
    chunker = Chunker(size=settings.CHUNK_SIZE, overlap=settings.CHUNK_OVERLAP)
    config = search_config(document.bot.language)
    position = 0  # of the next chunk
    with _pipeline() as pipeline:
        _foreign_keys_checked_per_statement(True)
        text = _StreamedText(document, pipeline)
        batch: list[str] = []
        for part in stream.texts:
            text.add(part)
            batch += chunker.feed(part, paragraph_continues=isinstance(part, UnfinishedPart))
            while len(batch) >= CHUNK_BATCH:
                _insert_chunks(document, batch[:CHUNK_BATCH], first_position=position, config=config)
                pipeline.sent(sum(map(len, batch[:CHUNK_BATCH])))
                position += CHUNK_BATCH
                del batch[:CHUNK_BATCH]
        batch += chunker.finish()
        _insert_chunks(document, batch, first_position=position, config=config)
        _foreign_keys_checked_per_statement(False)
        if text.length:
            text.store(pages=stream.pages)
    if not text.length:
        raise ExtractionError(stream.empty_reason)  # rolls back: nothing of the document is kept
    _mark_ready(document, words=text.words)
    return True


class _StreamedText:
    """A document's text (its parts joined as ``extract.joined`` joins them) written as it is read: hashed
    and its words counted part by part, the parts sent every ``TEXT_FLUSH_CHARS`` to a temporary table on
    PostgreSQL (dropped at the end, and at the commit in any case), from which ``store`` writes ``content`` in one
    statement, and ``chunks`` from the chunk rows written meanwhile: neither the whole text nor the list of chunks
    is ever in this process. SQLite (the quick start, small files) keeps the parts in memory and joins them."""

    def __init__(self, document: Document, pipeline: _Pipeline) -> None:
        self.document = document
        self._pipeline = pipeline
        self.length = 0
        self.words = 0
        self._separator = ""  # between the last part added and the next (extract.joined)
        self._hash = hashlib.sha256()
        self._pending: list[str] = []
        self._pending_chars = 0
        self._sent = 0  # parts sent to the temporary table
        self._postgresql = connection.vendor == "postgresql"
        if self._postgresql:
            with psycopg.Cursor(connection.connection) as cursor:
                cursor.execute(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS document_text_parts (position integer, part text) "
                    "ON COMMIT DROP"
                )

    def add(self, part: str) -> None:
        separator, self._separator = self._separator, "\n" if isinstance(part, UnfinishedPart) else "\n\n"
        if self.length:
            part = separator + part  # stored with the part: the parts are concatenated at the end
        self._hash.update(part.encode())
        self.length += len(part)
        self.words += word_count(part)  # whitespace separates the parts: their words are the text's
        self._pending.append(part)
        self._pending_chars += len(part)
        if self._postgresql and self._pending_chars >= TEXT_FLUSH_CHARS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                "INSERT INTO document_text_parts SELECT %s + ordinality, part "
                "FROM unnest(%b::text[]) WITH ORDINALITY AS parts(part, ordinality)",
                [self._sent, self._pending],
            )
        self._sent += len(self._pending)
        self._pipeline.sent(self._pending_chars)
        self._pending, self._pending_chars = [], 0

    def store(self, *, pages: int | None) -> None:
        """Write ``content``, ``chunks`` (the chunk rows' texts in order), ``pages`` and ``contentHash``."""
        content_hash = self._hash.hexdigest()
        if not self._postgresql:
            chunks = list(
                DocumentChunk.objects.filter(document=self.document)
                .order_by("position")
                .values_list("content", flat=True)
            )
            text = "".join(self._pending)
            Document.objects.filter(pk=self.document.pk).update(
                content=text, chunks=chunks, pages=pages, content_hash=content_hash
            )
            return
        self._flush()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                "UPDATE documents SET content = "
                "(SELECT string_agg(part, '' ORDER BY position) FROM document_text_parts), "
                "chunks = (SELECT coalesce(jsonb_agg(content ORDER BY position), '[]') FROM document_chunks "
                'WHERE "documentId" = %s), pages = %s, "contentHash" = %s WHERE id = %s',
                [self.document.pk, pages, content_hash, self.document.pk],
            )
            cursor.execute("DROP TABLE document_text_parts")


# Characters sent in pipeline mode before waiting for the database to catch up (see _Pipeline).
PIPELINE_SYNC_CHARS = 512 * 1024


class _Pipeline:
    """The statements of one ingestion in flight. In pipeline mode psycopg keeps each statement's parameters until
    the database has answered it, and a worker that reads faster than the database indexes (to_tsvector is slow)
    would be limited only by the sockets' buffers, megabytes each way: every ``PIPELINE_SYNC_CHARS`` sent, it waits
    for the database to catch up (which it would do at the end anyway)."""

    def __init__(self, pipeline: Any) -> None:
        self._pipeline = pipeline
        self._unsynced = 0

    def sent(self, chars: int) -> None:
        self._unsynced += chars
        if self._pipeline is not None and self._unsynced >= PIPELINE_SYNC_CHARS:
            self._pipeline.sync()
            self._unsynced = 0


@contextmanager
def _pipeline() -> Iterator[_Pipeline]:
    """psycopg 3's pipeline mode on Django's connection (PostgreSQL): statements are sent without waiting for
    their results; errors surface when the block ends (or at a sync), inside the transaction, which then rolls
    back."""
    if connection.vendor != "postgresql":
        yield _Pipeline(None)
        return
    connection.ensure_connection()
    with connection.connection.pipeline() as pipeline:
        yield _Pipeline(pipeline)


def _foreign_keys_checked_per_statement(immediate: bool) -> None:
    """Django declares foreign keys DEFERRABLE INITIALLY DEFERRED: the two checks of every chunk row (its document,
    its bot) would wait for the COMMIT, a thousand lookups run after the last page was read (7-10 ms on
    bench/ingest.py's PDF, a tenth of that when checked per statement). Checked as each batch goes in, they run on
    the database's core while this one reads the next pages. Deferred again afterwards, as the rest of the
    transaction (and a test's transaction around it) expects: every deferrable constraint of the schema is a
    foreign key declared initially deferred. PostgreSQL only; sent without waiting, in pipeline mode."""
    if connection.vendor != "postgresql":
        return
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(f"SET CONSTRAINTS ALL {'IMMEDIATE' if immediate else 'DEFERRED'}")


def _insert_chunks(document: Document, chunks: list[str], *, first_position: int, config: str) -> None:
    if not chunks:
        return
    if connection.vendor != "postgresql":
        DocumentChunk.objects.bulk_create(
            [
                DocumentChunk(
                    document_id=document.pk, bot_id=document.bot_id, position=first_position + offset, content=c
                )
                for offset, c in enumerate(chunks)
            ]
        )
        return
    # One statement per batch; the vectors are computed by PostgreSQL as the rows go in (no second pass). The
    # driver's own cursor: in pipeline mode it returns at once, before the database has done the work. And one that
    # binds on the server: the chunks travel as a parameter, not escaped into the SQL text (Django's cursors bind
    # on the client), and in binary (%b: no array quoting), a quarter of the cost (bench/ingest.py, against raw
    # pypdf; bulk_create is what SQLite gets).
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            'INSERT INTO document_chunks ("documentId", "botId", "position", "content", "searchVector") '
            "SELECT %s, %s, %s + ordinality - 1, chunk, to_tsvector(%s::regconfig, chunk) "
            "FROM unnest(%b::text[]) WITH ORDINALITY AS chunks(chunk, ordinality)",
            [document.pk, document.bot_id, first_position, config, chunks],
        )


def _store_text(document: Document, *, text: str, chunks: list[str], pages: int | None) -> None:
    """The document's text and chunks (the ``documents`` columns; the searchable rows are ``_insert_chunks``')."""
    values = {"content": text, "chunks": chunks, "pages": pages, "content_hash": text_hash(text)}
    if connection.vendor != "postgresql":
        Document.objects.filter(pk=document.pk).update(**values)
        return
    # A megabyte or more: bound on the server, not escaped into the SQL text as Django's cursors would. The chunks
    # go as a binary text[] that the database turns into the JSON array: no JSON to write here and parse there
    # (7 → 4 ms on bench/ingest.py's PDF).
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            'UPDATE documents SET content = %s, chunks = to_jsonb(%b::text[]), pages = %s, "contentHash" = %s '
            "WHERE id = %s",
            [text, chunks, pages, values["content_hash"], document.pk],
        )


def _mark_ready(document: Document, *, words: int) -> None:
    """READY with new chunks: their sentence vectors are computed after the commit (documents.vectors); the mark of
    the old ones goes now."""
    Document.objects.filter(pk=document.pk).update(
        word_count=words,
        status=DocumentStatus.READY,
        error=None,
        processed_at=Now(),
        embedding_model=None,
        embedded_at=None,
    )
    vectors.embed_on_commit(document.pk)


def document_fail(*, document_id: str, reason: str) -> None:
    Document.objects.filter(pk=document_id).update(status=DocumentStatus.FAILED, error=reason[:2000], processed_at=None)
    logger.info("Document %s FAILED: %s", document_id, reason)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def document_index_text(*, document: Document, text: str, pages: int | None = None) -> bool:
    """Store ``text`` (already extracted: a crawled page, say) as the document's content, cut it into chunks and
    index them: READY. False when the document (or its bot) was deleted meanwhile. Locks as ``_ingest`` does."""
    with transaction.atomic():
        if not _locked_for_indexing(document):
            return False
        chunks = chunk_text(text, size=settings.CHUNK_SIZE, overlap=settings.CHUNK_OVERLAP)
        DocumentChunk.objects.filter(document=document).delete()
        _insert_chunks(document, chunks, first_position=0, config=search_config(document.bot.language))
        _store_text(document, text=text, chunks=chunks, pages=pages)
        _mark_ready(document, words=word_count(text))
    bot_document_counters_refresh(bot=document.bot)
    return True


def chunks_index(*, chunks, language: str) -> None:
    """Write the full-text vectors of ``chunks`` in the bot's language (PostgreSQL only)."""
    if connection.vendor == "postgresql":
        chunks.update(search_vector=SearchVector("content", config=search_config(language)))


def bot_reindex(*, bot: Bot) -> None:
    """After the bot's language changed: its chunks are re-indexed with the new language's stemming."""
    chunks_index(chunks=DocumentChunk.objects.filter(bot=bot), language=bot.language)


@transaction.atomic
def document_reprocess(*, document: Document) -> None:
    """Process a FAILED upload again (after the owner fixed a setting, say)."""
    if document.status != DocumentStatus.FAILED or not document.file_path:
        raise ServiceError("Only a failed upload can be processed again")
    # The owner asks again: the attempts of a worker that died on it before count no more.
    Document.objects.filter(pk=document.pk).update(status=DocumentStatus.PENDING, error=None, processing_attempts=0)
    _on_commit_process([document.pk])


def bot_document_counters_refresh(*, bot: Bot) -> None:
    """Set the bot's ``documentsProcessed`` and ``localFilesStored`` from what the database holds (counted, never
    incremented, so they cannot drift)."""
    counts = Document.objects.filter(bot=bot).aggregate(
        processed=Count("id", filter=Q(status=DocumentStatus.READY)),
        stored=Count("id", filter=Q(file_path__isnull=False)),
    )
    Bot.objects.filter(pk=bot.pk).update(
        documents_processed=counts["processed"],
        local_files_stored=counts["stored"],
        local_storage_path=bot_storage_path(bot) if counts["stored"] else None,
    )


# --- Deleting --------------------------------------------------------------------------------------------------------


@transaction.atomic
def document_delete(*, document: Document) -> None:
    """Delete a document, its chunks and (after commit) its stored original. The bot is locked first (404 when it
    was deleted meanwhile), in ``bot_lock``'s order."""
    bot = bot_lock(bot=document.bot)
    if document.file_path:
        path = document.file_path
        transaction.on_commit(lambda: _delete_stored_files([path]), robust=True)
    document.delete()
    bot_document_counters_refresh(bot=bot)


def stored_files_delete_on_commit(*, owner: User | None = None, bot: Bot | None = None) -> None:
    """Delete the stored originals of the documents of ``owner``'s bots (or of ``bot``) once the surrounding
    transaction commits, so a rollback never leaves rows whose files are gone. Call it before deleting rows."""
    documents = Document.objects.filter(bot__user=owner) if owner is not None else Document.objects.filter(bot=bot)
    paths = [path for path in documents.values_list("file_path", flat=True).iterator() if path]
    if paths:
        transaction.on_commit(lambda: _delete_stored_files(paths), robust=True)


# A stored file younger than this may belong to an upload whose rows have not committed yet.
ORPHAN_GRACE = datetime.timedelta(hours=1)


def stored_files_remove_orphans(*, now: datetime.datetime | None = None) -> int:
    """Beat: delete stored originals under ``uploads/`` that no document names, once older than ``ORPHAN_GRACE``.
    Uploads and deletes never leave one behind; a process killed between storing a file and committing its row
    (a worker timeout, a restart) can, on local disk or in Azure Blob alike. One bot folder at a time, with one
    query per folder. Returns how many files were deleted."""
    cutoff = (now or timezone.now()) - ORPHAN_GRACE
    removed = 0
    for folder, paths in itertools.groupby(_stored_files("uploads"), key=lambda path: path.rsplit("/", 1)[0] + "/"):
        known = set(Document.objects.filter(file_path__startswith=folder).values_list("file_path", flat=True))
        for path in paths:
            if path in known or default_storage.get_modified_time(path) > cutoff:
                continue
            _delete_stored_files([path])
            removed += 1
    if removed:
        logger.warning("Deleted %d stored files that no document named", removed)
    return removed


def _stored_files(prefix: str) -> Iterator[str]:
    """The full name of every stored file under ``prefix``, folder by folder. Storages list differently: Django's
    FileSystemStorage one folder level at a time, names relative to it; django-storages' AzureStorage every blob
    under the prefix at once, by full name, with no folders."""
    try:
        folders, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return  # nothing was ever stored there
    for name in sorted(files):
        yield name if name.startswith(prefix + "/") else f"{prefix}/{name}"
    for folder in sorted(folders):
        yield from _stored_files(f"{prefix}/{folder}")


def _delete_stored_files(paths: list[str]) -> None:
    for path in paths:
        try:
            default_storage.delete(path)
        except OSError:
            logger.warning("Could not delete the stored file %s", path)


# --- Websites --------------------------------------------------------------------------------------------------------


@dataclass
class SyncResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    error: str | None = None
    pages: list[str] = field(default_factory=list)


def page_text(page: Page) -> str:
    """The readable text of a crawled page (the title first, for HTML), decoded with the charset the crawler
    found (header, then ``<meta charset>``)."""
    raw = page.body.decode(page.encoding, errors="replace")
    if page.content_type == "text/plain":
        return normalize_text(raw)
    title, text = html_to_text(raw)
    return f"{title}\n\n{text}" if title and not text.startswith(title) else text


def bot_website_sync(*, bot_id: str) -> SyncResult:
    """Crawl the bot's website (ragSourceType URL) and bring its pages up to date: a page whose text changed is
    re-indexed, an unchanged one is left alone (content hash), a page that is gone is removed. A crawl that cannot
    start (bad URL, unsafe address, robots.txt) changes nothing and records why on the bot."""
    bot = Bot.objects.filter(pk=bot_id).first()
    result = SyncResult()
    if bot is None or not (bot.rag_enabled and bot.rag_source_type == RagSourceType.URL and bot.rag_url):
        return result
    limits = CrawlLimits(
        max_pages=settings.CRAWL_MAX_PAGES,
        max_depth=settings.CRAWL_MAX_DEPTH,
        max_bytes=settings.CRAWL_MAX_PAGE_BYTES,
        timeout=settings.CRAWL_TIMEOUT,
    )
    started = time.monotonic()
    try:
        for page in crawl(bot.rag_url, limits=limits, allow_loopback=settings.CRAWL_ALLOW_LOOPBACK):
            text = page_text(page)
            if not text.strip():
                continue
            result.pages.append(page.url)
            outcome = document_upsert_page(bot=bot, page=page, text=text)
            if outcome == "bot gone":
                return result  # deleted while its site was read: nothing more to keep
            setattr(result, outcome, getattr(result, outcome) + 1)
    except CrawlError as exc:
        result.error = exc.reason
        Bot.objects.filter(pk=bot.pk).update(knowledge_sync_error=exc.reason, knowledge_synced_at=Now())
        return result
    # A crawl stopped by its page or time limit did not see the whole site: then nothing is removed.
    complete = len(result.pages) < limits.max_pages and time.monotonic() - started < limits.total_timeout * 0.9
    with transaction.atomic():
        try:
            bot_lock(bot=bot)
        except NotFoundError:
            return result  # deleted while its site was read
        if complete:
            gone = Document.objects.filter(bot=bot, source_url__isnull=False).exclude(source_url__in=result.pages)
            result.removed = gone.count()
            gone.delete()
        bot_document_counters_refresh(bot=bot)
        Bot.objects.filter(pk=bot.pk).update(knowledge_sync_error=None, knowledge_synced_at=Now())
    logger.info("Website of bot %s synced: %s", bot.pk, result)
    return result


@transaction.atomic
def document_upsert_page(*, bot: Bot, page: Page, text: str) -> str:
    """ "added", "updated", "unchanged" or "bot gone". One transaction: a crawl that dies while it indexes a page
    (its worker killed) leaves the page as it was, never PROCESSING with no one at work on it (the sweeper takes up
    uploads only: a page has no stored original to process again). The bot is locked first, in ``bot_lock``'s order
    (one page's work is short; a document delete or a bot edit waits for it)."""
    try:
        bot_lock(bot=bot)
    except NotFoundError:
        return "bot gone"
    existing = Document.objects.filter(bot=bot, source_url=page.url).first()
    if existing is not None and existing.content_hash == text_hash(text) and existing.status == DocumentStatus.READY:
        return "unchanged"
    values = {"name": page.url, "type": page.content_type, "size": len(page.body), "status": DocumentStatus.PROCESSING}
    if existing is None:
        document = Document.objects.create(bot=bot, source_url=page.url, **values)
    else:
        Document.objects.filter(pk=existing.pk).update(**values)
        document = existing
    document.bot = bot
    document_index_text(document=document, text=text)
    return "added" if existing is None else "updated"


@transaction.atomic
def bot_website_sync_request(*, bot: Bot) -> None:
    """Queue a crawl of the bot's website (after commit)."""
    if not (bot.rag_enabled and bot.rag_source_type == RagSourceType.URL and bot.rag_url):
        raise ServiceError("This bot's knowledge base is not a website")
    enqueue_on_commit(tasks.sync_bot_website, bot.pk)
