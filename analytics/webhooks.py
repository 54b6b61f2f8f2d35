"""``POST /api/vapi/webhook``: VAPI's server messages (the URL every assistant gets as ``server.url``).

The ``x-vapi-secret`` header is compared in constant time before the body is even parsed: each assistant carries
its bot's own secret (``bots.vapi.vapi_caller``), and a request so authenticated records that bot's calls only.
``status-update`` and ``end-of-call-report`` upsert the call (a report without ``call`` too, under an id of our
own: ``analytics.services.report_call_id``); every other message type, and calls of assistants that are none of
our bots (or not the authenticated bot's), are acknowledged with 200 and logged, so VAPI never retries them. It
answers in one statement.

A long call's report (its transcript and every message) can pass Django's 2.5 MB cap on bodies: this route reads up
to VAPI_WEBHOOK_MAX_MB (20 MB), 413 in the JSON envelope beyond (decided from Content-Length before reading when
it is given); every other route keeps Django's cap (``DATA_UPLOAD_MAX_MEMORY_SIZE``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from analytics.api.schema import AnalyticsSchema
from analytics.api.serializers import VapiServerMessageSerializer, WebhookAnswerSerializer
from analytics.services import call_record_message
from bots.vapi import vapi_caller
from common.errors import ServiceError, UnavailableError
from common.inputs import load_json, read_body

logger = logging.getLogger(__name__)


class VapiWebhookView(APIView):
    authentication_classes: list = []  # the bot's secret is the authentication
    permission_classes = [AllowAny]
    parser_classes: list = []  # the body is read and parsed by the handler, after the secret is checked
    schema = AnalyticsSchema()

    @extend_schema(
        request={"application/json": VapiServerMessageSerializer},
        responses={
            200: WebhookAnswerSerializer,
            400: OpenApiResponse(description="Malformed JSON, or nested too deeply"),
            401: OpenApiResponse(description="Missing or wrong x-vapi-secret"),
            413: OpenApiResponse(description="Larger than VAPI_WEBHOOK_MAX_MB (20 MB by default)"),
        },
        auth=[],
    )
    def post(self, request: Request) -> JsonResponse:
        if not settings.VAPI_WEBHOOK_SECRET:
            raise UnavailableError("The VAPI webhook is not configured (VAPI_WEBHOOK_SECRET)")
        caller = vapi_caller(request)
        if caller is None:
            return JsonResponse({"success": False, "error": "Unauthorized"}, status=401)
        raw = read_body(request, max_bytes=settings.VAPI_WEBHOOK_MAX_MB * 1024 * 1024)
        body = load_json(raw, from_machine=True)
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, dict):
            raise ServiceError("Malformed message: no message object")
        kind = message.get("type") if isinstance(message.get("type"), str) else "unknown"
        outcome, _ = call_record_message(message=message, caller=caller.bot_uuid)
        if outcome != "recorded":
            logger.info("VAPI webhook %s: %s", kind, outcome)
        return JsonResponse(WebhookAnswerSerializer({"success": True, "type": kind, "outcome": outcome}).data)
