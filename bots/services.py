"""Writes on bots: create, update, delete, and the activation lifecycle PENDING → ACTIVATING → ACTIVE / FAILED.

The lifecycle in one picture:

    create ─► PENDING ──claim──► ACTIVATING ──POST /assistant──► ACTIVE ──deactivate──► PENDING
                ▲                   │  (timeouts, 429, 5xx: retried with backoff)
                │                   └──refused, not configured, retries exhausted──► FAILED
                └───────────────────────────────reactivate──────────────────────────────┘

"Claim" is one conditional UPDATE (PENDING → ACTIVATING): however many workers try at once, one wins, and only
the winner calls VAPI. Tasks (bots/tasks.py) are thin: they call the functions here.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from bots import tasks
from bots.embed import embed_code
from bots.models import Bot, BotStatus
from bots.selectors import BOT_NOT_FOUND
from bots.signals import bot_changed, bot_deleting
from bots.vapi import (
    VapiClient,
    VapiNotConfigured,
    VapiRejected,
    assistant_body,
    bot_secret,
)
from common.errors import ConflictError, NotFoundError, ServiceError
from common.tasking import enqueue_on_commit

logger = logging.getLogger(__name__)

# The routes VAPI calls us at, by URL name: analytics serves the webhook, documents the knowledge base.
WEBHOOK_ROUTE = "vapi-webhook"
KNOWLEDGE_BASE_ROUTE = "vapi-knowledge-base"
# Changing these changes what the VAPI assistant says or hears: an ACTIVE bot's assistant is updated.
ASSISTANT_FIELDS = frozenset({"name", "welcome_message", "system_prompt", "language", "voice", "rag_enabled"})
# Changing these changes the embed code.
EMBED_FIELDS = frozenset({"language", "position", "theme"})
# A bot whose activation was abandoned this many times (a worker died each time) is marked FAILED.
MAX_ACTIVATION_ATTEMPTS = 3


def bot_lock(*, bot: Bot, for_delete: bool = False) -> Bot:
    """The bot's row, locked until the transaction ends; 404 when it was deleted meanwhile. Every write that reads
    a bot before changing it, or adds rows and files under it (uploads), goes through here, and so does the delete:
    whichever commits first wins, and the other finds nothing to half-write, or sees every row (and stored file)
    the first one added.

    The lock is taken before any of the bot's documents are touched (lock order: bot, then its rows). Writes take
    ``FOR NO KEY UPDATE``, which a document's processing (holding the bot ``FOR KEY SHARE`` while it reads a file)
    does not block; the delete takes ``FOR UPDATE``, which waits for that processing to finish."""
    locked = Bot.objects.select_for_update(no_key=not for_delete).filter(pk=bot.pk).first()
    if locked is None:
        raise NotFoundError(BOT_NOT_FOUND)
    return locked


def _embed_code_for(bot: Bot, base_url: str) -> str:
    return embed_code(uuid=bot.uuid, language=bot.language, position=bot.position, theme=bot.theme, base_url=base_url)


# --- Create, update, delete -------------------------------------------------------------------------------------


@transaction.atomic
def bot_create(*, owner: User, data: dict[str, Any], base_url: str) -> Bot:
    """Create the bot (``data``: validated model fields) and schedule its activation: right after commit when
    ``activation_scheduled_at`` has come (the default), else the beat task does it. Its knowledge base follows
    (``bot_changed``: documents crawls a website); a bot created with files is ``documents.services.
    bot_create_with_files``."""
    bot = Bot(user=owner, **data)
    bot.embed_code = _embed_code_for(bot, base_url)
    bot.save()
    bot_changed.send(sender=Bot, bot=bot, changed=set(data), created=True)
    if bot.activation_scheduled_at <= timezone.now():
        enqueue_on_commit(tasks.activate_bot, bot.id)
    return bot


@transaction.atomic
def bot_update(*, bot: Bot, data: dict[str, Any], base_url: str) -> Bot:
    """Apply validated changes. The embed code follows position, theme and language; an ACTIVE bot's VAPI
    assistant follows what it says and hears (updated in the background)."""
    bot = bot_lock(bot=bot)
    changed = {field for field, value in data.items() if getattr(bot, field) != value}
    for field in changed:
        setattr(bot, field, data[field])
    if changed & EMBED_FIELDS:
        bot.embed_code = _embed_code_for(bot, base_url)
    bot.save()
    if changed & ASSISTANT_FIELDS and bot.status in (BotStatus.ACTIVE, BotStatus.ACTIVATING):
        enqueue_on_commit(tasks.sync_assistant, bot.id)
    if "activation_scheduled_at" in changed and _first_activation_due(bot):
        enqueue_on_commit(tasks.activate_bot, bot.id)
    # The knowledge base follows (documents' receiver): a new website is crawled, a new language re-indexes.
    bot_changed.send(sender=Bot, bot=bot, changed=changed, created=False)
    return bot


@transaction.atomic
def bot_delete(*, bot: Bot) -> None:
    """Delete the bot with its documents (stored files too), sessions and calls; its VAPI assistant is deleted in
    the background (retried while VAPI is down), so the bot goes now whatever VAPI says. Stored files are
    documents' (its receiver of ``bot_deleting``)."""
    bot = bot_lock(bot=bot, for_delete=True)  # an upload under way commits first; its files go with the rest
    bot_deleting.send(sender=Bot, bot=bot)
    assistant_ids_delete_on_commit([bot.vapi_assistant_id])
    bot.delete()


