"""Voice bots: what a user configures, and the VAPI assistant it becomes.

Enums are stored upper case as in the original (Prisma) schema; the API sends them in the legacy contract's
lower case. Columns keep the original's camelCase names in table ``bots``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from common.ids import cuid


class Position(models.TextChoices):
    LEFT = "LEFT", "Left"
    RIGHT = "RIGHT", "Right"


class Theme(models.TextChoices):
    LIGHT = "LIGHT", "Light"
    DARK = "DARK", "Dark"


class RagSourceType(models.TextChoices):
    FILES = "FILES", "Files"
    URL = "URL", "Website URL"


class BotStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    ACTIVATING = "ACTIVATING", "Activating"
    ACTIVE = "ACTIVE", "Active"
    FAILED = "FAILED", "Failed"


def new_bot_uuid() -> str:
    """The bot's public identifier (embed codes, widget, API paths): a random UUID4 string."""
    return str(uuid.uuid4())


class Bot(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=cuid, editable=False)
    uuid = models.CharField(
        max_length=36, unique=True, default=new_bot_uuid, editable=False, help_text="Public id used in embed codes."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bots", db_column="userId"
    )
    name = models.CharField(max_length=255)
    welcome_message = models.TextField(db_column="welcomeMessage")
    system_prompt = models.TextField(db_column="systemPrompt")
    language = models.CharField(max_length=16, default="en", db_default="en")
    voice = models.CharField(max_length=64, default="jennifer", db_default="jennifer")
    position = models.CharField(
        max_length=5, choices=Position.choices, default=Position.RIGHT, db_default=Position.RIGHT
    )
    theme = models.CharField(max_length=5, choices=Theme.choices, default=Theme.LIGHT, db_default=Theme.LIGHT)
    rag_enabled = models.BooleanField("RAG enabled", default=False, db_default=False, db_column="ragEnabled")
    rag_source_type = models.CharField(
        "RAG source", max_length=5, choices=RagSourceType.choices, null=True, blank=True, db_column="ragSourceType"
    )
    rag_url = models.URLField("RAG URL", max_length=2048, null=True, blank=True, db_column="ragUrl")
    status = models.CharField(
        max_length=10, choices=BotStatus.choices, default=BotStatus.PENDING, db_default=BotStatus.PENDING
    )
    embed_code = models.TextField(db_column="embedCode")
    documents_processed = models.IntegerField(default=0, db_default=0, db_column="documentsProcessed")
    vapi_assistant_id = models.CharField(
        "VAPI assistant id", max_length=100, unique=True, null=True, blank=True, db_column="vapiAssistantId"
    )
    vapi_knowledge_base_id = models.CharField(
        "VAPI knowledge base id", max_length=100, null=True, blank=True, db_column="vapiKnowledgeBaseId"
    )
    local_files_stored = models.IntegerField(default=0, db_default=0, db_column="localFilesStored")
    local_storage_path = models.CharField(max_length=1024, null=True, blank=True, db_column="localStoragePath")
    activation_scheduled_at = models.DateTimeField(default=timezone.now, db_column="activationScheduledAt")
    activated_at = models.DateTimeField(null=True, blank=True, db_column="activatedAt")
    # Beyond the original schema: the activation lifecycle's own record.
    activation_started_at = models.DateTimeField(
        null=True, blank=True, db_column="activationStartedAt", help_text="When the current or last attempt began."
    )
    activation_attempts = models.IntegerField(default=0, db_default=0, db_column="activationAttempts")
    activation_error = models.TextField(
        null=True, blank=True, db_column="activationError", help_text="Why the bot is FAILED."
    )
    knowledge_synced_at = models.DateTimeField(
        null=True, blank=True, db_column="knowledgeSyncedAt", help_text="When the website was last crawled."
    )
    knowledge_sync_error = models.TextField(
        null=True, blank=True, db_column="knowledgeSyncError", help_text="Why the last website crawl failed."
    )
    vapi_sync_error = models.TextField(
        "VAPI sync error",
        null=True,
        blank=True,
        db_column="vapiSyncError",
        help_text="Why the last change could not be sent to the VAPI assistant (the bot stays ACTIVE).",
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False, db_column="createdAt")
    updated_at = models.DateTimeField(auto_now=True, db_column="updatedAt")

    class Meta:
        db_table = "bots"
        indexes = [
            # bots(userId) is the foreign key's own index; bots(uuid) is the unique constraint's.
            models.Index(fields=["status"], name="bots_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(position__in=Position.values), name="bots_position_valid"),
            models.CheckConstraint(condition=models.Q(theme__in=Theme.values), name="bots_theme_valid"),
            models.CheckConstraint(condition=models.Q(status__in=BotStatus.values), name="bots_status_valid"),
            models.CheckConstraint(
                condition=models.Q(rag_source_type__isnull=True) | models.Q(rag_source_type__in=RagSourceType.values),
                name="bots_rag_source_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(documents_processed__gte=0, local_files_stored__gte=0, activation_attempts__gte=0),
                name="bots_counters_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name
