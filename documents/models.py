"""Knowledge-base documents of a bot: uploaded files (and, later, crawled pages), their text and chunks.

Table ``documents`` with the original's camelCase columns. ``chunks`` is a JSON list of strings (Prisma had a
``String[]``), so that the SQLite quick start works too.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from accounts.ids import cuid


class Document(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=cuid, editable=False)
    bot = models.ForeignKey("bots.Bot", on_delete=models.CASCADE, related_name="documents", db_column="botId")
    name = models.CharField(max_length=2048)
    type = models.CharField(max_length=255, help_text="Media type of the original, e.g. application/pdf.")
    size = models.IntegerField(help_text="Size of the original in bytes.")
    content = models.TextField(null=True, blank=True, help_text="Extracted text.")
    chunks = models.JSONField(default=list, blank=True, help_text="Text chunks used for retrieval.")
    pages = models.IntegerField(null=True, blank=True)
    word_count = models.IntegerField(null=True, blank=True, db_column="wordCount")
    file_path = models.CharField(max_length=1024, null=True, blank=True, db_column="filePath")
    uploaded_at = models.DateTimeField(default=timezone.now, db_default=Now(), db_column="uploadedAt")
    processed_at = models.DateTimeField(null=True, blank=True, db_column="processedAt")

    class Meta:
        db_table = "documents"
        # documents(botId) is the foreign key's own index.
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gte=0), name="documents_size_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name
