"""Reads of bots. Everything that returns a user's data takes ``user=`` and is scoped to it."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from bots.models import Bot, BotStatus
from common.errors import NotFoundError

BOT_NOT_FOUND = "Bot not found"


def bot_list(*, user: User) -> QuerySet[Bot]:
    """The user's bots, newest first (as the original listed them)."""
    return Bot.objects.filter(user=user).order_by("-created_at", "-id")


def bot_counts(*, user: User) -> dict[str, int]:
    """The user's number of bots, ``total`` and ``active`` (ACTIVE), in one aggregate query."""
    return Bot.objects.filter(user=user).aggregate(
        total=Count("id"), active=Count("id", filter=Q(status=BotStatus.ACTIVE))
    )


def bot_get(*, user: User, uuid: str) -> Bot:
    """One of the user's bots by its public uuid; 404 "Bot not found" for another user's bot as for no bot."""
    bot = Bot.objects.filter(user=user, uuid=uuid).first()
    if bot is None:
        raise NotFoundError(BOT_NOT_FOUND)
    return bot


def bot_refresh(*, bot: Bot) -> Bot:
    """``bot`` as the database holds it now; 404 "Bot not found" when it was deleted meanwhile (a request racing
    its owner's delete in another tab must answer 404, not fail)."""
    fresh = Bot.objects.filter(pk=bot.pk).first()
    if fresh is None:
        raise NotFoundError(BOT_NOT_FOUND)
    return fresh


def bot_get_public(*, uuid: str) -> Bot:
    """A bot by uuid for the widget's public routes: the caller only ever sees its public fields."""
    bot = Bot.objects.filter(uuid=uuid).first()
    if bot is None:
        raise NotFoundError(BOT_NOT_FOUND)
    return bot
