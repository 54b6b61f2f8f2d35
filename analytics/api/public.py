"""Routes the embedded widget calls from customers' sites: public (any origin, see PUBLIC_WIDGET_ROUTES),
validated, and rate-limited per client address (accounts/ratelimit.py, WIDGET_RATE_LIMIT).

    GET  /api/widget/{uuid}/config                     what the widget needs to draw itself and start calls
    POST /api/analytics/sessions                       a visitor's session starts (GET: the owner's report;
                                                       ``SessionsRoute`` hands each method to its view)
    POST /api/analytics/sessions/{sessionId}/interaction
    POST /api/analytics/sessions/{sessionId}/end       also as navigator.sendBeacon (any body, any content type)
    POST /api/vapi/navigation                          a navigation command the widget acted on or refused
    GET  /api/vapi/navigation                          the legacy "running" answer
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.scoping import MethodRoute, PublicView
from analytics import services
from analytics.api import serializers as answers
from analytics.api.reports import SessionsReportView
from analytics.api.schema import AnalyticsSchema
from bots.selectors import bot_get_public
from common.errors import ServiceError
from common.inputs import JSONParser, StrictBooleanField, TextField
from common.network import client_country, client_ip

logger = logging.getLogger(__name__)


class _PublicView(PublicView):
    # Rate-limited per client address by accounts.ratelimit (the "widget" scope of PUBLIC_WIDGET_ROUTES). Nobody
    # is signed in on the widget's routes: no authentication at all.
    authentication_classes: list = []
    schema = AnalyticsSchema()


class WidgetConfigView(_PublicView):
    @extend_schema(auth=[], responses=answers.WidgetConfigSerializer)
    def get(self, request: Request, uuid: str) -> Response:
        bot = bot_get_public(uuid=uuid)
        payload = {
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
        return Response(answers.WidgetConfigSerializer(payload).data)


class _SessionStart(serializers.Serializer):
    botUuid = TextField(max_length=64)
    userAgent = TextField(max_length=4096, required=False, allow_blank=True, allow_null=True)
    # The legacy body carried the client's address; the server decides it (a client can claim anything).
    ipAddress = TextField(max_length=64, required=False, allow_blank=True, allow_null=True)


class SessionStartView(_PublicView):
    """``POST /api/analytics/sessions``, public: the widget starts a session (the original required a signed-in
    dashboard user here, so visitors' sessions were never recorded)."""

    parser_classes = [JSONParser]

    @extend_schema(
        request=_SessionStart,
        auth=[],
        responses={
            200: answers.SessionStartedSerializer,
            404: OpenApiResponse(description="Bot not found (no bot has this uuid)"),
        },
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
        payload = {"success": True, "sessionId": session.session_id, "message": "Session tracking started"}
        return Response(answers.SessionStartedSerializer(payload).data)


class SessionsRoute(MethodRoute):
    """``/api/analytics/sessions``: ``GET`` is the owner's report (an ``OwnerView``), ``POST`` the widget's session
    start (public); each view runs its own authentication, permissions, parsing and errors."""

    get = SessionsReportView
    post = SessionStartView


class SessionInteractionView(_PublicView):
    parser_classes: list = []  # nothing in the body matters

    @extend_schema(request=None, auth=[], responses=answers.SessionInteractionSerializer)
    def post(self, request: Request, session_id: str) -> Response:
        count = services.session_interaction(session_id=session_id)
        return Response(answers.SessionInteractionSerializer({"success": True, "interactions": count}).data)


class SessionEndView(_PublicView):
    parser_classes: list = []  # navigator.sendBeacon sends text/plain or nothing: the body is not read

    @extend_schema(request=None, auth=[], responses=answers.SuccessSerializer)
    def post(self, request: Request, session_id: str) -> Response:
        services.session_end(session_id=session_id)
        return Response(answers.SuccessSerializer({"success": True}).data)


class _Navigation(serializers.Serializer):
    url = TextField(max_length=2048, required=False, allow_blank=True)
    command = TextField(max_length=500, required=False, allow_blank=True)
    success = StrictBooleanField(required=False, default=False)
    botUuid = TextField(max_length=64, required=False, allow_blank=True)


class NavigationView(_PublicView):
    parser_classes = [JSONParser]

    @extend_schema(auth=[], responses=answers.NavigationInfoSerializer)
    def get(self, request: Request) -> Response:
        payload = {
            "success": True,
            "message": "Navigation API is running",
            "endpoints": {"POST /api/vapi/navigation": "Log a navigation command {url, command, success, botUuid}"},
        }
        return Response(answers.NavigationInfoSerializer(payload).data)

    @extend_schema(request=_Navigation, auth=[], responses=answers.NavigationLoggedSerializer)
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
        payload = {"success": True, "message": "Navigation logged successfully", "url": url, "command": command}
        return Response(answers.NavigationLoggedSerializer(payload).data)
