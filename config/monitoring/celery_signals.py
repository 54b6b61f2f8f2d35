"""Celery's part of monitoring, connected when config/celery.py imports this module (every process loads it):

- **Logging**: a ``setup_logging`` receiver makes the worker and beat use Django's ``LOGGING`` (our formats and
  the redaction filter) instead of replacing the root handlers with Celery's own, which would bypass both. The
  ``--loglevel`` of the command line then no longer applies: ``LOG_LEVEL`` does, as for the web.
- **Task ids in logs**: every log line written while a task runs carries its id (``task_id``), also in eager mode,
  where it runs inside a web request and the line carries both ids.
- **Task outcomes in metrics**: ``voicebot_celery_tasks_total{task, outcome}``, counted by the process that ran the
  task (see docs/monitoring.md for when a scrape sees a separate worker's counts).
"""

from __future__ import annotations

from contextvars import Token
from typing import Any

from celery import signals

from config.monitoring.context import task_id_var

# Context tokens of the tasks running in this process, by task id, so that each ends by restoring what was there
# before it (None, or the id of an eager task that ran this one).
_tokens: dict[str, Token] = {}


@signals.setup_logging.connect(dispatch_uid="config.monitoring.setup_logging")
def configure_celery_logging(**kwargs: Any) -> None:
    from django.conf import settings

    from config.monitoring.logs import configure_logging

    configure_logging(settings.LOGGING)


@signals.task_prerun.connect(dispatch_uid="config.monitoring.task_prerun")
def task_started(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _tokens[task_id] = task_id_var.set(task_id)


@signals.task_postrun.connect(dispatch_uid="config.monitoring.task_postrun")
def task_finished(task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    token = _tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            task_id_var.reset(token)
        except ValueError:  # set in another context (cannot happen with Celery's pools; never fail a task on it)
            task_id_var.set(None)
    if task is not None:
        from config.monitoring.metrics import record_task

        record_task(getattr(task, "name", None) or "unknown", state or "UNKNOWN")
