"""End to end through a real Celery worker on the local Redis broker: a bot created through the API reaches ACTIVE
against the fake VAPI, with nobody touching it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import redis
from django.db import connection

from bots.models import Bot, BotStatus
from bots.tests.conftest import PRIVATE_KEY, WEBHOOK_SECRET, requests_to
from config.celery import app as celery_app
from config.tests.processes import ROOT, clean_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def broker():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"No Redis at {REDIS_URL}: `bash scripts/test` starts one (or set TEST_REDIS_URL)")
    client.flushdb()
    assert celery_app.conf.broker_url == REDIS_URL  # config/test_settings.py
    celery_app.conf.task_always_eager = False
    yield REDIS_URL
    celery_app.conf.task_always_eager = True
    client.flushdb()
    client.close()


@pytest.fixture
def worker(broker, vapi):
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    env = clean_env(
        DATABASE_URL=f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        SECRET_KEY="worker-test",
        CELERY_BROKER_URL=broker,
        VAPI_PRIVATE_KEY=PRIVATE_KEY,
        VAPI_BASE_URL=vapi.url_for("").rstrip("/"),
        VAPI_WEBHOOK_SECRET=WEBHOOK_SECRET,
        PUBLIC_BASE_URL="https://bots.example.com",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_created_bot_becomes_active_through_a_real_worker(worker, vapi, client_for, user):
    vapi.expect_request("/assistant", method="POST").respond_with_json({"id": "asst_from_worker"}, status=201)
    config = {"botName": "Worker bot", "welcomeMessage": "Hi!", "systemPrompt": "Be brief."}

    response = client_for(user).post("/api/bots/create", {"config": json.dumps(config)}, format="multipart")
    assert response.status_code == 200
    uuid = response.json()["bot"]["uuid"]

    deadline = time.monotonic() + 60
    while (bot := Bot.objects.get(uuid=uuid)).status != BotStatus.ACTIVE:
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.terminate()
            raise AssertionError(f"status {bot.status}: {bot.activation_error}\n{worker.stdout.read().decode()}")
        time.sleep(0.2)

    assert bot.vapi_assistant_id == "asst_from_worker"
    assert len(requests_to(vapi, "POST", "/assistant")) == 1
    status = client_for(user).get(f"/api/bots/status/{uuid}").json()
    assert (status["status"], status["vapiAssistantId"]) == ("active", "asst_from_worker")
