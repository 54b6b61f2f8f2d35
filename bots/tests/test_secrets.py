"""Per-bot VAPI secrets (bots/vapi.py): what each assistant is given, that none of it reaches a browser, and the
rotation (``manage.py sync_assistants``) against the fake VAPI."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from bots.models import Bot, BotStatus
from bots.tasks import activate_bot
from bots.tests.conftest import PRIVATE_KEY, WEBHOOK_SECRET, requests_to
from bots.tests.factories import BotFactory
from bots.vapi import bot_secret

pytestmark = pytest.mark.django_db


def _activated(vapi, **fields) -> Bot:
    bot = BotFactory(rag_enabled=True, **fields)
    vapi.expect_oneshot_request("/assistant", method="POST").respond_with_json(
        {"id": f"asst_{bot.uuid[:8]}"}, status=201
    )
    assert activate_bot.apply(args=[bot.id]).get() == "done"
    bot.refresh_from_db()
    return bot


def test_each_assistant_gets_its_own_secret(vapi):
    first, second = _activated(vapi), _activated(vapi)

    bodies = [request.get_json() for request in requests_to(vapi, "POST", "/assistant")]

    secrets = [body["server"]["headers"]["x-vapi-secret"] for body in bodies]
    assert secrets == [bot_secret(first.uuid, WEBHOOK_SECRET), bot_secret(second.uuid, WEBHOOK_SECRET)]
    assert secrets[0] != secrets[1]
    assert [body["model"]["knowledgeBase"]["server"]["headers"]["x-vapi-secret"] for body in bodies] == secrets


def test_no_secret_reaches_a_browser(vapi, user, settings, client_for):
    """Everything a browser is sent about an active bot (the widget's script, config and status, the test page, the
    landing page's demo, the owner's pages and API) holds neither the key, nor a bot's secret, nor the private key.
    The assistant itself is never sent to the browser: the widget starts calls by the assistant's id, and VAPI
    forwards only transcripts and speech updates to it (``clientMessages``)."""
    bot = _activated(vapi, user=user)
    settings.VAPI_PUBLIC_KEY = "pk_public_widget_key"
    settings.DEMO_BOT_UUID = bot.uuid
    secret = bot_secret(bot.uuid)
    forbidden = {WEBHOOK_SECRET, PRIVATE_KEY, secret, secret.partition(".")[2]}
    (created,) = requests_to(vapi, "POST", "/assistant")
    assert secret in created.get_data(as_text=True)  # the check below would see it
    assert created.get_json()["clientMessages"] == ["transcript", "speech-update"]

    visitor = Client()
    owner = Client()
    owner.force_login(user)
    seen = {
        "widget script": visitor.get("/js/external-chatbot-voice.js"),
        "widget config": visitor.get(f"/api/widget/{bot.uuid}/config", HTTP_ORIGIN="https://customer.example"),
        "bot status": visitor.get(f"/api/bots/status/{bot.uuid}"),
        "public config": visitor.get("/api/config"),
        "test page": visitor.get("/test-embed", {"bot": bot.uuid}),
        "landing page": visitor.get("/"),
        "dashboard": owner.get("/dashboard"),
        "bot page": owner.get(f"/dashboard/bots/{bot.uuid}"),
        "bot page status": owner.get(f"/dashboard/bots/{bot.uuid}/status"),
    }
    api = client_for(user)  # the frontend's way: the user's session token
    for name, path in (("API bot", f"/api/bots/{bot.uuid}"), ("API list", "/api/bots/list"), ("API bots", "/api/bots")):
        seen[name] = api.get(path)

    texts = {}
    for name, response in seen.items():
        assert response.status_code == 200, name
        content = b"".join(response.streaming_content) if response.streaming else response.content
        texts[name] = text = content.decode()
        for value in forbidden:
            assert value not in text, (name, value[:6])
        for header, value in response.items():
            assert not any(secret_value in value for secret_value in forbidden), (name, header)
    # The check bites: these are the bot's own pages and routes.
    for name in ("test page", "landing page", "bot page", "API bot"):
        assert bot.uuid in texts[name], name


def test_sync_assistants_gives_every_assistant_its_current_secret(vapi, settings, capsys):
    bots = [_activated(vapi), _activated(vapi)]
    BotFactory(status=BotStatus.PENDING)  # no assistant yet: nothing to update
    settings.VAPI_WEBHOOK_PREVIOUS_SECRETS = [WEBHOOK_SECRET]
    settings.VAPI_WEBHOOK_SECRET = "the-new-key-0123456789"
    for bot in bots:
        vapi.expect_request(f"/assistant/{bot.vapi_assistant_id}", method="PATCH").respond_with_json({"id": "x"})

    call_command("sync_assistants")

    for bot in bots:
        (patch,) = requests_to(vapi, "PATCH", f"/assistant/{bot.vapi_assistant_id}")
        body = patch.get_json()
        assert body["server"]["headers"] == {"x-vapi-secret": bot_secret(bot.uuid, "the-new-key-0123456789")}
        assert "the-new-key" not in json.dumps(body)
    assert "Updated 2 assistants." in capsys.readouterr().out


def test_sync_assistants_says_which_failed(vapi, capsys):
    bot = _activated(vapi)
    vapi.expect_request(f"/assistant/{bot.vapi_assistant_id}", method="PATCH").respond_with_json(
        {"message": ["voice.model must be one of …"]}, status=400
    )

    with pytest.raises(CommandError, match="1 of 1 assistants could not be updated"):
        call_command("sync_assistants")

    assert "voice.model must be one of" in capsys.readouterr().err
    bot.refresh_from_db()
    assert "voice.model must be one of" in bot.vapi_sync_error


def test_sync_assistants_without_vapi(settings):
    settings.VAPI_PRIVATE_KEY = ""

    with pytest.raises(CommandError, match="VAPI_PRIVATE_KEY is not set"):
        call_command("sync_assistants")
