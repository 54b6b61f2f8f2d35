"""Queueing tasks (common/tasking.py): after the commit only (nothing on a rollback), a broker that is down logged
and not raised; without a broker, a web process's background worker that runs them outside the request, closes its
connections, keeps working after a failure, runs the beat schedule, and is its own in every forked process."""

from __future__ import annotations

import datetime
import os
import threading
import time
from pathlib import Path

import pytest
from celery import shared_task
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from kombu.exceptions import OperationalError

from common.tasking import Job, background, enqueue_on_commit, scheduled_jobs

THREAD = "tasks-without-broker"
# What the probe tasks saw: (label, thread name, that thread's connection wrapper).
seen: list[tuple[str, str, object]] = []
release = threading.Event()


@shared_task(name="accounts.tests.probe")
def probe(label: str) -> str:
    wrapper = connections[DEFAULT_DB_ALIAS]  # the running thread's own connection
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 1")
    seen.append((label, threading.current_thread().name, wrapper))
    return label


@shared_task(name="accounts.tests.fail")
def fail() -> None:
    raise ValueError("a bug")


@shared_task(name="accounts.tests.note")
def note(path: str, line: str, wait: bool = False) -> None:
    if wait:
        release.wait(30)
    with open(path, "a") as file:
        file.write(line + "\n")


@pytest.fixture(autouse=True)
def clean():
    seen.clear()
    release.clear()
    yield
    release.set()
    background.stop()


class Recorder:
    """A task's sending side: what ``apply_async`` was given, or the error a broker that is down raises."""

    name = "accounts.tests.recorder"

    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[tuple[tuple, dict]] = []
        self.error = error

    def apply_async(self, args=(), **options) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append((args, options))


class Failed(Exception):
    pass


@transaction.atomic
def queue_then_fail(task, *args) -> None:
    enqueue_on_commit(task, *args)
    raise Failed  # rolls back


# --- After the commit ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_task_is_sent_once_the_transaction_commits(django_capture_on_commit_callbacks):
    task = Recorder()

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_on_commit(task, "bot_1", kwargs={"claimed": True})
        assert task.sent == []  # not yet: a worker would not find the row

    assert task.sent == [(("bot_1",), {"kwargs": {"claimed": True}})]


@pytest.mark.django_db
def test_a_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    task = Recorder()

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Failed):
        queue_then_fail(task, "bot_1")

    assert callbacks == []
    assert task.sent == []


