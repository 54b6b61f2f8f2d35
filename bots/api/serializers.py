"""Bot serializers: one per direction (STYLE.md 4), in the legacy contract's camelCase and lower-case enums."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers

from bots.models import Bot, BotStatus, Position, RagSourceType, Theme
from bots.vapi import VOICE_IDS

LANGUAGE_CODE = RegexValidator(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", "Enter a language code such as en, es or pt-BR.")


class LowerCaseChoiceField(serializers.ChoiceField):
    """A TextChoices enum stored upper case (LEFT) and sent lower case (left); either case is accepted."""

    def __init__(self, enum, **kwargs) -> None:
        self.enum = enum
        super().__init__(choices=[value.lower() for value in enum.values], **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, str):
            data = data.lower()
        return super().to_internal_value(data).upper()

    def to_representation(self, value: str | None) -> str | None:
        return value.lower() if value else value

    def get_default(self) -> Any:
        # DRF hands defaults over as they are, without to_internal_value: store them upper case too.
        value = super().get_default()
        return value.upper() if isinstance(value, str) else value


class BotInputSerializer(serializers.Serializer):
    """What an owner may set. ``validated_data`` holds model field names and stored values."""

    name = serializers.CharField(max_length=100)
    welcomeMessage = serializers.CharField(source="welcome_message", max_length=1000)
    systemPrompt = serializers.CharField(source="system_prompt", max_length=20000)
    language = serializers.CharField(max_length=16, default="en", validators=[LANGUAGE_CODE])
    voice = serializers.ChoiceField(choices=sorted(VOICE_IDS), default="jennifer")
    position = LowerCaseChoiceField(Position, default="right")
    theme = LowerCaseChoiceField(Theme, default="light")
    ragEnabled = serializers.BooleanField(source="rag_enabled", default=False)
    ragSourceType = LowerCaseChoiceField(RagSourceType, source="rag_source_type", default="files", allow_null=True)
    ragUrl = serializers.URLField(source="rag_url", max_length=2048, required=False, allow_null=True, allow_blank=True)
    activationScheduledAt = serializers.DateTimeField(source="activation_scheduled_at", required=False)

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("voice"), str):
            data = {**data, "voice": data["voice"].lower()}
        return super().to_internal_value(data)

    def validate_ragUrl(self, value: str | None) -> str | None:
        if not value:
            return None
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Enter an http or https URL.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current = {
            field: attrs.get(field, getattr(self.instance, field, None))
            for field in ("rag_enabled", "rag_source_type", "rag_url")
        }
        if current["rag_enabled"] and current["rag_source_type"] == RagSourceType.URL and not current["rag_url"]:
            raise serializers.ValidationError({"ragUrl": ["A website URL is needed when the knowledge base is a URL."]})
        return attrs


class LegacyCreateConfigSerializer(BotInputSerializer):
    """The ``config`` part of the legacy ``POST /api/bots/create``: the bot's name is ``botName`` there."""

    name = None
    botName = serializers.CharField(source="name", max_length=100)

    def to_internal_value(self, data):
        if isinstance(data, dict) and data.get("ragUrl") == "":
            data = {**data, "ragUrl": None}
        return super().to_internal_value(data)


class BotOutputSerializer(serializers.ModelSerializer):
    """A bot in full: the long form of the legacy ``GET /api/bots/list``."""

    status = LowerCaseChoiceField(BotStatus)
    vapiAssistantId = serializers.CharField(source="vapi_assistant_id")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    documentsProcessed = serializers.IntegerField(source="documents_processed")
    ragEnabled = serializers.BooleanField(source="rag_enabled")
    embedCode = serializers.CharField(source="embed_code")
    activationScheduledAt = serializers.DateTimeField(source="activation_scheduled_at")
    welcomeMessage = serializers.CharField(source="welcome_message")
    systemPrompt = serializers.CharField(source="system_prompt")
    position = LowerCaseChoiceField(Position)
    theme = LowerCaseChoiceField(Theme)
    ragSourceType = LowerCaseChoiceField(RagSourceType, source="rag_source_type", allow_null=True)
    ragUrl = serializers.CharField(source="rag_url", allow_null=True)
    localFilesStored = serializers.IntegerField(source="local_files_stored")
    activatedAt = serializers.DateTimeField(source="activated_at", allow_null=True)

    class Meta:
        model = Bot
        fields = (
            "uuid",
            "name",
            "status",
            "vapiAssistantId",
            "createdAt",
            "updatedAt",
            "documentsProcessed",
            "ragEnabled",
            "embedCode",
            "activationScheduledAt",
            "welcomeMessage",
            "systemPrompt",
            "language",
            "voice",
            "position",
            "theme",
            "ragSourceType",
            "ragUrl",
            "localFilesStored",
            "activatedAt",
        )
        read_only_fields = fields


class BotDetailSerializer(BotOutputSerializer):
    """The REST form: the long form plus the lifecycle's record."""

    activationError = serializers.CharField(source="activation_error", allow_null=True)
    activationAttempts = serializers.IntegerField(source="activation_attempts")
    vapiSyncError = serializers.CharField(source="vapi_sync_error", allow_null=True)

    class Meta(BotOutputSerializer.Meta):
        fields = (*BotOutputSerializer.Meta.fields, "activationError", "activationAttempts", "vapiSyncError")
        read_only_fields = fields


class BotSummarySerializer(serializers.ModelSerializer):
    """The short form of the legacy ``GET /api/bots/create``."""

    status = LowerCaseChoiceField(BotStatus)
    createdAt = serializers.DateTimeField(source="created_at")
    documentsCount = serializers.IntegerField(source="documents_processed")
    ragEnabled = serializers.BooleanField(source="rag_enabled")
    embedCode = serializers.CharField(source="embed_code")
    activationScheduledAt = serializers.DateTimeField(source="activation_scheduled_at")

    class Meta:
        model = Bot
        fields = (
            "uuid",
            "name",
            "status",
            "createdAt",
            "documentsCount",
            "ragEnabled",
            "embedCode",
            "activationScheduledAt",
        )
        read_only_fields = fields
