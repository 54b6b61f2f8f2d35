"""Routes the embedded widget calls from customers' sites: public (any origin, see PUBLIC_WIDGET_ROUTES),
validated, and rate-limited per client address (accounts/ratelimit.py, WIDGET_RATE_LIMIT).

    GET  /api/widget/{uuid}/config                     what the widget needs to draw itself and start calls
    POST /api/analytics/sessions                       a visitor's session starts (GET: the owner's report)
    POST /api/analytics/sessions/{sessionId}/interaction
    POST /api/analytics/sessions/{sessionId}/end       also as navigator.sendBeacon (any body, any content type)
    POST /api/vapi/navigation                          a navigation command the widget acted on or refused
    GET  /api/vapi/navigation                          the legacy "running" answer
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import services
from analytics.api.reports import SessionsReportView
from bots.models import Bot
from common.errors import NotFoundError, ServiceError
from common.inputs import JSONParser
from common.network import client_country, client_ip

logger = logging.getLogger(__name__)


class _PublicView(APIView):
    # Rate-limited per client address by accounts.ratelimit (the "widget" scope of PUBLIC_WIDGET_ROUTES).
    authentication_classes: list = []
    permission_classes = [AllowAny]


class WidgetConfigView(_PublicView):
    @extend_schema(
        auth=[],
        responses=inline_serializer(
            "WidgetConfig",
            {
                "success": serializers.BooleanField(),
                "bot": inline_serializer(
                    "WidgetBot",
                    {
                        "uuid": serializers.CharField(),
                        "name": serializers.CharField(),
                        "status": serializers.CharField(),
                        "assistantId": serializers.CharField(allow_null=True),
                        "welcomeMessage": serializers.CharField(),
                        "language": serializers.CharField(),
                        "position": serializers.CharField(),
                        "theme": serializers.CharField(),
                    },
                ),
                "vapiPublicKey": serializers.CharField(allow_null=True),
            },
        ),
    )
    def get(self, request: Request, uuid: str) -> Response:
        bot = Bot.objects.filter(uuid=uuid).first()
        if bot is None:
            raise NotFoundError("Bot not found")
        return Response(
            {
                "success": True,
                "bot": {
                    "uuid": bot.uuid,
                    "name": bot.name,
                    "status": bot.status.lower(),
                    "assistantId": bot.vapi_assistant_id,
                    "welcomeMessage": bot.welcome_message,
                    "language": bot.language,
                    "position": bot.position.lower(),
                    "theme": bot.theme.lower(),
                },
                "vapiPublicKey": settings.VAPI_PUBLIC_KEY or None,
            }
        )


class _SessionStart(serializers.Serializer):
    botUuid = serializers.CharField(max_length=64)
    userAgent = serializers.CharField(max_length=4096, required=False, allow_blank=True, allow_null=True)
    # The legacy body carried the client's address; the server decides it (a client can claim anything).
    ipAddress = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True)


class SessionsView(SessionsReportView):
    """``/api/analytics/sessions``. ``POST``, public: the widget starts a session (the original required a
    signed-in dashboard user here, so visitors' sessions were never recorded). ``GET``, signed in: the owner's
    report (``SessionsReportView``)."""

    parser_classes = [JSONParser]

    def _widget(self) -> bool:
        # No request yet while drf-spectacular builds its mock one: the schema states POST's auth itself.
        request = getattr(self, "request", None)
        return request is not None and request.method == "POST"

    def get_authenticators(self):
        return [] if self._widget() else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self._widget() else super().get_permissions()

    @extend_schema(
        request=_SessionStart,
        auth=[],
        responses=inline_serializer(
            "SessionStarted",
            {
                "success": serializers.BooleanField(),
                "sessionId": serializers.CharField(),
                "message": serializers.CharField(),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        data = _SessionStart(data=request.data)
        data.is_valid(raise_exception=True)
        user_agent = data.validated_data.get("userAgent") or request.headers.get("User-Agent")
        session = services.session_start(
            bot_uuid=data.validated_data["botUuid"],
            user_agent=user_agent,
            ip_address=client_ip(request),
            country=client_country(request),
        )
        return Response({"success": True, "sessionId": session.session_id, "message": "Session tracking started"})


class SessionInteractionView(_PublicView):
    parser_classes: list = []  # nothing in the body matters

    @extend_schema(request=None, auth=[], responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, session_id: str) -> Response:
        count = services.session_interaction(session_id=session_id)
        return Response({"success": True, "interactions": count})


class SessionEndView(_PublicView):
    parser_classes: list = []  # navigator.sendBeacon sends text/plain or nothing: the body is not read

    @extend_schema(request=None, auth=[], responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, session_id: str) -> Response:
        services.session_end(session_id=session_id)
        return Response({"success": True})


class _Navigation(serializers.Serializer):
    url = serializers.CharField(max_length=2048, required=False, allow_blank=True)
    command = serializers.CharField(max_length=500, required=False, allow_blank=True)
    success = serializers.BooleanField(required=False, default=False)
    botUuid = serializers.CharField(max_length=64, required=False, allow_blank=True)


class NavigationView(_PublicView):
    parser_classes = [JSONParser]

    @extend_schema(auth=[], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response(
            {
                "success": True,
                "message": "Navigation API is running",
                "endpoints": {"POST /api/vapi/navigation": "Log a navigation command {url, command, success, botUuid}"},
            }
        )

    @extend_schema(request=_Navigation, auth=[], responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = _Navigation(data=request.data)
        data.is_valid(raise_exception=True)
        url, command = data.validated_data.get("url", ""), data.validated_data.get("command", "")
        if not url:
            raise ServiceError("URL is required")
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("", "http", "https"):
            raise ServiceError("Only http and https URLs can be navigated to")
        logger.info(
            "Widget navigation for bot %s: %r -> %s (%s)",
            data.validated_data.get("botUuid") or "?",
            command[:200],
            url[:300],
            "done" if data.validated_data["success"] else "refused",
        )
        return Response({"success": True, "message": "Navigation logged successfully", "url": url, "command": command})
