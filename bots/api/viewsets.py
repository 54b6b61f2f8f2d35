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
from django import forms
from django.core.paginator import Page
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
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
    """``page`` (from 1; a page past the last, or not a number, is a 404, as DRF answers it) and ``limit`` (1 or
    more, 50 when not given; more than 200 counts as 200). A ``limit`` that is not a positive integer is a 400: DRF
    would quietly use the default, which the schema (an integer from 1) does not allow."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    last_page_strings = ()  # DRF's page=last: not an integer, which the schema says a page is

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise serializers.ValidationError({self.page_size_query_param: ["Enter a whole number from 1."]})
        return min(int(raw), self.max_page_size)

    def get_page_number(self, request: Request, paginator) -> str | int:
        if request.query_params.get(self.page_query_param) == "":
            # DRF reads an empty page as the first; like any other page that is not a number, it is no page.
            raise NotFound(self.invalid_page_message.format(page_number="", message=""))
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        page, limit = super().get_schema_operation_parameters(view)
        page["schema"]["minimum"] = 1
        limit["schema"]["minimum"] = 1
        limit["description"] = f"Bots per page: {self.page_size} when not given, at most {self.max_page_size}."
        return [page, limit]

    def paginate_queryset(self, queryset, request: Request, view=None):
        """DRF's paging, without its ``COUNT(*)`` when the first page holds every row: page 1 reads one row more
        than it shows, and when it finds no more, the count is the rows it read (most owners have one page of
        bots; the list is the dashboard's first request). Other pages, and a first page with more behind it, count
        as DRF does."""
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, page_size)
        if str(self.get_page_number(request, paginator)) != "1":
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        rows = list(queryset[: page_size + 1])
        if len(rows) <= page_size:
            paginator.__dict__["count"] = len(rows)  # Paginator.count is a cached_property: known, not queried
        self.page = Page(rows[:page_size], 1, paginator)
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return list(self.page)

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
            "required": ["success", "count", "next", "previous", "bots"],
        }


# The filters take what the schema states and refuse the rest (400), an empty value too: django-filter reads a
# value it does not know, or an empty one, as "no filter", and would list every bot.


class _TrueOrFalse(forms.Field):
    def to_python(self, value: str | None) -> bool | None:
        if value is None:
            return None  # not given
        if value not in ("true", "false"):
            raise forms.ValidationError("Enter true or false.")
        return value == "true"


class _GivenChoice(django_filters.fields.ChoiceField):
    def to_python(self, value: str | None) -> str:
        if value == "":
            raise forms.ValidationError("Choose one of the values, or leave the filter out.")
        return super().to_python(value)


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = _TrueOrFalse


class StrictChoiceFilter(django_filters.ChoiceFilter):
    field_class = _GivenChoice


class BotFilter(django_filters.FilterSet):
    status = StrictChoiceFilter(
        choices=[(value.lower(), label) for value, label in BotStatus.choices], method="filter_status"
    )
    ragEnabled = StrictBooleanFilter(field_name="rag_enabled")
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

    def filter_queryset(self, queryset):
        """django-filter's, when a query parameter names one of BotFilter's filters (each reads the parameter of
        its own name). Without one there is nothing to filter and nothing to refuse, and the FilterSet's form
        (built and validated on every request: a tenth of the list's time) is skipped."""
        if self.request.query_params.keys().isdisjoint(BotFilter.base_filters):
            return queryset
        return super().filter_queryset(queryset)

    # The rule documents 404s for paths with a record in them; this one comes from the page number.
    @extend_schema(responses={200: BotDetailSerializer(many=True), 404: OpenApiResponse(description="Invalid page")})
    @replica_reads
    def list(self, request: Request, *args, **kwargs) -> Response:
        """DRF's list (filters, then a page), declared replica-safe (docs/replica.md), its rows read as
        ``values()`` dicts: no model instance for each of up to 200 bots (``FastOutputMixin.rows_for``)."""
        queryset = BotDetailSerializer.rows_for(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(BotDetailSerializer(page, many=True).data)

    @extend_schema(request=BotInputSerializer, responses={201: _envelope("BotCreatedResponse", BotDetailSerializer())})
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = BotInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        bot = services.bot_create(owner=self.owner, data=serializer.validated_data, base_url=public_base_url(request))
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
        # 200 with a body (not 204): the API's envelope on every success.
        responses={
            200: inline_serializer(
                "BotDeletedResponse", {"success": serializers.BooleanField(), "message": serializers.CharField()}
            )
        }
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
