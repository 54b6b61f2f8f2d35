"""Knowledge-base routes: the original's file routes (list, upload, download) with their shapes, plus the REST
document resource, a retrieval tester, the website re-sync, and the custom knowledge base VAPI calls during calls.

    GET    /api/bots/{uuid}/files                  legacy list
    POST   /api/bots/{uuid}/files                  legacy upload (multipart file_* parts)
    GET    /api/bots/{uuid}/files/{filename}       legacy download of the original
    GET    /api/bots/{uuid}/documents              documents with status, pages, words, chunks, errors
    GET    /api/bots/{uuid}/documents/{id}         one document, with its text
    DELETE /api/bots/{uuid}/documents/{id}         delete it and its stored original
    POST   /api/bots/{uuid}/documents/{id}/reprocess
    GET    /api/bots/{uuid}/search?q=…&k=5         retrieval tester: top-k chunks with scores
    POST   /api/bots/{uuid}/resync                 crawl the website again
    POST   /api/vapi/knowledge-base                VAPI's knowledge-base-request (x-vapi-secret)
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bots.api.scoping import BotView
from bots.api.serializers import LowerCaseChoiceField
from bots.models import Bot, BotStatus, RagSourceType
from bots.vapi import VapiCaller, vapi_caller
from common.errors import ForbiddenError, NotFoundError, ServiceError, UnavailableError
from common.inputs import load_json, read_body
from common.replica import replica_reads
from documents import selectors, services
from documents.api.serializers import (
    DocumentDetailSerializer,
    DocumentOutputSerializer,
    FilesUploadInputSerializer,
    KnowledgeBaseRequestSerializer,
    SearchHitOutputSerializer,
    SearchQueryInputSerializer,
)
from documents.downloads import DOWNLOAD_TYPES, original_response
from documents.models import Document, DocumentStatus
from documents.search import search_chunks

logger = logging.getLogger(__name__)

BOT_NOT_FOUND = "Bot not found or access denied"


def _bot_metadata(bot: Bot) -> dict[str, Any]:
    """What the original kept in uploads/<uuid>/bot-metadata.json."""
    return {
        "botName": bot.name,
        "ragEnabled": bot.rag_enabled,
        "ragSourceType": (bot.rag_source_type or "").lower() or None,
        "documentsCount": bot.documents_processed,
        "userId": bot.user_id,
        "createdAt": serializers.DateTimeField().to_representation(bot.created_at),
    }


_FILES_LIST = inline_serializer(
    "BotFileList",
    {
        "success": serializers.BooleanField(),
        "botUuid": serializers.CharField(),
        "files": DocumentOutputSerializer(many=True, help_text="The uploaded files (not crawled pages)."),
        "metadata": inline_serializer(
            "BotFilesMetadata",
            {
                "botName": serializers.CharField(),
                "ragEnabled": serializers.BooleanField(),
                "ragSourceType": LowerCaseChoiceField(RagSourceType, allow_null=True),
                "documentsCount": serializers.IntegerField(),
                "userId": serializers.CharField(),
                "createdAt": serializers.DateTimeField(),
            },
        ),
        "totalFiles": serializers.IntegerField(),
    },
)

_FILES_UPLOADED = inline_serializer(
    "BotFilesUploaded",
    {
        "success": serializers.BooleanField(),
        "message": serializers.CharField(),
        "filesUploaded": serializers.IntegerField(),
        "files": inline_serializer(
            "BotFileUploaded",
            {
                "name": serializers.CharField(),
                "size": serializers.IntegerField(),
                "type": serializers.CharField(),
                "chunks": serializers.IntegerField(),
                "id": serializers.CharField(),
                "status": LowerCaseChoiceField(DocumentStatus),
            },
            many=True,
        ),
    },
)


class FilesView(BotView):
    bot_not_found = BOT_NOT_FOUND
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(operation_id="bot_files_list", responses=_FILES_LIST)
    @replica_reads
    def get(self, request: Request, uuid: str) -> Response:
        bot = self.bot
        documents = selectors.document_list(bot=bot).filter(file_path__isnull=False)
        # The original's {name, downloadUrl} per file, with the rest of what we know about it.
        files = DocumentOutputSerializer(documents, many=True).data
        return Response(
            {
                "success": True,
                "botUuid": bot.uuid,
                "files": files,
                "metadata": _bot_metadata(bot),
                "totalFiles": len(files),
            }
        )

    @extend_schema(
        request={"multipart/form-data": FilesUploadInputSerializer},
        responses={
            200: _FILES_UPLOADED,
            413: OpenApiResponse(description="A file is larger than MAX_UPLOAD_MB"),
            415: OpenApiResponse(description="A file is not PDF, DOCX, TXT, MD, CSV, JSON or HTML"),
        },
    )
    def post(self, request: Request, uuid: str) -> Response:
        uploads = [upload for key, upload in request.FILES.items() if key.startswith("file_")]
        documents = services.documents_upload(bot=self.bot, files=uploads)
        # Read again for their status (processing may have run already); one deleted meanwhile (its bot deleted
        # right after the upload committed) is reported as it was stored.
        stored = {d.pk: d for d in documents} | {
            d.pk: d for d in Document.objects.filter(pk__in=[d.pk for d in documents])
        }
        return Response(
            {
                "success": True,
                "message": f"Successfully uploaded {len(documents)} files to bot",
                "filesUploaded": len(documents),
                "files": [
                    {
                        "name": stored[d.pk].name,
                        "size": stored[d.pk].size,
                        "type": stored[d.pk].type,
                        "chunks": len(stored[d.pk].chunks or []),
                        "id": d.pk,
                        "status": stored[d.pk].status.lower(),
                    }
                    for d in documents
                ],
            }
        )


# The original's bytes, with the type its extension names (documents.downloads): a JSON file is whatever JSON
# was uploaded, anything else bytes.
_DOWNLOADS = {
    media_type: {"description": "The uploaded JSON file, as it was uploaded"}
    if media_type == "application/json"
    else OpenApiTypes.BINARY
    for media_type in sorted({*DOWNLOAD_TYPES.values(), "application/octet-stream"})
}


class FileDownloadView(BotView):
    """The stored original, with the original app's headers."""

    bot_not_found = BOT_NOT_FOUND

    @extend_schema(
        operation_id="bot_file_download",
        responses={
            **{(200, media_type): schema for media_type, schema in _DOWNLOADS.items()},
            403: OpenApiResponse(description="A file name that is a path (traversal): Access denied"),
            404: OpenApiResponse(description="Bot not found or access denied; File not found"),
        },
    )
    def get(self, request: Request, uuid: str, filename: str):
        if "/" in filename or "\\" in filename or filename in ("", ".", "..") or "\x00" in filename:
            raise ForbiddenError("Access denied - security violation")
        document = selectors.document_get_stored(bot=self.bot, name=filename)
        if document is None:
            raise NotFoundError("File not found")
        document.bot = self.bot
        return original_response(document=document)


