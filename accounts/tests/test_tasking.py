"""Queueing tasks (accounts/tasking.py): after the commit only, nothing on a rollback, a broker that is down logged
and not raised."""

from __future__ import annotations

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from accounts.tasking import enqueue_on_commit


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

    (record,) = [record for record in records if record.name == "accounts.tasking"]
    assert record.getMessage() == "Could not queue accounts.tests.recorder('bot_1',)"
    assert record.exc_info[0] is OperationalError


@pytest.mark.django_db
def test_a_task_may_be_named_by_its_path(django_capture_on_commit_callbacks, monkeypatch):
    from documents import tasks

    task = Recorder()
    monkeypatch.setattr(tasks.reindex_bot, "apply_async", task.apply_async)

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("documents.tasks.reindex_bot", "bot_1")

    assert task.sent == [(("bot_1",), {})]
