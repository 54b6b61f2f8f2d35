"""The Celery application. Settings come from Django's (``CELERY_*``); with no broker, tasks run eagerly.

A worker waits for the database before it takes its first task (``wait_for_database_at_worker_start``)."""

import logging
import os

from celery import Celery
from celery.signals import worker_init

# Connects Celery's logging to Django's LOGGING (JSON, redacted), task ids to logs, task outcomes to metrics.
import config.monitoring.celery_signals  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("voicebot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# sysexits' EX_TEMPFAIL: a temporary failure, worth starting again (platforms restart any non-zero exit).
EXIT_DATABASE_UNAVAILABLE = os.EX_TEMPFAIL


@worker_init.connect(dispatch_uid="config.celery.wait_for_database_at_worker_start")
def wait_for_database_at_worker_start(sender=None, **kwargs) -> None:
    """Block a starting worker until the database answers, for at most ``DATABASE_WAIT_TIMEOUT`` seconds.

    Why: after a deploy or a failover the worker often starts before the database; every task it took meanwhile
    would fail, and the activation and processing tasks then record FAILED for good. If the database never answers,
    the worker exits with ``EXIT_DATABASE_UNAVAILABLE`` rather than run: a worker that looks up but fails every task
    is worse than one the platform visibly restarts. Logs name the error class only, never the host or user.

    ``worker_init`` is sent once, in the worker's main process, before the pool forks its children, and only by a
    worker that starts: never in eager mode (no worker) nor by tests that start none; the eager check guards a
    worker started without a broker. The connection it opened is closed, and in pool mode the pool too: its
    threads would not survive the fork, and each child opens its own.
    """
    if app.conf.task_always_eager:
        return
    from django.conf import settings
    from django.db import DEFAULT_DB_ALIAS, connections

    from config.database import DatabaseUnavailable, wait_for_database

    def report(attempt: int, error: str, delay: float) -> None:
        logger.warning("Database not answering yet (attempt %d: %s); trying again in %.1f s", attempt, error, delay)

    try:
        waited = wait_for_database(DEFAULT_DB_ALIAS, timeout=settings.DATABASE_WAIT_TIMEOUT, report=report)
    except DatabaseUnavailable as exc:
        logger.critical("%s; the worker exits for the platform to restart it", exc)
        raise SystemExit(EXIT_DATABASE_UNAVAILABLE) from None
    finally:
        connection = connections[DEFAULT_DB_ALIAS]
        connection.close()
        if connection.settings_dict["OPTIONS"].get("pool"):
            connection.close_pool()
    logger.info("Database answered after %.1f s; the worker starts", waited)
