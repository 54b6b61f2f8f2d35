"""Queueing Celery tasks, for every app: after the transaction commits.

``enqueue_on_commit(task, *args)`` is the one way the services queue a task. It sends the task once the surrounding
transaction commits (at once outside one): a worker never looks for a row that is not there yet, and a rolled-back
transaction queues nothing. A broker that is down is logged, not raised: the rows are saved, and beat's recovery
tasks pick up what was not queued. Without a broker Celery runs the task eagerly, there and then.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from celery import Task, current_app
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task | str, *args: Any, **options: Any) -> None:
    """Queue ``task`` with ``args`` once the current transaction commits (at once outside one); nothing when it
    rolls back. ``task`` is a Celery task, or its dotted path (``"bots.tasks.activate_bot"``) for a services module
    that its own tasks module imports. ``options`` are ``apply_async``'s (``kwargs=``, …)."""
    transaction.on_commit(partial(_send, task, args, options), robust=True)


def task_named(name: str) -> Task:
    """The task registered as ``name``, else the one at that dotted path (importing its module registers it)."""
    registered = current_app.tasks.get(name)
    return registered if registered is not None else import_string(name)


def _send(task: Task | str, args: tuple, options: dict[str, Any]) -> None:
    try:
        task = task_named(task) if isinstance(task, str) else task
        task.apply_async(args=args, **options)  # to the broker; eager (here, now) without one
    except Exception:
        logger.exception("Could not queue %s%r", getattr(task, "name", task), args)