class DocumentListView(BotView):
    @extend_schema(
        operation_id="bot_documents_list",
        responses=inline_serializer(
            "DocumentList",
            {"success": serializers.BooleanField(), "documents": DocumentOutputSerializer(many=True)},
        ),
    )
    @replica_reads
    def get(self, request: Request, uuid: str) -> Response:
        documents = selectors.document_list(bot=self.bot)
        return Response({"success": True, "documents": DocumentOutputSerializer(documents, many=True).data})


class DocumentDetailView(BotView):
    @extend_schema(
        operation_id="bot_document_retrieve",
        responses=inline_serializer(
            "DocumentDetailResponse", {"success": serializers.BooleanField(), "document": DocumentDetailSerializer()}
        ),
    )
    def get(self, request: Request, uuid: str, document_id: str) -> Response:
        document = selectors.document_get(bot=self.bot, document_id=document_id)
        document.content = Document.objects.values_list("content", flat=True).get(pk=document.pk)
        return Response({"success": True, "document": DocumentDetailSerializer(document).data})

    @extend_schema(
        # 200 with a body (not 204): the API's envelope on every success.
        responses={
            200: inline_serializer(
                "DocumentDeleted", {"success": serializers.BooleanField(), "message": serializers.CharField()}
            )
        }
    )
    def delete(self, request: Request, uuid: str, document_id: str) -> Response:
        services.document_delete(document=selectors.document_get(bot=self.bot, document_id=document_id))
        return Response({"success": True, "message": "Document deleted"})


