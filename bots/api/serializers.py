"""Bot serializers: one per direction (STYLE.md 4), in the legacy contract's camelCase and lower-case enums.

Input fields take the JSON types the schema states and no other: DRF's own fields read ``5`` as the text "5" and
``1`` or ``"yes"`` as true, which the schema (``type: string``, ``type: boolean``) does not allow; what the schema
refuses, the API refuses too (400).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator, URLValidator
from rest_framework import serializers

from bots.languages import language_choices
from bots.models import Bot, BotStatus, Position, RagSourceType, Theme
from bots.vapi import VOICE_IDS
from common.inputs import StrictBooleanField, TextField, URLTextField
from common.serializers import FastListSerializer, FastOutputMixin


class LanguageField(serializers.ChoiceField):
    """A language the configured transcriber takes, spelled as VAPI spells it (``bots.languages``): any other code
    would be accepted here and refused by VAPI at activation, leaving the bot FAILED. Text only."""

    context_free_output = True

    def __init__(self, **kwargs) -> None:
        choices = language_choices()
        codes = ", ".join(code for code, _ in choices)
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": f'"{{input}}" is not a supported language. Use one of: {codes} (case-sensitive).'},
        )
        kwargs.setdefault("help_text", "A language code of the transcriber's list, case-sensitive.")
        super().__init__(choices=choices, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class HttpSchemeValidator(RegexValidator):
    """A website is an http or https URL (the schema states it as a pattern). Only said of a valid URL: the URL
    field's own validator has the one message for anything else."""

    regex = r"^[Hh][Tt][Tt][Pp][Ss]?://"
    message = "Enter an http or https URL."

    def __call__(self, value: Any) -> None:
        try:
            URLValidator()(value)
        except DjangoValidationError:
            return
        super().__call__(value)


class LowerCaseChoiceField(serializers.ChoiceField):
    """A TextChoices enum stored upper case (LEFT) and sent lower case (left); either case is accepted."""

    context_free_output = True  # its output reads the value alone (common.serializers.FastOutputMixin)

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

    name = TextField(max_length=100)
    welcomeMessage = TextField(source="welcome_message", max_length=1000)
    systemPrompt = TextField(source="system_prompt", max_length=20000)
    language = LanguageField(default="en")
    voice = serializers.ChoiceField(choices=sorted(VOICE_IDS), default="jennifer")
    position = LowerCaseChoiceField(Position, default="right")
    theme = LowerCaseChoiceField(Theme, default="light")
    ragEnabled = StrictBooleanField(source="rag_enabled", default=False)
    ragSourceType = LowerCaseChoiceField(RagSourceType, source="rag_source_type", default="files", allow_null=True)
    ragUrl = URLTextField(
        source="rag_url",
        max_length=2048,
        required=False,
        allow_null=True,
        allow_blank=True,
        validators=[HttpSchemeValidator()],
    )
    activationScheduledAt = serializers.DateTimeField(source="activation_scheduled_at", required=False)

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("voice"), str):
            data = {**data, "voice": data["voice"].lower()}
        return super().to_internal_value(data)

    def validate_ragUrl(self, value: str | None) -> str | None:
        return value or None  # "" is "no website"

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
    botName = TextField(source="name", max_length=100)

    def to_internal_value(self, data):
        if isinstance(data, dict) and data.get("ragUrl") == "":
            data = {**data, "ragUrl": None}
        return super().to_internal_value(data)


class BotOutputSerializer(FastOutputMixin, serializers.ModelSerializer):
    """A bot in full: the long form of the legacy ``GET /api/bots/list``."""

    status = LowerCaseChoiceField(BotStatus)
    vapiAssistantId = serializers.CharField(source="vapi_assistant_id", allow_null=True, help_text="Null until active.")
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
        list_serializer_class = FastListSerializer


class BotActivationSummarySerializer(BotOutputSerializer):
    """A bot as the legacy ``GET /api/admin/activate-bot`` lists it: where its activation stands."""

    class Meta(BotOutputSerializer.Meta):
        fields = (
            "uuid",
            "name",
            "status",
            "createdAt",
            "activationScheduledAt",
            "activatedAt",
            "documentsProcessed",
            "ragEnabled",
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


class BotSummarySerializer(FastOutputMixin, serializers.ModelSerializer):
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
        list_serializer_class = FastListSerializer


# --- The legacy routes' bodies -------------------------------------------------------------------------------------


class LegacyCreateInputSerializer(serializers.Serializer):
    """The multipart form of the legacy ``POST /api/bots/create`` (documents it; the view reads the parts)."""

    config = serializers.CharField(
        help_text="A JSON object: botName, welcomeMessage, systemPrompt (required, not blank), language, voice, "
        "position, theme, ragEnabled, ragSourceType, ragUrl, with the rules and defaults of POST /api/bots (botName "
        "is its name). A missing or blank config, text that is not a JSON object, or a field that breaks its rule "
        "is a 400."
    )
    file_0 = serializers.FileField(
        required=False,
        help_text="A file for the knowledge base; any number of them, in parts named file_0, file_1, … (any name "
        "starting with file_). Stored when ragEnabled and ragSourceType is files; otherwise listed in ignoredFiles.",
    )


class LegacyCreatedBotSerializer(BotOutputSerializer):
    """The bot in the answer of the legacy ``POST /api/bots/create``: the long form's fields it has, and where its
    files are stored."""

    localStoragePath = serializers.CharField(source="local_storage_path", allow_null=True)

    class Meta(BotOutputSerializer.Meta):
        fields = (
            "uuid",
            "name",
            "status",
            "embedCode",
            "activationScheduledAt",
            "documentsProcessed",
            "ragEnabled",
            "vapiAssistantId",
            "localFilesStored",
            "localStoragePath",
        )
        read_only_fields = fields


class AssistantLinkInputSerializer(serializers.Serializer):
    """The body of the legacy ``PATCH /api/bots/status/{uuid}``: the assistant to link (made in VAPI elsewhere)."""

    vapiAssistantId = TextField(max_length=100)

    # A whole body although it comes with PATCH: its one field is required. (Schema generators copy a PATCH's
    # serializer as partial, which would document it as optional.)
    partial = property(lambda self: False, lambda self, value: None)


class ActivationInputSerializer(serializers.Serializer):
    """The body of the legacy ``POST /api/admin/activate-bot``."""

    botUuid = TextField(help_text="The uuid of one of your bots.")
    action = serializers.ChoiceField(choices=["activate", "deactivate"])
