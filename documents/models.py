"""Knowledge-base documents of a bot: uploaded files and crawled web pages, their text, and the chunks that are
searched during calls.

Table ``documents`` keeps the original's camelCase columns; ``chunks`` is its JSON list of strings (Prisma had a
``String[]``; JSON so that the SQLite quick start works). The searchable copy of the chunks lives in
``document_chunks``, one row per chunk with a PostgreSQL ``tsvector`` under a GIN index.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from common.ids import cuid


class DocumentStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    PROCESSING = "PROCESSING", "Processing"
    READY = "READY", "Ready"
    FAILED = "FAILED", "Failed"


class Document(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=cuid, editable=False)
    bot = models.ForeignKey("bots.Bot", on_delete=models.CASCADE, related_name="documents", db_column="botId")
    name = models.CharField(max_length=2048, help_text="File name, or the URL of a crawled page.")
    type = models.CharField(max_length=255, help_text="Media type of the original, e.g. application/pdf.")
    size = models.IntegerField(help_text="Size of the original in bytes.")
    content = models.TextField(null=True, blank=True, help_text="Extracted text.")
    chunks = models.JSONField(default=list, blank=True, help_text="Text chunks used for retrieval.")
    pages = models.IntegerField(null=True, blank=True)
    word_count = models.IntegerField(null=True, blank=True, db_column="wordCount")
    file_path = models.CharField(max_length=1024, null=True, blank=True, db_column="filePath")
    uploaded_at = models.DateTimeField(default=timezone.now, db_default=Now(), db_column="uploadedAt")
    processed_at = models.DateTimeField(null=True, blank=True, db_column="processedAt")
    # Beyond the original schema: processing and crawling.
    status = models.CharField(
        max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING, db_default=DocumentStatus.PENDING
    )
    error = models.TextField(null=True, blank=True, help_text="Why processing FAILED.")
    source_url = models.URLField(
        "source URL", max_length=2048, null=True, blank=True, db_column="sourceUrl", help_text="Crawled pages only."
    )
    content_hash = models.CharField(
        max_length=64, null=True, blank=True, db_column="contentHash", help_text="SHA-256 of the extracted text."
    )
    processing_started_at = models.DateTimeField(
        null=True, blank=True, db_column="processingStartedAt", help_text="When the current or last attempt began."
    )
    processing_attempts = models.IntegerField(
        default=0, db_default=0, db_column="processingAttempts", help_text="Times a worker claimed it."
    )
    # Sentence vectors of its chunks (documents.vectors): which model made them, and when the last chunk got its
    # vector. Both empty while they are being computed (full-text search answers meanwhile), and again whenever the
    # chunks are replaced.
    embedding_model = models.CharField(
        max_length=200, null=True, blank=True, db_column="embeddingModel", help_text="Model of its chunks' vectors."
    )
    embedded_at = models.DateTimeField(
        null=True, blank=True, db_column="embeddedAt", help_text="When every chunk had its vector."
    )

    class Meta:
        db_table = "documents"
        # documents(botId) is the foreign key's own index.
        indexes = [
            models.Index(fields=["bot", "source_url"], name="documents_bot_sourceUrl_idx"),
            # The recovery sweeper's lookups every five minutes (services.documents_recover_stuck): only the few
            # documents not yet READY or FAILED are in it, however many the table holds.
            models.Index(
                fields=["status"],
                condition=models.Q(status__in=[DocumentStatus.PENDING, DocumentStatus.PROCESSING]),
                name="documents_unfinished_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gte=0), name="documents_size_not_negative"),
            models.CheckConstraint(condition=models.Q(status__in=DocumentStatus.values), name="documents_status_valid"),
            models.CheckConstraint(
                condition=models.Q(processing_attempts__gte=0), name="documents_processing_attempts_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DocumentChunk(models.Model):
    """One searchable chunk of a READY document. ``bot`` is repeated from the document so that a search, always
    scoped to one bot, reads one table. ``search_vector`` is written by the indexing service in the bot's language
    and is indexed with ``bot`` in one GIN index on PostgreSQL (migration 0008); on SQLite it stays empty and search
    falls back to substring matching."""

    id = models.BigAutoField(primary_key=True)
    # No index of its own: the unique (document, position) index serves every lookup by document, and one index
    # fewer is one write fewer per chunk (issue 16: 1.7 ms of a 534-chunk ingestion, and its disk).
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="search_chunks", db_column="documentId", db_index=False
    )
    bot = models.ForeignKey("bots.Bot", on_delete=models.CASCADE, related_name="search_chunks", db_column="botId")
    position = models.IntegerField(help_text="Order of the chunk in its document, from 0.")
    content = models.TextField()
    search_vector = SearchVectorField(null=True, db_column="searchVector")
    # The chunk's sentence vector: little-endian float32, unit length (documents.vectors). Empty until computed.
    embedding = models.BinaryField(null=True, blank=True)

    class Meta:
        db_table = "document_chunks"
        constraints = [
            models.UniqueConstraint(fields=["document", "position"], name="document_chunks_document_position_key"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.position}"