def bot_lock_shared(*, bot_id: str) -> bool:
    """``FOR KEY SHARE`` on the bot's row until the transaction ends (PostgreSQL; nothing elsewhere), for long work
    on its documents (processing a file, indexing a page): edits of the bot go on meanwhile, its delete waits. Taken
    before the document's own lock, in ``bot_lock``'s order. False when the bot is gone."""
    if connection.vendor != "postgresql":
        return Bot.objects.filter(pk=bot_id).exists()
    # Raw SQL: the ORM's select_for_update has FOR UPDATE and FOR NO KEY UPDATE, not FOR KEY SHARE.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM bots WHERE id = %s FOR KEY SHARE", [bot_id])
        return cursor.fetchone() is not None


def assistant_ids_delete_on_commit(assistant_ids: Iterable[str | None]) -> None:
    for assistant_id in assistant_ids:
        if assistant_id:
            enqueue_on_commit(tasks.delete_assistant, assistant_id)


def bot_activate_if_due(*, bot: Bot) -> bool:
    """Queue the first activation of a bot whose time has come, when its status is read. Beat does the same every
    minute; this makes the zero-setup quick start (no broker, no beat) activate scheduled bots too. True when it
    queued one (without a broker it has run already: the caller reads the bot again)."""
    if not _first_activation_due(bot):
        return False
    with transaction.atomic():
        enqueue_on_commit(tasks.activate_bot, bot.id)
    return True


def _first_activation_due(bot: Bot) -> bool:
    return (
        bot.status == BotStatus.PENDING
        and bot.activation_attempts == 0
        and bot.activation_scheduled_at <= timezone.now()
    )


# --- Owner actions on the lifecycle ------------------------------------------------------------------------------


@transaction.atomic
def bot_request_activation(*, bot: Bot) -> None:
    """The legacy "activate" action: a PENDING bot starts activating now."""
    if not bot_activation_claim(bot_id=bot.id):
        status = bot_lock(bot=bot).status.lower()
        raise ServiceError(f"Bot is already {status}", status=status)
    enqueue_on_commit(tasks.activate_bot, bot.id, kwargs={"claimed": True})


@transaction.atomic
def bot_deactivate(*, bot: Bot) -> None:
    """The legacy "deactivate" action: an ACTIVE bot goes back to PENDING and its VAPI assistant is deleted. It
    stays PENDING until activated again (the beat task only starts first activations)."""
    locked = bot_lock(bot=bot)
    if locked.status != BotStatus.ACTIVE:
        raise ServiceError("Bot is not active", status=locked.status.lower())
    assistant_ids_delete_on_commit([locked.vapi_assistant_id])
    Bot.objects.filter(pk=bot.pk).update(
        status=BotStatus.PENDING, vapi_assistant_id=None, vapi_sync_error=None, updated_at=Now()
    )


@transaction.atomic
def bot_reactivate(*, bot: Bot) -> None:
    """Retry a FAILED bot: back to PENDING, and activation starts right away."""
    updated = Bot.objects.filter(pk=bot.pk, status=BotStatus.FAILED).update(
        status=BotStatus.PENDING, activation_error=None, activation_scheduled_at=Now(), updated_at=Now()
    )
    if not updated:
        raise ConflictError(f"Only a failed bot can be re-activated; this one is {bot_lock(bot=bot).status.lower()}")
    enqueue_on_commit(tasks.activate_bot, bot.id)


