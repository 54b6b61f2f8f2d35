"""Celery tasks of the bot lifecycle. Thin (STYLE.md 9): load by id, call a service, retry with backoff, and
record the reason when retries run out. With no broker configured they run eagerly, in the web process
(common/tasking.py)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from bots import services
from bots.vapi import VapiNotConfigured, VapiRejected, VapiTransientError
from common.tasking import DatabaseRetryTask, backoff

logger = logging.getLogger(__name__)

# One activation may take this long before Celery stops it; far below BOT_ACTIVATION_STUCK_MINUTES, so a live
# worker is never mistaken for a dead one.
ACTIVATION_TIME_LIMIT = 120


class ActivationTask(DatabaseRetryTask):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        # Anything unexpected (a bug, the database gone): the bot must not stay ACTIVATING without a reason.
        services.bot_activation_fail(bot_id=args[0], reason=f"Activation failed unexpectedly ({type(exc).__name__})")


@shared_task(bind=True, base=ActivationTask, acks_late=True, time_limit=ACTIVATION_TIME_LIMIT)
def activate_bot(self, bot_id: str, claimed: bool = False) -> str:
    if not claimed and self.request.retries == 0 and not services.bot_activation_claim(bot_id=bot_id):
        return "not claimed"  # another worker has it, or it is not PENDING any more
    try:
        services.bot_activation_run(bot_id=bot_id, resumed=self.request.retries > 0)
    except VapiTransientError as exc:
        attempts = self.request.retries + 1
        if self.request.retries >= settings.BOT_ACTIVATION_MAX_RETRIES:
            services.bot_activation_fail(bot_id=bot_id, reason=f"{exc.message} (gave up after {attempts} attempts)")
            return "failed"
        logger.info("Bot %s: %s; retry %d in %d s", bot_id, exc.message, attempts, backoff(self.request.retries))
        raise self.retry(
            countdown=backoff(self.request.retries), max_retries=settings.BOT_ACTIVATION_MAX_RETRIES
        ) from None
    return "done"


@shared_task(bind=True, base=DatabaseRetryTask, acks_late=True)
def sync_assistant(self, bot_id: str) -> str:
    try:
        services.bot_sync_assistant(bot_id=bot_id)
    except services.SyncLater:
        raise self.retry(countdown=30, max_retries=20) from None
    except VapiTransientError as exc:
        if self.request.retries >= settings.BOT_ACTIVATION_MAX_RETRIES:
            services.bot_sync_failed(bot_id=bot_id, reason=exc.message)
            return "failed"
        raise self.retry(
            countdown=backoff(self.request.retries), max_retries=settings.BOT_ACTIVATION_MAX_RETRIES
        ) from None
    return "done"


# Deleting an assistant is retried for about a day (VAPI down for hours must not leave assistants behind).
DELETE_MAX_RETRIES = 12


@shared_task(bind=True, acks_late=True)
def delete_assistant(self, assistant_id: str) -> str:
    try:
        deleted = services.assistant_delete(assistant_id=assistant_id)
    except (VapiNotConfigured, VapiRejected) as exc:
        logger.error("VAPI assistant %s was not deleted: %s", assistant_id, exc.message)
        return "refused"
    except VapiTransientError as exc:
        if self.request.retries >= DELETE_MAX_RETRIES:
            logger.error("VAPI assistant %s was not deleted: %s; giving up", assistant_id, exc.message)
            return "gave up"
        countdown = min(60 * 2**self.request.retries, 3 * 3600)
        raise self.retry(countdown=countdown, max_retries=DELETE_MAX_RETRIES) from None
    return "deleted" if deleted else "already gone"


@shared_task
def activate_due_bots() -> int:
    return services.bots_activate_due()


@shared_task
def recover_stuck_activations() -> int:
    return services.bots_recover_stuck()
