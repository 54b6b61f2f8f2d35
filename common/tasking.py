"""Queueing Celery tasks, for every app: after the transaction commits, and without a broker in the background of
the web process that queued them.

``enqueue_on_commit(task, *args)`` is the one way the services queue a task. It sends the task once the surrounding
transaction commits (at once outside one): a worker never looks for a row that is not there yet, and a rolled-back
transaction queues nothing. A broker that is down is logged, not raised: the rows are saved, and beat's recovery
tasks pick up what was not queued.

Without a broker (no ``CELERY_BROKER_URL``: the quick start) Celery runs tasks eagerly, in the process that queues
them. ``TASKS_WITHOUT_BROKER`` says where:

- ``background`` (the default): not in the request. A web request may not outlive gunicorn's worker timeout, and
  the processing of large uploads takes longer (three 49 MB texts at once: about 30 s on two cores), so a web
  process runs its tasks in one worker thread of its own, started by its first request (``start_with_request``,
  connected to ``request_started``), one task at a time, each as Celery's eager mode runs it (``Task.apply``:
  retries at once, a failure to the task's ``on_failure``), its database connections closed afterwards. The request
  answers as soon as its transaction commits; the pages and the API show the documents' progress.
  Without a broker there is no beat either: the same thread runs the jobs of ``CELERY_BEAT_SCHEDULE`` (due
  activations, stuck activations and documents, call sync) at their intervals, the first right after the
  process's first request. Each web process runs its own: every job is safe to run concurrently (the recovery
  sweeps claim rows with conditional updates and ``skip_locked``), so a document left PROCESSING or PENDING by a
  process that was killed is queued again by the next sweep after ``DOCUMENT_PROCESSING_STUCK_MINUTES``.
  A process that has served no request (a management command, a shell, Celery itself) runs what it queues inline,
  as before: it would exit before a thread of its own finished, and it has no beat to run.
- ``inline``: every task runs inside the request that queued it, and nothing runs on a schedule. For the test
  suite (config/test_settings.py), where it keeps tasks synchronous and deterministic; not for serving.

What the broker-less mode is not: production. Its tasks die with their process (a deploy, a killed worker: then
the next sweep, a half hour later, takes them up again), are never retried later with backoff (eager retries run
at once), and are queued per process, in its memory.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
import os
import queue
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError, connections, transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

BACKGROUND = "background"


def enqueue_on_commit(task: Task, *args: Any, **options: Any) -> None:
    """Queue ``task`` (the task itself, never its name: a reader and an IDE follow the reference to it) with
    ``args`` once the current transaction commits (at once outside one); nothing when it rolls back. ``options``
    are ``apply_async``'s (``kwargs=``, …)."""
    if isinstance(task, str):
        raise TypeError(f"enqueue_on_commit() takes the task, not its name ({task!r})")
    transaction.on_commit(partial(_send, task, args, options), robust=True)


def task_named(name: str) -> Task:
    """The task registered as ``name``, else the one at that dotted path (importing its module registers it)."""
    registered = current_app.tasks.get(name)
    return registered if registered is not None else import_string(name)


def _send(task: Task, args: tuple, options: dict[str, Any]) -> None:
    try:
        if background.running():
            background.submit(task, args, options)
        else:
            task.apply_async(args=args, **options)  # to the broker; eager (here, now) without one
    except Exception:
        logger.exception("Could not queue %s%r", getattr(task, "name", task), args)


# --- Without a broker: a worker thread per web process, and its beat ---------------------------------------------


@dataclass
class Job:
    """A beat job run by the background worker: ``task`` every ``interval`` seconds."""

    task: Task
    interval: float
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    due: float = 0.0


def scheduled_jobs(schedule: Mapping[str, Mapping[str, Any]]) -> list[Job]:
    """The jobs of a ``CELERY_BEAT_SCHEDULE`` whose schedules are intervals (seconds or timedeltas)."""
    jobs = []
    for name, entry in schedule.items():
        every = entry["schedule"]
        if isinstance(every, timedelta):
            every = every.total_seconds()
        if not isinstance(every, int | float) or every <= 0:
            raise ImproperlyConfigured(f"Beat job {name}: only intervals run without a broker, not {every!r}")
        task = task_named(entry["task"])
        jobs.append(Job(task, float(every), tuple(entry.get("args", ())), dict(entry.get("kwargs", {}))))
    return jobs


_STOP = object()


