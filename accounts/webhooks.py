"""``POST /api/webhooks/clerk``: Clerk's user events, delivered by Svix.

The signature (``svix-id``, ``svix-timestamp``, ``svix-signature`` over the raw body) is verified with the svix
package before the body is parsed; a bad or missing signature, a stale timestamp or malformed JSON is a 400 and
nothing is written. Svix retries anything that is not 2xx and may deliver late, twice or out of order: every
effect is an idempotent upsert or delete keyed by the Clerk user id, ordered by Clerk's ``updated_at``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from svix.webhooks import Webhook, WebhookVerificationError

from accounts.clerk_api import profile_from_user_json
from accounts.models import USER_ID
from accounts.services import UserDeleted, user_delete_from_clerk, user_sync_from_clerk
from common.errors import ServiceError, UnavailableError
from common.inputs import load_json, machine_field, read_body

logger = logging.getLogger(__name__)

USER_UPSERT_EVENTS = {"user.created", "user.updated"}


def _user_id(data: Any) -> str:
    user_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(user_id, str) or not USER_ID.fullmatch(user_id):
        raise ServiceError("Malformed event: data.id is missing or not a user id")
    return user_id


class ClerkUserDataInputSerializer(serializers.Serializer):
    """A user event's ``data``: the Clerk user (what the view reads of it; Clerk sends more, and adds fields)."""

    id = serializers.RegexField(
        rf"^{USER_ID.pattern}$", help_text="The Clerk user id (a user event without one is a 400)."
    )
    primary_email_address_id = machine_field("Which of email_addresses is the primary one.")
    email_addresses = machine_field('[{"id": …, "email_address": …}, …]')
    first_name = machine_field("Text.")
    last_name = machine_field("Text.")
    image_url = machine_field("An https URL.")
    updated_at = machine_field("Milliseconds since 1970: later events win, older ones are ignored.")


class ClerkEventInputSerializer(serializers.Serializer):
    """A Clerk event as Svix delivers it. Its signature is checked first: an unsigned body is refused unread."""

    type = serializers.CharField(
        allow_blank=True, help_text="user.created, user.updated, user.deleted; other events are acknowledged unread"
    )
    data = ClerkUserDataInputSerializer(required=False, help_text="Read for user events only.")


_SVIX_HEADERS = [
    OpenApiParameter(name, location=OpenApiParameter.HEADER, required=True, description=description)
    for name, description in (
        ("svix-id", "The message id (the same on every retry)"),
        ("svix-timestamp", "Unix seconds; more than five minutes away from now is refused"),
        ("svix-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body> (space-separated, any one may match)"),
    )
]


class ClerkWebhookView(APIView):
    authentication_classes: list = []  # the Svix signature is the authentication
    permission_classes = [AllowAny]
    parser_classes: list = []  # the raw body is verified first, then parsed here

    @extend_schema(
        request={"application/json": ClerkEventInputSerializer},  # parsed by the view itself (no parsers)
        parameters=_SVIX_HEADERS,
        responses={
            200: inline_serializer(
                "ClerkWebhookResponse",
                {
                    "success": serializers.BooleanField(),
                    "event": serializers.CharField(),
                    "effect": serializers.CharField(),
                },
            ),
            400: OpenApiResponse(description="Bad or missing signature, stale timestamp, malformed JSON"),
            503: OpenApiResponse(description="CLERK_WEBHOOK_SECRET is not configured"),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        secret = settings.CLERK_WEBHOOK_SECRET
        if not secret:
            raise UnavailableError("Clerk webhooks are not configured")
        body = read_body(request, max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        try:
            Webhook(secret).verify(body, request.headers)
        except (WebhookVerificationError, ValueError) as exc:
            # svix raises ValueError, not WebhookVerificationError, for a signature without a version prefix.
            logger.warning("Clerk webhook refused: %s", type(exc).__name__)
            raise ServiceError("Invalid webhook signature") from None
        event = load_json(body, from_machine=True)
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise ServiceError("Malformed event: no type")

        kind, data = event["type"], event.get("data")
        if kind in USER_UPSERT_EVENTS:
            user_id = _user_id(data)
            try:
                user_sync_from_clerk(clerk_user_id=user_id, profile=profile_from_user_json(data))
                effect = "upserted"
            except UserDeleted:
                effect = "ignored: the user was deleted"
        elif kind == "user.deleted":
            effect = "deleted" if user_delete_from_clerk(clerk_user_id=_user_id(data)) else "already absent"
        else:
            effect = "ignored"  # other events are acknowledged so that Svix does not retry them
        logger.info("Clerk webhook %s (%s): %s", kind, request.headers.get("svix-id", "?"), effect)
        return Response({"success": True, "event": kind, "effect": effect})
