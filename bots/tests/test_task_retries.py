"""A task that meets a transient database error (the connection lost, a failover, a deadlock) is retried later by
its worker, instead of failing its bot for good because the database blinked. Errors that a retry cannot fix fail
as before, and so does everything in eager mode (inside a web request)."""

from __future__ import annotations

import pytest
from celery.exceptions import Retry
from django.db import IntegrityError, InterfaceError, OperationalError

from bots import services
from bots.models import BotStatus
from bots.tasks import activate_bot, sync_assistant
from bots.tests.factories import BotFactory
from bots.tests.worker import WorkerRun
from common.tasking import DatabaseRetryTask

pytestmark = pytest.mark.django_db

ASSISTANT = {"id": "asst_123", "name": "Support bot"}


@pytest.fixture
def as_worker(monkeypatch) -> WorkerRun:
    return WorkerRun(monkeypatch)


def _fails_once(monkeypatch, module, name: str, error: Exception) -> list[dict]:
    """Make ``module.name`` raise ``error`` on its first call only; return the calls' keyword arguments."""
    real = getattr(module, name)
    calls: list[dict] = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise error
        return real(**kwargs)

    monkeypatch.setattr(module, name, flaky)
    return calls


def test_activation_is_retried_after_a_lost_connection_and_then_goes_live(vapi, as_worker, monkeypatch):
    bot = BotFactory()
    calls = _fails_once(monkeypatch, services, "bot_activation_run", OperationalError("server closed the connection"))
    vapi.expect_ordered_request("/assistant", method="GET").respond_with_json([])  # resumed: anything made before?
    vapi.expect_ordered_request("/assistant", method="POST").respond_with_json(ASSISTANT, status=201)

    with pytest.raises(Retry) as retry:
        as_worker(activate_bot, bot.id)

    assert 0 <= retry.value.when <= 10  # the first backoff step, with jitter
    assert [options["retries"] for options in as_worker.scheduled] == [1]
    bot.refresh_from_db()
    assert bot.status == BotStatus.ACTIVATING  # claimed, not FAILED

    assert as_worker(activate_bot, bot.id, retries=1) == "done"

    bot.refresh_from_db()
    assert bot.status == BotStatus.ACTIVE
    assert bot.vapi_assistant_id == "asst_123"
    assert [call["resumed"] for call in calls] == [False, True]
    vapi.check_assertions()


@pytest.mark.parametrize("error", [OperationalError("deadlock detected"), InterfaceError("connection already closed")])
def test_both_kinds_of_connection_error_are_retried(vapi, as_worker, monkeypatch, error):
    bot = BotFactory(active=True, vapi_assistant_id="asst_123")
    _fails_once(monkeypatch, services, "bot_sync_assistant", error)

    with pytest.raises(Retry):
        as_worker(sync_assistant, bot.id)

    assert len(as_worker.scheduled) == 1


def test_the_backoff_grows_and_the_retries_run_out(vapi, as_worker, monkeypatch):
    bot = BotFactory(status=BotStatus.ACTIVATING)

    def lost(**kwargs):
        raise OperationalError("the database is down")

    monkeypatch.setattr(services, "bot_activation_run", lost)
    # What an earlier VAPI retry in the same worker process leaves on the task (Celery keeps it): not our budget.
    monkeypatch.setattr(activate_bot._get_current_object(), "override_max_retries", 2, raising=False)
    with pytest.raises(Retry) as retry:
        as_worker(activate_bot, bot.id, retries=5)
    assert 0 <= retry.value.when <= 300  # capped

    # The sixth retry was the last: the error reaches the worker, whose on_failure records it.
    with pytest.raises(OperationalError):
        as_worker(activate_bot, bot.id, retries=DatabaseRetryTask.database_max_retries)
    assert len(as_worker.scheduled) == 1


def test_an_error_a_retry_cannot_fix_is_not_retried(vapi, as_worker, monkeypatch):
    bot = BotFactory(active=True, vapi_assistant_id="asst_123")
    _fails_once(monkeypatch, services, "bot_sync_assistant", IntegrityError("duplicate key"))

    with pytest.raises(IntegrityError):
        as_worker(sync_assistant, bot.id)

    assert as_worker.scheduled == []


def test_in_eager_mode_a_database_error_fails_the_bot_at_once(vapi, monkeypatch):
    # Eager: the task runs inside the web request that queued it; a retry would run at once, and hold the request.
    bot = BotFactory()
    calls = _fails_once(monkeypatch, services, "bot_activation_run", OperationalError("server closed the connection"))

    activate_bot.apply(args=[bot.id])

    bot.refresh_from_db()
    assert bot.status == BotStatus.FAILED
    assert bot.activation_error == "Activation failed unexpectedly (OperationalError)"
    assert len(calls) == 1
