"""The activation lifecycle against a fake VAPI: PENDING → ACTIVATING → ACTIVE / FAILED, retries, recovery,
updates and deletions of assistants. Tasks run eagerly (as with no broker); a real worker is in test_worker.py."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone
from werkzeug import Response

from bots import services
from bots.models import Bot, BotStatus
from bots.tasks import activate_bot, activate_due_bots, delete_assistant, recover_stuck_activations, sync_assistant
from bots.tests.conftest import PRIVATE_KEY, WEBHOOK_SECRET, requests_to
from bots.tests.factories import BotFactory
from bots.vapi import bot_secret

pytestmark = pytest.mark.django_db

ASSISTANT = {"id": "asst_123", "name": "Support bot"}


def _created(vapi, status=201, body=None):
    vapi.expect_request("/assistant", method="POST").respond_with_json(body or ASSISTANT, status=status)


def test_activation_creates_the_assistant_and_goes_live(vapi):
    bot = BotFactory(rag_enabled=True, language="fr", voice="david", name="Support bot")
    _created(vapi)

    assert activate_bot.apply(args=[bot.id]).get() == "done"

    bot.refresh_from_db()
    assert bot.status == BotStatus.ACTIVE
    assert bot.vapi_assistant_id == "asst_123"
    assert bot.activated_at is not None
    assert bot.activation_attempts == 1
    assert bot.activation_error is None
    (request,) = requests_to(vapi, "POST", "/assistant")
    assert request.headers["Authorization"] == f"Bearer {PRIVATE_KEY}"
    body = request.get_json()
    assert body["name"] == "Support bot"
    assert body["firstMessage"] == bot.welcome_message
    assert body["model"]["messages"] == [{"role": "system", "content": bot.system_prompt}]
    # The bot's own secret (bots/vapi.py), not the key it is derived from.
    secret = bot_secret(bot.uuid, WEBHOOK_SECRET)
    assert secret.startswith(f"{bot.uuid}.")
    assert WEBHOOK_SECRET not in request.get_data(as_text=True)
    assert body["model"]["knowledgeBase"]["server"] == {
        "url": "https://bots.example.com/api/vapi/knowledge-base",
        "headers": {"x-vapi-secret": secret},
    }
    # French: ElevenLabs' multilingual model, told the language (VAPI's default, eleven_turbo_v2, is English-only).
    assert body["voice"] == {
        "provider": "11labs",
        "voiceId": "VR6AewLTigWG4xSOukaG",
        "model": "eleven_turbo_v2_5",
        "language": "fr",
    }
    assert body["transcriber"]["language"] == "fr"
    assert body["server"] == {
        "url": "https://bots.example.com/api/vapi/webhook",
        "headers": {"x-vapi-secret": secret},
    }
    assert body["clientMessages"] == ["transcript", "speech-update"]
    assert {"status-update", "end-of-call-report"} <= set(body["serverMessages"])
    assert body["metadata"] == {"botUuid": bot.uuid, "botId": bot.id}


def test_without_rag_there_is_no_knowledge_base(vapi):
    bot = BotFactory(rag_enabled=False)
    _created(vapi)

    activate_bot.apply(args=[bot.id])

    assert "knowledgeBase" not in requests_to(vapi, "POST", "/assistant")[0].get_json()["model"]


@pytest.mark.parametrize(
    ("missing", "reason"),
    [
        ("VAPI_PRIVATE_KEY", "VAPI is not configured: VAPI_PRIVATE_KEY is not set"),
        ("PUBLIC_BASE_URL", "VAPI is not configured: PUBLIC_BASE_URL is not set"),
        ("VAPI_WEBHOOK_SECRET", "VAPI is not configured: VAPI_WEBHOOK_SECRET is not set"),
    ],
)
def test_not_configured_fails_with_the_missing_setting_named(vapi, settings, missing, reason):
    setattr(settings, missing, "")
    bot = BotFactory()

    activate_bot.apply(args=[bot.id])

    bot.refresh_from_db()
    assert bot.status == BotStatus.FAILED
    assert bot.activation_error.startswith(reason)
    assert not vapi.log


def test_a_secret_echoed_by_vapi_is_not_stored_nor_shown(vapi):
    # The reason is shown to the owner (status route, dashboard): none of our secrets may ride along in it.
    bot = BotFactory()
    echoed = f"server.headers.x-vapi-secret {WEBHOOK_SECRET} is invalid; Authorization: Bearer {PRIVATE_KEY}"
    vapi.expect_request("/assistant", method="POST").respond_with_json({"message": [echoed]}, status=400)

    activate_bot.apply(args=[bot.id])

    bot.refresh_from_db()
    assert bot.status == BotStatus.FAILED
    assert bot.activation_error.startswith("VAPI refused POST /assistant (400): server.headers.x-vapi-secret ")
    assert WEBHOOK_SECRET not in bot.activation_error
    assert PRIVATE_KEY not in bot.activation_error


def test_a_refusal_fails_at_once_with_vapis_reason(vapi):
    bot = BotFactory()
    vapi.expect_request("/assistant", method="POST").respond_with_json({"message": "Invalid Key"}, status=401)

    activate_bot.apply(args=[bot.id])

    bot.refresh_from_db()
    assert bot.status == BotStatus.FAILED
    assert bot.activation_error == "VAPI refused POST /assistant (401): Invalid Key"
    assert len(requests_to(vapi, "POST", "/assistant")) == 1  # not retried


@pytest.mark.parametrize("status", [429, 500])
def test_429_and_5xx_are_retried_then_fail_with_the_reason(vapi, status):
    bot = BotFactory()
    vapi.expect_request("/assistant", method="POST").respond_with_data("busy", status=status)
    vapi.expect_request("/assistant", method="GET").respond_with_json([])

    activate_bot.apply(args=[bot.id])

    bot.refresh_from_db()
    assert bot.status == BotStatus.FAILED
    assert bot.activation_error == f"VAPI answered {status} to POST /assistant (gave up after 3 attempts)"
    assert len(requests_to(vapi, "POST", "/assistant")) == 3  # BOT_ACTIVATION_MAX_RETRIES = 2


def test_timeouts_are_retried_then_fail_with_the_reason(vapi, settings):
    settings.VAPI_TIMEOUT = 0.2
    bot = BotFactory()
    release = threading.Event()

    def too_slow(request):
        release.wait(0.3)
        return Response("{}", status=201, content_type="application/json")

    vapi.expect_request("/assistant", method="POST").respond_with_handler(too_slow)
    vapi.expect_request("/assistant", method="GET").respond_with_handler(too_slow)
    try:
        activate_bot.apply(args=[bot.id])
    finally:
        release.set()

    bot.refresh_from_db()
    assert bot.status == BotStatus.FAILED
    assert bot.activation_error.startswith("VAPI did not answer ")
    assert bot.activation_error.endswith("in time (gave up after 3 attempts)")


def test_a_transient_failure_then_success(vapi):
    bot = BotFactory()
    vapi.expect_ordered_request("/assistant", method="POST").respond_with_data("busy", status=503)
    vapi.expect_ordered_request("/assistant", method="GET").respond_with_json([])
    vapi.expect_ordered_request("/assistant", method="POST").respond_with_json(ASSISTANT, status=201)

    activate_bot.apply(args=[bot.id])

    bot.refresh_from_db()
    assert bot.status == BotStatus.ACTIVE
    vapi.check_assertions()


def test_after_a_timeout_an_assistant_made_meanwhile_is_adopted_not_duplicated(vapi, settings):
    settings.VAPI_TIMEOUT = 0.5
    bot = BotFactory()
    release = threading.Event()

    def created_but_too_slow(request):
        # Longer than our timeout; short enough that the (single-threaded) server answers the next request in time.
        release.wait(0.8)
        return Response('{"id": "asst_slow"}', status=201, content_type="application/json")

    vapi.expect_ordered_request("/assistant", method="POST").respond_with_handler(created_but_too_slow)
    vapi.expect_ordered_request("/assistant", method="GET").respond_with_json(
        [{"id": "asst_slow", "metadata": {"botUuid": bot.uuid}}]
    )
    try:
        activate_bot.apply(args=[bot.id])
    finally:
        release.set()

    bot.refresh_from_db()
    assert bot.status == BotStatus.ACTIVE
    assert bot.vapi_assistant_id == "asst_slow"
    assert len(requests_to(vapi, "POST", "/assistant")) == 1


def test_only_a_pending_bot_is_claimed(vapi):
    bot = BotFactory(active=True)

    assert activate_bot.apply(args=[bot.id]).get() == "not claimed"
    assert not vapi.log


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_make_exactly_one_assistant(vapi):
    bot = BotFactory()
    vapi.expect_request("/assistant", method="POST").respond_with_json(ASSISTANT, status=201)
    barrier = threading.Barrier(4)
    results = []

    def worker():
        barrier.wait()
        try:
            results.append(activate_bot.apply(args=[bot.id]).get())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["done", "not claimed", "not claimed", "not claimed"]
    assert len(requests_to(vapi, "POST", "/assistant")) == 1
    assert Bot.objects.get(pk=bot.pk).status == BotStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_a_bot_deleted_during_activation_leaves_no_assistant_behind(vapi):
    bot = BotFactory()

    def create_then_bot_vanishes(request):
        Bot.objects.filter(pk=bot.pk).delete()  # the owner deletes it while VAPI works
        connection.close()  # this runs in the HTTP server's thread
        return Response('{"id": "asst_orphan"}', status=201, content_type="application/json")

    vapi.expect_request("/assistant", method="POST").respond_with_handler(create_then_bot_vanishes)
    vapi.expect_request("/assistant/asst_orphan", method="DELETE").respond_with_json({"id": "asst_orphan"})

    activate_bot.apply(args=[bot.id])

    assert len(requests_to(vapi, "DELETE", "/assistant/asst_orphan")) == 1


def test_an_unexpected_error_fails_the_bot_with_a_reason(vapi, monkeypatch):
    bot = BotFactory()

    def broken(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(services, "bot_activation_run", broken)
    activate_bot.apply(args=[bot.id])

    bot.refresh_from_db()
    assert bot.status == BotStatus.FAILED
    assert bot.activation_error == "Activation failed unexpectedly (RuntimeError)"


# --- Beat ----------------------------------------------------------------------------------------------------


def test_beat_activates_due_bots_but_not_future_or_deactivated_ones(vapi, django_capture_on_commit_callbacks):
    now = timezone.now()
    due = BotFactory(activation_scheduled_at=now - datetime.timedelta(minutes=1))
    future = BotFactory(activation_scheduled_at=now + datetime.timedelta(hours=1))
    deactivated = BotFactory(activation_scheduled_at=now - datetime.timedelta(days=1), activation_attempts=1)
    _created(vapi)

    with django_capture_on_commit_callbacks(execute=True):
        assert activate_due_bots.apply().get() == 1

    statuses = dict(Bot.objects.values_list("pk", "status"))
    assert statuses == {due.pk: BotStatus.ACTIVE, future.pk: BotStatus.PENDING, deactivated.pk: BotStatus.PENDING}


def test_beat_recovers_a_bot_stuck_in_activating(vapi, django_capture_on_commit_callbacks):
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    stuck = BotFactory(status=BotStatus.ACTIVATING, activation_started_at=long_ago, activation_attempts=1)
    working = BotFactory(status=BotStatus.ACTIVATING, activation_started_at=timezone.now(), activation_attempts=1)
    hopeless = BotFactory(status=BotStatus.ACTIVATING, activation_started_at=long_ago, activation_attempts=3)
    vapi.expect_request("/assistant", method="GET").respond_with_json([])
    _created(vapi)

    with django_capture_on_commit_callbacks(execute=True):
        recover_stuck_activations.apply()

    stuck.refresh_from_db()
    working.refresh_from_db()
    hopeless.refresh_from_db()
    assert (stuck.status, stuck.activation_attempts) == (BotStatus.ACTIVE, 2)
    assert working.status == BotStatus.ACTIVATING
    assert (hopeless.status, hopeless.activation_error) == (
        BotStatus.FAILED,
        "Activation did not finish after 3 attempts",
    )


# --- After activation ----------------------------------------------------------------------------------------


def test_sync_patches_the_complete_assistant(vapi):
    bot = BotFactory(active=True, vapi_assistant_id="asst_9", rag_enabled=True)
    vapi.expect_request("/assistant/asst_9", method="PATCH").respond_with_json({"id": "asst_9"})

    sync_assistant.apply(args=[bot.id])

    body = requests_to(vapi, "PATCH", "/assistant/asst_9")[0].get_json()
    # The whole model object, every time: VAPI replaces nested objects wholesale.
    assert body["model"]["messages"] == [{"role": "system", "content": bot.system_prompt}]
    assert "knowledgeBase" in body["model"]
    assert body["firstMessage"] == bot.welcome_message


def test_sync_failure_is_recorded_and_the_bot_stays_active(vapi):
    bot = BotFactory(active=True, vapi_assistant_id="asst_9")
    vapi.expect_request("/assistant/asst_9", method="PATCH").respond_with_json({"message": "bad voice"}, status=400)

    sync_assistant.apply(args=[bot.id])

    bot.refresh_from_db()
    assert bot.status == BotStatus.ACTIVE
    assert bot.vapi_sync_error == "VAPI refused PATCH /assistant/asst_9 (400): bad voice"


def test_sync_finds_the_assistant_deleted_on_vapi(vapi):
    bot = BotFactory(active=True, vapi_assistant_id="asst_9")
    vapi.expect_request("/assistant/asst_9", method="PATCH").respond_with_json({"message": "Not Found"}, status=404)

    sync_assistant.apply(args=[bot.id])

    bot.refresh_from_db()
    assert bot.status == BotStatus.FAILED
    assert bot.vapi_assistant_id is None
    assert "re-activate" in bot.activation_error


def test_delete_assistant_is_retried_while_vapi_is_down(vapi, monkeypatch):
    monkeypatch.setattr("bots.tasks.DELETE_MAX_RETRIES", 2)
    vapi.expect_ordered_request("/assistant/asst_9", method="DELETE").respond_with_data("down", status=503)
    vapi.expect_ordered_request("/assistant/asst_9", method="DELETE").respond_with_data("down", status=502)
    vapi.expect_ordered_request("/assistant/asst_9", method="DELETE").respond_with_json({"id": "asst_9"})

    assert delete_assistant.apply(args=["asst_9"]).get() == "deleted"
    vapi.check_assertions()
