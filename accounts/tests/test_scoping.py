"""The owner-scoping base and the permission suite, on a small viewset over bots."""

from __future__ import annotations

import pytest
from django.urls import include, path
from rest_framework import mixins, serializers
from rest_framework.routers import SimpleRouter

from accounts.scoping import OwnedViewSet
from accounts.tests.scoping import assert_owner_only
from bots.models import Bot
from bots.tests.factories import BotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("accounts.tests.test_scoping")]


class _BotSerializer(serializers.ModelSerializer):
    class Meta:
        model = Bot
        fields = ("uuid", "name")


class _Bots(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, OwnedViewSet):
    model = Bot
    serializer_class = _BotSerializer
    lookup_field = "uuid"

    def get_owned_queryset(self, *, user):
        return Bot.objects.filter(user=user).order_by("name")


class _Careless(mixins.RetrieveModelMixin, OwnedViewSet):
    """A selector that forgot its owner filter: the base filters anyway."""

    model = Bot
    serializer_class = _BotSerializer
    lookup_field = "uuid"

    def get_owned_queryset(self, *, user):
        return Bot.objects.all()


router = SimpleRouter(trailing_slash=False)
router.register("api/test/bots", _Bots, basename="test-bots")
router.register("api/test/careless", _Careless, basename="test-careless")
urlpatterns = [*router.urls, path("", include("config.urls"))]


def test_retrieve_is_owner_only(user, other_user, client_for):
    bot = BotFactory(user=user)

    response = assert_owner_only(
        method="get", url=f"/api/test/bots/{bot.uuid}", owner=user, stranger=other_user, client_for=client_for
    )

    assert response.json()["uuid"] == bot.uuid


def test_delete_is_owner_only(user, other_user, client_for):
    bot = BotFactory(user=user)

    assert_owner_only(
        method="delete",
        url=f"/api/test/bots/{bot.uuid}",
        owner=user,
        stranger=other_user,
        client_for=client_for,
        success=(204,),
    )

    assert not Bot.objects.filter(pk=bot.pk).exists()


def test_list_shows_only_the_owners_rows(user, other_user, client_for):
    mine = BotFactory.create_batch(2, user=user)
    BotFactory.create_batch(3, user=other_user)

    response = client_for(user).get("/api/test/bots")

    assert sorted(row["uuid"] for row in response.json()) == sorted(bot.uuid for bot in mine)


def test_the_base_filters_by_owner_even_when_the_selector_forgets(user, other_user, client_for):
    bot = BotFactory(user=other_user)

    assert client_for(user).get(f"/api/test/careless/{bot.uuid}").status_code == 404
    assert client_for(other_user).get(f"/api/test/careless/{bot.uuid}").status_code == 200


def test_a_subclass_cannot_replace_get_queryset():
    with pytest.raises(TypeError, match="must not override get_queryset"):

        class _Sneaky(OwnedViewSet):
            def get_queryset(self):
                return Bot.objects.all()


def test_the_permission_suite_fails_an_endpoint_open_to_everyone(user, other_user, client_for):
    with pytest.raises(AssertionError):
        assert_owner_only(method="get", url="/api/health", owner=user, stranger=other_user, client_for=client_for)