@pytest.mark.django_db
def test_a_broker_that_is_down_is_logged_not_raised(django_capture_on_commit_callbacks, records):
    task = Recorder(error=OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused."))

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(task, "bot_1")

    (record,) = [record for record in records if record.name == "common.tasking"]
    assert record.getMessage() == "Could not queue accounts.tests.recorder('bot_1',)"
    assert record.exc_info[0] is OperationalError


def test_a_task_is_queued_by_reference_not_by_name():
    # Tasks are passed as themselves, so that a reader (and an IDE) follows the call to the task (issue 14).
    with pytest.raises(TypeError, match="takes the task, not its name"):
        enqueue_on_commit("documents.tasks.reindex_bot", "bot_1")


@pytest.mark.django_db
def test_without_a_background_worker_a_task_runs_inline(django_capture_on_commit_callbacks):
    # A management command, a shell, the test suite: eager Celery runs the task here, before the commit returns.
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(probe, "inline")

    assert [(label, thread) for label, thread, _ in seen] == [("inline", threading.current_thread().name)]


# --- Without a broker: the background worker ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_background_worker_runs_tasks_after_the_commit_and_closes_its_connections():
    background.start()

    with transaction.atomic():
        enqueue_on_commit(probe, "first")
        enqueue_on_commit(probe, "second")
        assert not seen
    background.stop()  # returns once the worker has run what it was given

    assert [(label, thread) for label, thread, _ in seen] == [("first", THREAD), ("second", THREAD)]
    for _, _, wrapper in seen:
        assert wrapper is not connections[DEFAULT_DB_ALIAS]  # the worker's own, not the request's
        assert wrapper.connection is None  # closed after the task


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_gives_the_background_worker_nothing():
    background.start()

    with pytest.raises(Failed):
        queue_then_fail(probe, "never")
    background.stop()

    assert seen == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_is_logged_and_the_worker_goes_on(records):
    background.start()

    enqueue_on_commit(fail)
    enqueue_on_commit(probe, "after")
    background.stop()

    assert [label for label, _, _ in seen] == ["after"]
    failure = next(record for record in records if "accounts.tests.fail" in record.getMessage())
    assert failure.levelname == "ERROR"
    assert "a bug" in failure.getMessage()


@pytest.mark.django_db(transaction=True)
def test_the_beat_jobs_run_at_once_then_at_their_intervals():
    background.start([Job(task=probe, interval=0.2, args=("tick",))])
    deadline = time.monotonic() + 10
    while len(seen) < 3:
        assert time.monotonic() < deadline, seen
        time.sleep(0.05)
    background.stop()

    assert {(label, thread) for label, thread, _ in seen} == {("tick", THREAD)}


def test_the_beat_schedule_is_understood_without_a_broker(settings):
    jobs = scheduled_jobs(settings.CELERY_BEAT_SCHEDULE)

    assert [job.task.name for job in jobs] == [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert [job.interval for job in jobs][:3] == [60.0, 300.0, 300.0]
    with pytest.raises(ImproperlyConfigured, match="only intervals"):
        scheduled_jobs({"nightly": {"task": "bots.tasks.activate_due_bots", "schedule": object()}})
    (every,) = scheduled_jobs(
        {"sweep": {"task": "bots.tasks.activate_due_bots", "schedule": datetime.timedelta(minutes=2)}}
    )
    assert every.interval == 120.0


# --- Started by the first request, in the background mode only ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_first_request_starts_the_worker_and_its_beat_without_a_broker(client, settings):
    settings.TASKS_WITHOUT_BROKER = "background"
    settings.CELERY_BEAT_SCHEDULE = {"probe": {"task": "accounts.tests.probe", "schedule": 3600, "args": ("beat",)}}

    assert client.get("/api/health").status_code == 200
    assert client.get("/api/health").status_code == 200

    assert background.running()
    background.stop()
    assert [(label, thread) for label, thread, _ in seen] == [("beat", THREAD)]  # once: one worker per process


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mode", "eager"), [("inline", True), ("background", False)], ids=["inline mode", "with a broker"]
)
def test_requests_start_no_worker_inline_or_with_a_broker(client, settings, mode, eager):
    from config.celery import app

    settings.TASKS_WITHOUT_BROKER = mode
    app.conf.task_always_eager = eager
    try:
        assert client.get("/api/health").status_code == 200
    finally:
        app.conf.task_always_eager = True  # config/test_settings.py

    assert not background.running()


# --- Fork safety --------------------------------------------------------------------------------------------------


def test_a_forked_process_has_a_worker_of_its_own(tmp_path: Path):
    """gunicorn forks its workers: a child must not inherit the parent's thread (gone) or its queue (the parent
    runs what it was given); its first request starts its own worker."""
    log = tmp_path / "ran.txt"
    background.start()
    background.submit(note, (str(log), "parent", True))  # the parent's worker is busy until released
    background.submit(note, (str(log), "parent, queued"))

    child = os.fork()
    if child == 0:  # pragma: no cover (the child reports through its exit code and the file)
        code = 1
        try:
            if not background.running():
                background.start()
                background.submit(note, (str(log), f"child {os.getpid()}"))
                background.stop()
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    release.set()
    background.stop()

    assert os.waitstatus_to_exitcode(status) == 0
    assert log.read_text().splitlines() == [f"child {child}", "parent", "parent, queued"]
