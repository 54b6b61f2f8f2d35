"""Celery tasks of analytics."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from analytics import services
from bots.vapi import VapiError

logger = logging.getLogger(__name__)

# Each beat run looks back this far: enough to cover a worker or VAPI outage, cheap enough to run often.
SYNC_WINDOW = datetime.timedelta(days=2)


@shared_task(acks_late=True, time_limit=600)
def sync_calls() -> dict:
    """Beat: repair calls whose webhook was missed, from VAPI's own list."""
    try:
        stats = services.calls_sync(since=timezone.now() - SYNC_WINDOW)
    except VapiError as exc:
        logger.warning("Call sync skipped: %s", exc.message)
        return {"error": exc.message}
    return {"seen": stats.seen, "created": stats.created, "updated": stats.updated, "skipped": stats.skipped}