@transaction.atomic
def bot_set_assistant(*, bot: Bot, assistant_id: str) -> Bot:
    """The legacy PATCH of the status route: link an assistant made elsewhere. A bot with an assistant is live."""
    bot = bot_lock(bot=bot)
    if Bot.objects.filter(vapi_assistant_id=assistant_id).exclude(pk=bot.pk).exists():
        raise ConflictError("That VAPI assistant already belongs to another bot")
    bot.vapi_assistant_id = assistant_id
    if bot.status != BotStatus.ACTIVE:
        bot.status = BotStatus.ACTIVE
        bot.activated_at = timezone.now()
        bot.activation_error = None
    bot.save()
    return bot


# --- The activation itself (called by bots/tasks.py) -------------------------------------------------------------


def bot_activation_claim(*, bot_id: str) -> bool:
    """PENDING → ACTIVATING in one conditional UPDATE: True for the one caller that moved it."""
    return (
        Bot.objects.filter(pk=bot_id, status=BotStatus.PENDING).update(
            status=BotStatus.ACTIVATING,
            activation_started_at=Now(),
            activation_attempts=F("activation_attempts") + 1,
            activation_error=None,
            updated_at=Now(),
        )
        == 1
    )


def vapi_configuration_problem() -> str | None:
    """What is missing for VAPI to serve a bot, or None."""
    for setting, why in (
        ("VAPI_PRIVATE_KEY", "to create assistants"),
        ("PUBLIC_BASE_URL", "for VAPI to send call events and knowledge-base requests to"),
        ("VAPI_WEBHOOK_SECRET", "to authenticate VAPI's requests to us"),
    ):
        if not getattr(settings, setting):
            return f"VAPI is not configured: {setting} is not set ({why})"
    return None


def assistant_body_for(bot: Bot) -> dict[str, Any]:
    problem = vapi_configuration_problem()
    if problem:
        raise VapiNotConfigured(problem)
    base = settings.PUBLIC_BASE_URL
    return assistant_body(
        name=bot.name,
        first_message=bot.welcome_message,
        system_prompt=bot.system_prompt,
        language=bot.language,
        voice=bot.voice,
        webhook_url=base + reverse(WEBHOOK_ROUTE),
        knowledge_base_url=base + reverse(KNOWLEDGE_BASE_ROUTE) if bot.rag_enabled else None,
        secret=bot_secret(bot.uuid),  # this bot's own (bots/vapi.py): it answers for no other bot
        metadata={"botUuid": bot.uuid, "botId": bot.id},
    )


def bot_activation_run(*, bot_id: str, resumed: bool) -> None:
    """Create the VAPI assistant of a claimed (ACTIVATING) bot and mark it ACTIVE.

    ``VapiTransientError`` propagates (the task retries); a refusal or a missing setting marks the bot FAILED with
    the reason. A resumed attempt first looks for an assistant that an earlier, timed-out attempt may have made.
    """
    bot = Bot.objects.filter(pk=bot_id, status=BotStatus.ACTIVATING).first()
    if bot is None:
        return  # deleted, or finished by someone else
    try:
        body = assistant_body_for(bot)
        with VapiClient.from_settings() as vapi:
            assistant = None
            if resumed or bot.activation_attempts > 1:
                assistant = vapi.find_assistant(metadata_key="botUuid", value=bot.uuid, created_after=bot.created_at)
            if assistant is None:
                assistant = vapi.create_assistant(body)
    except (VapiNotConfigured, VapiRejected) as exc:
        bot_activation_fail(bot_id=bot_id, reason=exc.message)
        return
    assistant_id = assistant.get("id") if isinstance(assistant, dict) else None
    if not isinstance(assistant_id, str) or not assistant_id:
        bot_activation_fail(bot_id=bot_id, reason="VAPI created the assistant but did not say its id")
        return
    went_live = Bot.objects.filter(pk=bot_id, status=BotStatus.ACTIVATING).update(
        status=BotStatus.ACTIVE,
        vapi_assistant_id=assistant_id,
        activated_at=Now(),
        activation_error=None,
        vapi_sync_error=None,
        updated_at=Now(),
    )
    if went_live:
        logger.info("Bot %s is ACTIVE with VAPI assistant %s", bot_id, assistant_id)
    else:
        # The bot was deleted (or reset) while VAPI was creating its assistant: do not leave it behind.
        logger.info("Bot %s went away during activation; deleting assistant %s", bot_id, assistant_id)
        with transaction.atomic():
            assistant_ids_delete_on_commit([assistant_id])