class DocumentReprocessView(BotView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "DocumentReprocessed", {"success": serializers.BooleanField(), "document": DocumentOutputSerializer()}
        ),
    )
    def post(self, request: Request, uuid: str, document_id: str) -> Response:
        document = selectors.document_get(bot=self.bot, document_id=document_id)
        services.document_reprocess(document=document)
        document = selectors.document_get(bot=self.bot, document_id=document_id)
        return Response({"success": True, "document": DocumentOutputSerializer(document).data})


class SearchView(BotView):
    """Try retrieval as a caller's question would: the chunks VAPI would receive, with their scores."""

    @extend_schema(
        parameters=[SearchQueryInputSerializer],
        responses=inline_serializer(
            "SearchResponse",
            {
                "success": serializers.BooleanField(),
                "query": serializers.CharField(),
                "results": SearchHitOutputSerializer(many=True),
            },
        ),
    )
    def get(self, request: Request, uuid: str) -> Response:
        params = SearchQueryInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        hits = search_chunks(bot=self.bot, query=params.validated_data["q"], limit=params.validated_data["k"])
        return Response(
            {
                "success": True,
                "query": params.validated_data["q"],
                "results": [
                    {
                        "content": hit.content,
                        "score": round(hit.score, 4),
                        "ftsScore": None if hit.fts_score is None else round(hit.fts_score, 4),
                        "vectorScore": None if hit.vector_score is None else round(hit.vector_score, 4),
                        "documentId": hit.document_id,
                        "documentName": hit.document_name,
                        "position": hit.position,
                    }
                    for hit in hits
                ],
            }
        )


class ResyncView(BotView):
    @extend_schema(
        request=None,
        responses={
            202: inline_serializer(
                "WebsiteSyncStarted", {"success": serializers.BooleanField(), "message": serializers.CharField()}
            )
        },
    )
    def post(self, request: Request, uuid: str) -> Response:
        services.bot_website_sync_request(bot=self.bot)
        return Response({"success": True, "message": "Website sync started"}, status=202)


# --- VAPI's custom knowledge base ------------------------------------------------------------------------------------


def _last_user_message(message: dict[str, Any]) -> str:
    """The caller's latest words: OpenAI-formatted messages first, then VAPI's own message list."""
    for key, text_keys in (("messagesOpenAIFormatted", ("content",)), ("messages", ("message", "content"))):
        items = message.get(key)
        if not isinstance(items, list):
            continue
        for item in reversed(items):
            if isinstance(item, dict) and item.get("role") == "user":
                for text_key in text_keys:
                    if isinstance(item.get(text_key), str) and item[text_key].strip():
                        return item[text_key]
    return ""


# What answering a knowledge-base request reads of its bot.
_BOT_FIELDS = Bot.objects.only("id", "language", "rag_enabled", "status", "vapi_assistant_id")


def _named_assistant(message: dict[str, Any]) -> tuple[str | None, str | None]:
    """The assistant id and our bot uuid (the assistant's metadata) a request names, as far as it names them."""
    call = message.get("call") if isinstance(message.get("call"), dict) else {}
    assistant = message.get("assistant") if isinstance(message.get("assistant"), dict) else {}
    assistant_id = call.get("assistantId") or assistant.get("id")
    metadata = assistant.get("metadata") if isinstance(assistant.get("metadata"), dict) else {}
    uuid = metadata.get("botUuid")
    return (
        assistant_id if isinstance(assistant_id, str) and assistant_id else None,
        uuid if isinstance(uuid, str) and uuid else None,
    )