class Background:
    """One daemon worker thread that runs the tasks it is given, one at a time, and its beat jobs when they are due.

    Fork-safe: gunicorn forks its workers from one process, and a thread does not survive a fork (nor may its locks
    and queue be trusted in the child, where they may have been held at that instant). The module's instance is
    reset in every child (``os.register_at_fork``), which starts its own worker with its first request; what was
    queued in the parent stays the parent's."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, jobs: Iterable[Job] = ()) -> None:
        """Start the worker thread (once: later calls do nothing while it runs); its beat ``jobs`` are due at once.
        A worker that died (it cannot, short of a bug) is replaced by the next request, and takes over its queue."""
        with self._lock:
            if self.running():
                return
            now = time.monotonic()
            jobs = [replace(job, due=now) for job in jobs]
            self._thread = threading.Thread(
                target=self._work, args=(self._queue, jobs), name="tasks-without-broker", daemon=True
            )
            self._thread.start()
        logger.info("Tasks run in the background of this process (no broker), with %d beat jobs", len(jobs))

    def submit(self, task: Task, args: tuple = (), options: dict[str, Any] | None = None) -> None:
        self._queue.put((task, args, options or {}))

    def stop(self, timeout: float = 30) -> None:
        """Let the worker finish what it was given, then end it (tests; the process's exit ends it otherwise)."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._queue.put(_STOP)
            thread.join(timeout)
            self._queue = queue.SimpleQueue()
        if thread.is_alive():
            raise RuntimeError(f"The background worker did not finish within {timeout} s")

    def _work(self, tasks: queue.SimpleQueue, jobs: list[Job]) -> None:
        while True:
            for job in jobs:
                if job.due <= time.monotonic():
                    self._run(job.task, job.args, {"kwargs": job.kwargs})
                    job.due = time.monotonic() + job.interval
            wait = min((job.due for job in jobs), default=None)
            try:
                item = tasks.get(timeout=None if wait is None else max(wait - time.monotonic(), 0))
            except queue.Empty:
                continue
            if item is _STOP:
                return
            self._run(*item)

    @staticmethod
    def _run(task: Task, args: tuple, options: dict[str, Any]) -> None:
        try:
            # As eager mode runs it: Celery's signals (task ids in logs, metrics), retries at once, on_failure; its
            # errors are logged by Celery (task_eager_propagates is off).
            task.apply(args=args, **options)
        except Exception:
            logger.exception("Task %s failed in the background", getattr(task, "name", task))
        finally:
            # This thread's own connections, which nothing else closes (Django closes a request's at its end): an
            # idle worker would keep a second connection per web process against the server's max_connections.
            try:
                connections.close_all()
            except Exception:
                logger.exception("Could not close the background worker's database connections")


background = Background()
os.register_at_fork(after_in_child=background._reset)


def start_with_request(**kwargs: Any) -> None:
    """``request_started``: a web process's first request starts its background worker and beat, when tasks run
    without a broker in the background. Never in a process that serves no request (management commands, shells,
    Celery's worker and beat)."""
    if background.running() or settings.TASKS_WITHOUT_BROKER != BACKGROUND or not current_app.conf.task_always_eager:
        return
    background.start(scheduled_jobs(settings.CELERY_BEAT_SCHEDULE))


# --- Memory -----------------------------------------------------------------------------------------------------


def memory_give_back() -> None:
    """Return the memory a big task freed to the system. Python frees its objects, but glibc's malloc keeps freed
    heap pages for the process (its heap grows with many allocations of a few kilobytes to a megabyte, and only
    its top can shrink), so a worker's pool process would keep the high-water mark of its largest task for its life.
    ``malloc_trim`` releases the free pages inside the heap too. A no-op where the C library is not glibc."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


# --- The base of the tasks that must survive a database that blinks ------------------------------------------------


def backoff(retries: int) -> int:
    """10 s, 20 s, 40 s, … at most 5 minutes."""
    return min(10 * 2**retries, 300)


# The database connection failed or the server aborted the transaction: down, restarting, failing over, a deadlock
# or a serialization failure (all OperationalError). Trying again later can succeed, unlike an IntegrityError, a
# DataError or a ProgrammingError (a bug), which fail the task as before.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)


class DatabaseRetryTask(Task):
    """Base of the tasks whose failure would stick (a bot or document marked FAILED, an assistant update lost): on a
    transient database error they are retried later (backoff 10 s, 20 s, … ≤ 5 min, with jitter so that workers
    do not all return at once; six times, about five minutes in all) instead of failing for good because the
    database blinked. Every such task is safe to run again. Beat tasks do not need this (their next run is the
    retry), nor ``delete_assistant`` (it does not use the database).

    Not in eager mode: there the task runs in the web process (its background thread, or the request itself), and
    Celery would retry it at once, against the same database; the error goes to ``on_failure`` as before.
    """

    autoretry_for = TRANSIENT_DATABASE_ERRORS
    retry_backoff = 10
    retry_backoff_max = 300
    retry_jitter = True
    database_max_retries = 6

    def retry(self, *args, exc: BaseException | None = None, **kwargs):
        if isinstance(exc, TRANSIENT_DATABASE_ERRORS):
            if self.request.is_eager:
                raise exc
            # Its own budget: Celery's autoretry would otherwise take the max_retries of the last explicit retry this
            # task instance made in the process (a VAPI retry's, say), which it keeps.
            kwargs["max_retries"] = self.database_max_retries
        return super().retry(*args, exc=exc, **kwargs)