def bot_activation_fail(*, bot_id: str, reason: str) -> None:
    updated = Bot.objects.filter(pk=bot_id, status=BotStatus.ACTIVATING).update(
        status=BotStatus.FAILED, activation_error=reason[:2000], updated_at=Now()
    )
    if updated:
        logger.warning("Bot %s activation FAILED: %s", bot_id, reason)


def bots_activate_due(*, limit: int = 500) -> int:
    """Beat: queue the first activation of every PENDING bot whose time has come (claims make repeats harmless).
    Bots that were activated before and deactivated stay PENDING until their owner activates them."""
    ids = list(
        Bot.objects.filter(status=BotStatus.PENDING, activation_attempts=0, activation_scheduled_at__lte=Now())
        .order_by("activation_scheduled_at")
        .values_list("id", flat=True)[:limit]
    )
    for bot_id in ids:
        with transaction.atomic():
            enqueue_on_commit(tasks.activate_bot, bot_id)
    return len(ids)


def bots_recover_stuck(*, now: datetime.datetime | None = None) -> int:
    """Beat: a bot ACTIVATING for longer than BOT_ACTIVATION_STUCK_MINUTES lost its worker. It is claimed again
    (and the new attempt adopts an assistant the old one may have made), or FAILED after a few such attempts."""
    cutoff = (now or timezone.now()) - datetime.timedelta(minutes=settings.BOT_ACTIVATION_STUCK_MINUTES)
    stuck = Bot.objects.filter(status=BotStatus.ACTIVATING, activation_started_at__lt=cutoff)
    gave_up = stuck.filter(activation_attempts__gte=MAX_ACTIVATION_ATTEMPTS).update(
        status=BotStatus.FAILED,
        activation_error=f"Activation did not finish after {MAX_ACTIVATION_ATTEMPTS} attempts",
        updated_at=Now(),
    )
    ids = list(stuck.values_list("id", flat=True))
    for bot_id in ids:
        with transaction.atomic():
            if Bot.objects.filter(pk=bot_id, status=BotStatus.ACTIVATING, activation_started_at__lt=cutoff).update(
                status=BotStatus.PENDING, updated_at=Now()
            ):
                enqueue_on_commit(tasks.activate_bot, bot_id)
    if ids or gave_up:
        logger.warning("Recovered %d stuck activations; %d bots failed for good", len(ids), gave_up)
    return len(ids)


# --- Keeping an ACTIVE bot's assistant up to date ------------------------------------------------------------


class SyncLater(Exception):
    """The bot is still ACTIVATING: try the sync again later."""


def bot_sync_assistant(*, bot_id: str) -> None:
    """PATCH the assistant with the bot's current configuration (the complete object). ``VapiTransientError`` and
    ``SyncLater`` propagate for the task to retry; other failures are recorded in ``vapi_sync_error``."""
    bot = Bot.objects.filter(pk=bot_id).first()
    if bot is None:
        return
    if bot.status == BotStatus.ACTIVATING:
        raise SyncLater
    if bot.status != BotStatus.ACTIVE or not bot.vapi_assistant_id:
        return
    try:
        body = assistant_body_for(bot)
        with VapiClient.from_settings() as vapi:
            vapi.update_assistant(bot.vapi_assistant_id, body)
    except VapiRejected as exc:
        if exc.status_code == 404:
            # Someone deleted the assistant on VAPI: the bot no longer works; say so and let it be re-activated.
            Bot.objects.filter(pk=bot_id, vapi_assistant_id=bot.vapi_assistant_id).update(
                status=BotStatus.FAILED,
                vapi_assistant_id=None,
                activation_error="The VAPI assistant no longer exists; re-activate the bot to create a new one",
                updated_at=Now(),
            )
            return
        bot_sync_failed(bot_id=bot_id, reason=exc.message)
        return
    except VapiNotConfigured as exc:
        bot_sync_failed(bot_id=bot_id, reason=exc.message)
        return
    Bot.objects.filter(pk=bot_id).update(vapi_sync_error=None)


def bot_sync_failed(*, bot_id: str, reason: str) -> None:
    Bot.objects.filter(pk=bot_id).update(vapi_sync_error=reason[:2000], updated_at=Now())
    logger.warning("Bot %s: the VAPI assistant could not be updated: %s", bot_id, reason)


def assistant_delete(*, assistant_id: str) -> bool:
    """Delete a VAPI assistant; ``VapiTransientError`` propagates for the task to retry."""
    with VapiClient.from_settings() as vapi:
        return vapi.delete_assistant(assistant_id)
