"""The original app's bot routes, with its paths, methods and JSON shapes (spec/legacy-api.md, "Bot routes").

Fixed, without changing what a legitimate caller sees: the bot list needs a signed-in user (the original showed
every user's bots to anyone); the status PATCH and the activation route are owner-only, and another user's bot
answers 404 "Bot not found" like a bot that does not exist (the original answered 403, which told a stranger that
the uuid exists); status and activation are real (the original faked an assistant id); errors never 500.

Every route goes through the owner-scoping bases (``accounts.scoping``, ``bots.api.scoping``); the status path has
two audiences, the widget's GET (``StatusView``, public) and the owner's PATCH (``AssistantLinkView``), joined by
``StatusRoute``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scoping import MethodRoute, OwnerView, PublicView
from bots import selectors, services
from bots.api.scoping import BotView, OwnerBotsView
from bots.api.serializers import (
    ActivationInputSerializer,
    AssistantLinkInputSerializer,
    BotActivationSummarySerializer,
    BotOutputSerializer,
    BotSummarySerializer,
    LegacyCreateConfigSerializer,
    LegacyCreatedBotSerializer,
    LegacyCreateInputSerializer,
    LowerCaseChoiceField,
)
from bots.embed import public_base_url
from bots.models import Bot, BotStatus, RagSourceType
from common.errors import ServiceError
from common.inputs import InvalidInput, JSONParser, load_json
from common.replica import replica_reads
from documents.services import bot_create_with_files

REQUIRED_CONFIG = ("botName", "welcomeMessage", "systemPrompt")


def _iso(value) -> str | None:
    return serializers.DateTimeField().to_representation(value) if value else None


def _created_message(bot: Bot) -> str:
    documents = f" Knowledge base includes {bot.local_files_stored} documents." if bot.local_files_stored else ""
    if bot.status == BotStatus.ACTIVE:
        return f"Bot created and activated successfully! Your voice bot is ready to use immediately.{documents}"
    if bot.status == BotStatus.FAILED:
        return f"Bot created, but its activation failed: {bot.activation_error}"
    return f"Bot created. Its activation has started; the status route says when it is live.{documents}"


def _base_name(name: str | None) -> str:
    return (name or "file").replace("\\", "/").rsplit("/", 1)[-1]


def _ignored_message(ignored: list[str]) -> str:
    if not ignored:
        return ""
    files = f"{len(ignored)} uploaded file{'s were' if len(ignored) > 1 else ' was'}"
    return f" {files} not stored: the bot's knowledge base is not set to files (ragEnabled, ragSourceType)."


_CREATED = inline_serializer(
    "LegacyBotCreated",
    {
        "success": serializers.BooleanField(),
        "bot": LegacyCreatedBotSerializer(),
        "storage": inline_serializer(
            "LegacyBotStorage",
            {
                "local": inline_serializer(
                    "LegacyBotLocalStorage",
                    {
                        "enabled": serializers.BooleanField(),
                        "filesStored": serializers.IntegerField(),
                        "storagePath": serializers.CharField(allow_null=True),
                    },
                ),
                "googleDrive": inline_serializer(
                    "LegacyBotGoogleDrive",
                    {"enabled": serializers.BooleanField(help_text="Always false: no Google Drive copy is made.")},
                ),
            },
        ),
        "message": serializers.CharField(),
        "ignoredFiles": serializers.ListField(
            child=serializers.CharField(),
            required=False,
            help_text="Only when files came for a bot whose knowledge base is not files: their names (not stored).",
        ),
    },
)


class CreateView(OwnerView):
    """``POST /api/bots/create`` (multipart: ``config`` JSON + ``file_*`` parts) and ``GET``, the user's bots."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": LegacyCreateInputSerializer},
        responses={200: _CREATED},
        description="Create a bot from a multipart form: `config` (a JSON object as text) and the knowledge base's "
        "files in parts named file_0, file_1, …",
    )
    def post(self, request: Request) -> Response:
        raw = request.data.get("config")
        if not raw:
            raise ServiceError("Missing configuration")
        if not isinstance(raw, str):
            raise ServiceError("Invalid configuration: it is not JSON")
        try:
            config = load_json(raw, max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        except InvalidInput as exc:
            why = "it is not JSON" if exc.message == InvalidInput.default_message else exc.message
            raise InvalidInput(f"Invalid configuration: {why}") from None
        if not isinstance(config, dict):
            raise ServiceError("Invalid configuration: it is not a JSON object")
        if any(not str(config.get(field) or "").strip() for field in REQUIRED_CONFIG):
            raise ServiceError("Missing required bot configuration")
        serializer = LegacyCreateConfigSerializer(data=config)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        wants_files = data["rag_enabled"] and data["rag_source_type"] == RagSourceType.FILES
        uploads = [upload for key, upload in request.FILES.items() if key.startswith("file_")]
        # As the original did, files sent for a bot whose knowledge base is not "files" are not stored; unlike
        # it, the answer says so (ignoredFiles, and a sentence in the message), instead of dropping them silently.
        files, ignored = (uploads, []) if wants_files else ([], [_base_name(upload.name) for upload in uploads])

        bot = bot_create_with_files(owner=self.owner, data=data, files=files, base_url=public_base_url(request))
        bot = selectors.bot_refresh(bot=bot)  # activation may have run already (no broker: tasks run eagerly)
        storage_path = bot.local_storage_path
        body = {
            "success": True,
            "bot": LegacyCreatedBotSerializer(bot).data,
            "storage": {
                "local": {
                    "enabled": wants_files,
                    "filesStored": bot.local_files_stored,
                    "storagePath": storage_path,
                },
                # The original also copied files to Google Drive; this product does not.
                "googleDrive": {"enabled": False},
            },
            "message": _created_message(bot) + _ignored_message(ignored),
        }
        if ignored:  # only then: the original's shape is unchanged for every other request
            body["ignoredFiles"] = ignored
        return Response(body)

    @extend_schema(
        responses=inline_serializer(
            "LegacyBotShortList", {"success": serializers.BooleanField(), "bots": BotSummarySerializer(many=True)}
        )
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        bots = BotSummarySerializer.rows_for(selectors.bot_list(user=self.owner))
        return Response({"success": True, "bots": BotSummarySerializer(bots, many=True).data})


class ListView(OwnerView):
    """``GET /api/bots/list``: the signed-in user's bots, long form."""

    @extend_schema(
        responses=inline_serializer(
            "LegacyBotList",
            {
                "success": serializers.BooleanField(),
                "count": serializers.IntegerField(),
                "bots": BotOutputSerializer(many=True),
            },
        )
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        bots = BotOutputSerializer(BotOutputSerializer.rows_for(selectors.bot_list(user=self.owner)), many=True).data
        return Response({"success": True, "count": len(bots), "bots": bots})


_STATUS_RESPONSE = inline_serializer(
    "BotStatus",
    {
        "success": serializers.BooleanField(),
        "status": LowerCaseChoiceField(BotStatus),
        "uuid": serializers.CharField(),
        "name": serializers.CharField(),
        "activationScheduledAt": serializers.DateTimeField(),
        "vapiAssistantId": serializers.CharField(allow_null=True, help_text="Null until active."),
        "activatedAt": serializers.DateTimeField(allow_null=True),
        "activationError": serializers.CharField(
            allow_null=True, help_text="Why a FAILED bot failed: the reason for its owner, a generic line for others."
        ),
    },
)


class StatusView(PublicView):
    """``GET /api/bots/status/{uuid}``: a bot's status, for anyone (the widget asks it from customers' sites)."""

    parser_classes = [JSONParser]  # the path's (its PATCH reads JSON): what OPTIONS says it parses

    @extend_schema(
        operation_id="bots_status_retrieve",
        responses={
            200: _STATUS_RESPONSE,
            # Anyone may ask; a request that sends credentials has them checked all the same.
            401: OpenApiResponse(description="An Authorization token that is not valid (none is needed)"),
            404: OpenApiResponse(description="Bot not found"),
        },
    )
    def get(self, request: Request, uuid: str) -> Response:
        bot = selectors.bot_status_public(uuid=uuid)
        # The widget's hot route: one query, unless a first activation is due (then it has run, or been queued).
        if services.bot_activate_if_due(bot=bot):
            bot = selectors.bot_refresh(bot=bot)
        error = None
        if bot.status == BotStatus.FAILED:
            is_owner = self.viewer is not None and self.viewer.pk == bot.user_id
            error = bot.activation_error if is_owner else "Activation failed"
        return Response(
            {
                "success": True,
                "status": bot.status.lower(),
                "uuid": bot.uuid,
                "name": bot.name,
                "activationScheduledAt": _iso(bot.activation_scheduled_at),
                "vapiAssistantId": bot.vapi_assistant_id,
                "activatedAt": _iso(bot.activated_at),
                "activationError": error,
            }
        )


class AssistantLinkView(BotView):
    """``PATCH /api/bots/status/{uuid}``: the owner links an assistant made in VAPI elsewhere."""

    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="bots_status_partial_update",
        request=AssistantLinkInputSerializer,
        responses=inline_serializer(
            "BotAssistantLinked",
            {
                "success": serializers.BooleanField(),
                "message": serializers.CharField(),
                "uuid": serializers.CharField(),
                "vapiAssistantId": serializers.CharField(),
            },
        ),
    )
    def patch(self, request: Request, uuid: str) -> Response:
        assistant_id = request.data.get("vapiAssistantId") if isinstance(request.data, dict) else None
        if not assistant_id:
            raise ServiceError("VAPI Assistant ID is required")
        serializer = AssistantLinkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        bot = services.bot_set_assistant(bot=self.bot, assistant_id=serializer.validated_data["vapiAssistantId"])
        return Response(
            {
                "success": True,
                "message": "Bot assistant ID updated successfully",
                "uuid": bot.uuid,
                "vapiAssistantId": bot.vapi_assistant_id,
            }
        )


class StatusRoute(MethodRoute):
    """``/api/bots/status/{uuid}``: one path, two audiences."""

    get = StatusView  # the widget reads the status
    patch = AssistantLinkView  # the owner links an assistant


class AdminActivateView(OwnerBotsView):
    """``/api/admin/activate-bot``: ``GET`` lists the owner's bots with where their activation stands (the
    original's admin panel reads it); ``POST`` starts (activate) or stops (deactivate) one."""

    parser_classes = [JSONParser]

    @extend_schema(
        responses=inline_serializer(
            "BotActivationList",
            {
                "success": serializers.BooleanField(),
                "bots": BotActivationSummarySerializer(many=True),
                "totalBots": serializers.IntegerField(),
            },
        )
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        rows = BotActivationSummarySerializer.rows_for(selectors.bot_list(user=self.owner))
        bots = BotActivationSummarySerializer(rows, many=True).data
        return Response({"success": True, "bots": bots, "totalBots": len(bots)})

    @extend_schema(
        request=ActivationInputSerializer,
        responses={
            200: inline_serializer(
                "BotActivation",
                {
                    "success": serializers.BooleanField(),
                    "message": serializers.CharField(),
                    "status": serializers.ChoiceField(["activating", "pending"], help_text="The bot's status now."),
                },
            ),
            # The bot's uuid is in the body, not the path: the rule that documents 404s does not see it.
            404: OpenApiResponse(description="Bot not found (or not yours)"),
        },
    )
    def post(self, request: Request) -> Response:
        body: dict[str, Any] = request.data if isinstance(request.data, dict) else {}
        if not body.get("botUuid"):
            raise ServiceError("Bot UUID is required")
        bot = self.owned_bot(str(body["botUuid"]))
        action = body.get("action")
        if action == "activate":
            services.bot_request_activation(bot=bot)
            return Response({"success": True, "message": "Bot activation started", "status": "activating"})
        if action == "deactivate":
            services.bot_deactivate(bot=bot)
            return Response({"success": True, "message": "Bot deactivated", "status": "pending"})
        raise ServiceError('Invalid action. Use "activate" or "deactivate"')


class ConfigView(APIView):
    """``GET /api/config``: what the browser needs to start VAPI calls. The public key only, never the private."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        auth=[],
        responses=inline_serializer(
            "PublicConfig",
            {
                "success": serializers.BooleanField(),
                "config": inline_serializer(
                    "PublicConfigValues",
                    {
                        "vapiPublicKey": serializers.CharField(allow_null=True),
                        "vapiAssistantId": serializers.CharField(allow_null=True),
                        "environment": serializers.ChoiceField(["development", "production"]),
                    },
                ),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "success": True,
                "config": {
                    "vapiPublicKey": settings.VAPI_PUBLIC_KEY or None,
                    "vapiAssistantId": settings.VAPI_ASSISTANT_ID or None,
                    "environment": "development" if settings.DEBUG else "production",
                },
            }
        )
