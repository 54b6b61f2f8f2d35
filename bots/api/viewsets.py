"""The REST bot resource, beyond the original: list, create, retrieve, update, delete, and re-activate.

GET    /api/bots                 the user's bots (paged; filters: status, ragEnabled, search)
POST   /api/bots                 create (JSON; the legacy multipart route is /api/bots/create)
GET    /api/bots/{uuid}          one bot
PATCH  /api/bots/{uuid}          change any editable field (validated)
DELETE /api/bots/{uuid}          delete it, its documents and files, sessions, calls, and its VAPI assistant
POST   /api/bots/{uuid}/reactivate   retry a FAILED bot
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.scoping import OwnedViewSet
from bots import selectors, services
from bots.api.serializers import BotDetailSerializer, BotInputSerializer
from bots.embed import public_base_url
from bots.models import Bot, BotStatus
from common.inputs import BOT_UUID_PATTERN, JSONParser
from common.replica import replica_reads


class BotPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def get_paginated_response(self, data):
        return Response(
            {
                "success": True,
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "bots": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "properties": {
                "success": {"type": "boolean"},
                "count": {"type": "integer"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "bots": schema,
            },
        }


class BotFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[(value.lower(), label) for value, label in BotStatus.choices], method="filter_status"
    )
    ragEnabled = django_filters.BooleanFilter(field_name="rag_enabled")
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Bot
        fields: list[str] = []

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value.upper())


def _envelope(name: str, serializer) -> serializers.Serializer:
    return inline_serializer(name, {"success": serializers.BooleanField(), "bot": serializer})


class BotViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    OwnedViewSet,
):
    model = Bot
    lookup_field = "uuid"
    lookup_value_regex = BOT_UUID_PATTERN
    serializer_class = BotDetailSerializer
    pagination_class = BotPagination
    filterset_class = BotFilter
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_owned_queryset(self, *, user):
        return selectors.bot_list(user=user)

    def get_serializer_class(self):
        return BotInputSerializer if self.action in ("create", "partial_update") else BotDetailSerializer

    @replica_reads
    def list(self, request: Request, *args, **kwargs) -> Response:
        # DRF's list, declared replica-safe: a read replica may answer it (docs/replica.md).
        return super().list(request, *args, **kwargs)

    @extend_schema(request=BotInputSerializer, responses={201: _envelope("BotCreatedResponse", BotDetailSerializer())})
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = BotInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        bot = services.bot_create(owner=request.user, data=serializer.validated_data, base_url=public_base_url(request))
        bot = selectors.bot_refresh(bot=bot)
        return Response({"success": True, "bot": BotDetailSerializer(bot).data}, status=status.HTTP_201_CREATED)

    @extend_schema(responses=_envelope("BotDetailResponse", BotDetailSerializer()))
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response({"success": True, "bot": BotDetailSerializer(self.get_object()).data})

    @extend_schema(request=BotInputSerializer, responses=_envelope("BotUpdatedResponse", BotDetailSerializer()))
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        bot = self.get_object()
        serializer = BotInputSerializer(bot, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        bot = services.bot_update(bot=bot, data=serializer.validated_data, base_url=public_base_url(request))
        bot = selectors.bot_refresh(bot=bot)
        return Response({"success": True, "bot": BotDetailSerializer(bot).data})

    @extend_schema(
        responses=inline_serializer(
            "BotDeletedResponse", {"success": serializers.BooleanField(), "message": serializers.CharField()}
        )
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.bot_delete(bot=self.get_object())
        return Response({"success": True, "message": "Bot deleted"})

    @extend_schema(request=None, responses=_envelope("BotReactivatedResponse", BotDetailSerializer()))
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, uuid: str) -> Response:
        bot = self.get_object()
        services.bot_reactivate(bot=bot)
        bot = selectors.bot_refresh(bot=bot)
        return Response({"success": True, "bot": BotDetailSerializer(bot).data})
