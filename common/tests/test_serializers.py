"""FastOutputMixin gives DRF's own output, field by field, for every field kind it plans and every kind it leaves to
DRF (issue 16)."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from bots.api.serializers import (
    BotActivationSummarySerializer,
    BotDetailSerializer,
    BotOutputSerializer,
    BotSummarySerializer,
)
from bots.models import Bot, BotStatus, RagSourceType
from bots.tests.factories import BotFactory
from common.serializers import FastOutputMixin

pytestmark = pytest.mark.django_db


def drf_output(serializer: serializers.Serializer, instance) -> dict:
    """What DRF's own ``to_representation`` gives for ``instance``, with the same bound fields."""
    return serializers.ModelSerializer.to_representation(serializer, instance)


class EveryKind(FastOutputMixin, serializers.ModelSerializer):
    uuid_text = serializers.CharField(source="uuid")
    attempts = serializers.IntegerField(source="activation_attempts")
    rag = serializers.BooleanField(source="rag_enabled")
    created = serializers.DateTimeField(source="created_at")
    created_day = serializers.DateTimeField(source="created_at", format="%Y-%m-%d")
    created_in_tokyo = serializers.DateTimeField(source="created_at", default_timezone=zoneinfo.ZoneInfo("Asia/Tokyo"))
    activated = serializers.DateTimeField(source="activated_at", allow_null=True)
    owner_email = serializers.CharField(source="user.email")  # a dotted source: DRF's walk
    status_label = serializers.CharField(source="get_status_display")  # a callable source: DRF's call
    shout = serializers.SerializerMethodField()
    missing = serializers.CharField(source="no_such_attribute", required=False)  # skipped by DRF, and by us

    class Meta:
        model = Bot
        fields = (
            "id",
            "user",
            "name",
            "status",
            "uuid_text",
            "attempts",
            "rag",
            "created",
            "created_day",
            "created_in_tokyo",
            "activated",
            "owner_email",
            "status_label",
            "shout",
            "missing",
            "rag_source_type",
            "rag_url",
        )

    def get_shout(self, bot: Bot) -> str:
        return bot.name.upper()


def bots() -> list[Bot]:
    return [
        BotFactory(),
        BotFactory(active=True, rag_enabled=True, rag_source_type=RagSourceType.URL, rag_url="https://example.com"),
        BotFactory(status=BotStatus.FAILED, activation_error="quota", activation_attempts=3),
    ]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
def test_every_field_kind_as_drf_writes_it(zone):
    with timezone.override(zone):
        for bot in bots():
            serializer = EveryKind(bot)
            assert serializer.data == drf_output(EveryKind(bot), bot)
            assert list(serializer.data) == list(drf_output(EveryKind(bot), bot))  # the same order


@pytest.mark.parametrize(
    "serializer_class",
    [BotOutputSerializer, BotDetailSerializer, BotSummarySerializer, BotActivationSummarySerializer],
)
def test_the_bot_serializers_write_what_drf_writes(serializer_class):
    rows = bots()
    fast = serializer_class(rows, many=True).data
    assert [dict(item) for item in fast] == [drf_output(serializer_class(bot), bot) for bot in rows]


@pytest.mark.parametrize(
    "serializer_class",
    [BotOutputSerializer, BotDetailSerializer, BotSummarySerializer, BotActivationSummarySerializer],
)
def test_values_rows_write_what_drf_writes_for_the_model_rows(serializer_class):
    rows = bots()
    queryset = Bot.objects.filter(pk__in=[bot.pk for bot in rows]).order_by("created_at", "pk")
    values = serializer_class.rows_for(queryset)
    assert all(isinstance(row, dict) for row in values)  # no model instances built
    with timezone.override("Asia/Kolkata"):
        assert [dict(item) for item in serializer_class(values, many=True).data] == [
            drf_output(serializer_class(bot), bot) for bot in queryset
        ]


def test_a_serializer_with_a_field_beyond_the_columns_keeps_model_rows():
    queryset = Bot.objects.all()
    assert EveryKind.rows_for(queryset) is queryset


def test_a_row_that_is_not_a_model_instance_goes_through_drf():
    row = {
        "uuid": "u-1",
        "name": "Plain",
        "status": "ACTIVE",
        "created_at": timezone.now(),
        "documents_processed": 2,
        "rag_enabled": 1,
        "embed_code": "<script></script>",
        "activation_scheduled_at": None,
    }
    assert BotSummarySerializer().to_representation(row) == serializers.ModelSerializer.to_representation(
        BotSummarySerializer(), row
    )


def test_an_out_of_range_datetime_fails_as_in_drf():
    bot = BotFactory()
    bot.created_at = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    with timezone.override("Asia/Tokyo"), pytest.raises(serializers.ValidationError):
        BotOutputSerializer(bot).data  # noqa: B018


def test_a_shared_plan_follows_the_time_zone():
    """The bot serializers share one plan per class and time zone: each zone writes its own times."""
    rows = bots()
    for zone in ("UTC", "Asia/Kolkata", "UTC", "America/St_Johns"):
        with timezone.override(zone):
            assert [dict(item) for item in BotOutputSerializer(rows, many=True).data] == [
                drf_output(BotOutputSerializer(bot), bot) for bot in rows
            ]


def test_a_shared_plan_keeps_no_request_alive():
    """A plan shared by the process is planned on a serializer of its own: the first request's serializer, its
    rows and its context are not kept for the life of the process."""
    import gc
    import weakref

    class Request:
        pass

    class Fresh(BotSummarySerializer):  # a class no other test has planned yet
        class Meta(BotSummarySerializer.Meta):
            pass

    request = Request()
    serializer = Fresh(bots(), many=True, context={"request": request})
    assert len(serializer.data) == 3
    gone = weakref.ref(request)
    del request, serializer
    gc.collect()
    assert gone() is None