def _bot_for(message: dict[str, Any], caller: VapiCaller) -> Bot | None:
    """The bot to answer for. A bot's own secret answers for that bot only, whatever the body names (a call of
    another assistant gets nothing): a leaked secret reads no other bot's chunks. The shared secret of assistants
    made before per-bot secrets: the bot whose assistant is on the call, else our bot uuid in its metadata."""
    assistant_id, uuid = _named_assistant(message)
    if caller.bot_uuid is not None:
        bot = _BOT_FIELDS.filter(uuid=caller.bot_uuid).first()
        if bot is None or (assistant_id is not None and assistant_id != bot.vapi_assistant_id):
            return None
        return bot
    if assistant_id is not None:
        bot = _BOT_FIELDS.filter(vapi_assistant_id=assistant_id).first()
        if bot is not None:
            return bot
    return _BOT_FIELDS.filter(uuid=uuid).first() if uuid else None


class KnowledgeBaseView(APIView):
    """``POST /api/vapi/knowledge-base``: VAPI asks for context during a call; we answer with the bot's best
    chunks for the caller's last words. It is on the live voice path: at most three indexed queries, no writes."""

    authentication_classes: list = []  # the bot's secret is the authentication
    permission_classes = [AllowAny]
    parser_classes: list = []

    @extend_schema(
        request={"application/json": KnowledgeBaseRequestSerializer},  # parsed by the view itself (no parsers)
        parameters=[
            OpenApiParameter(
                "x-vapi-secret",
                location=OpenApiParameter.HEADER,
                required=True,
                description="The bot's own secret, set on its assistant's knowledge base (derived from "
                "VAPI_WEBHOOK_SECRET); it answers for that bot only",
            )
        ],
        responses={
            200: inline_serializer(
                "KnowledgeBaseDocuments",
                {
                    "documents": inline_serializer(
                        "KnowledgeBaseDocument",
                        {
                            "content": serializers.CharField(),
                            "similarity": serializers.FloatField(),
                            "uuid": serializers.CharField(help_text="<document id>:<chunk position>"),
                        },
                        many=True,
                    )
                },
            ),
            # The bot's secret, not a sign-in: the rule that documents 401s does not see it.
            401: OpenApiResponse(description="Missing or wrong x-vapi-secret"),
            413: OpenApiResponse(description="Larger than VAPI_WEBHOOK_MAX_MB (20 MB by default)"),
        },
        auth=[],
    )
    def post(self, request: Request):
        if not settings.VAPI_WEBHOOK_SECRET:
            raise UnavailableError("The VAPI knowledge base is not configured (VAPI_WEBHOOK_SECRET)")
        caller = vapi_caller(request)
        if caller is None:
            return JsonResponse({"success": False, "error": "Unauthorized"}, status=401)
        body = load_json(read_body(request, max_bytes=settings.VAPI_WEBHOOK_MAX_MB * 1024 * 1024), from_machine=True)
        # VAPI sends an object whose message is an object; anything else is not one of its requests.
        if not isinstance(body, dict):
            raise ServiceError("Malformed request: the body is not a JSON object")
        message = body.get("message", {})
        if not isinstance(message, dict):
            raise ServiceError("Malformed request: message is not a JSON object")
        if message.get("type") != "knowledge-base-request":
            return JsonResponse({"documents": []})
        bot = _bot_for(message, caller)
        if bot is None or not bot.rag_enabled or bot.status != BotStatus.ACTIVE:
            logger.info("Knowledge-base request for an unknown or inactive bot")
            return JsonResponse({"documents": []})
        hits = search_chunks(bot=bot, query=_last_user_message(message), limit=settings.KNOWLEDGE_BASE_TOP_K)
        return JsonResponse(
            {
                "documents": [
                    {
                        "content": hit.content,
                        "similarity": round(hit.score, 4),
                        "uuid": f"{hit.document_id}:{hit.position}",
                    }
                    for hit in hits
                ]
            }
        )


def uploads_blocked(request, *args, **kwargs) -> JsonResponse:
    """Direct web access to stored originals, as the original answered it (/api/blocked)."""
    return JsonResponse(
        {"error": "Access Denied", "message": "This resource is not publicly accessible", "code": "UPLOADS_BLOCKED"},
        status=404,
    )
