"""Run a task's body as a Celery worker does, in the test process: not eagerly (eager tasks are never retried on
database errors) and not "called directly" (which Celery never retries either). The retry a task schedules is
recorded instead of being sent to the broker, and surfaces as ``celery.exceptions.Retry``."""

from __future__ import annotations

from typing import Any

import pytest
from celery import Task


class WorkerRun:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.scheduled: list[dict[str, Any]] = []  # the options of each retry sent (countdown, retries, …)

    def __call__(self, task: Task, *args: Any, retries: int = 0, **kwargs: Any) -> Any:
        real = task._get_current_object() if hasattr(task, "_get_current_object") else task
        self.monkeypatch.setattr(real, "apply_async", lambda *a, **options: self.scheduled.append(options))
        real.push_request(
            id=f"test-{real.name}-{retries}",
            args=list(args),
            kwargs=kwargs,
            retries=retries,
            is_eager=False,
            called_directly=False,
            delivery_info={"routing_key": "celery"},
        )
        try:
            return real.run(*args, **kwargs)
        finally:
            real.pop_request()
