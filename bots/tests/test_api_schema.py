"""The bot routes answer what the OpenAPI schema documents, successes included (a fuzzer rarely reaches them): each
response below, of the legacy routes and of the REST resource, is checked against its operation's schema."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.schema import api_schema, assert_documented
from bots.models import BotStatus
from bots.tests.factories import BotFactory

pytestmark = pytest.mark.django_db

CONFIG = {"botName": "Support bot", "welcomeMessage": "Hello!", "systemPrompt": "You help."}
STATUS = "/api/bots/status/{uuid}"


def _create(client, config, **files):
    return client.post("/api/bots/create", {"config": json.dumps(config), **files}, format="multipart")


@pytest.mark.parametrize(
    "config",
    [CONFIG, {**CONFIG, "ragEnabled": True, "ragSourceType": "files"}],
    ids=["files ignored", "files stored"],
)
def test_the_legacy_create(client_for, user, settings, tmp_path, config):
    settings.MEDIA_ROOT = tmp_path
    response = _create(client_for(user), config, file_0=SimpleUploadedFile("faq.txt", b"Open 9 to 5."))

    assert response.status_code == 200
    assert response.json()["bot"]["vapiAssistantId"] is None  # not active yet: null, as documented
    assert_documented(response, "POST", "/api/bots/create")


def test_the_legacy_lists(client_for, user):
    BotFactory(user=user)
    BotFactory(user=user, active=True, rag_enabled=True, rag_source_type="URL", rag_url="https://example.com")
    client = client_for(user)

    assert_documented(client.get("/api/bots/create"), "GET", "/api/bots/create")
    assert_documented(client.get("/api/bots/list"), "GET", "/api/bots/list")


@pytest.mark.parametrize(
    "bot",
    [
        {},
        {"active": True},
        {"status": BotStatus.FAILED, "activation_error": "VAPI refused POST /assistant (401)"},
    ],
    ids=["pending", "active", "failed"],
)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anyone", "owner"])
def test_the_status(api_client, client_for, user, bot, signed_in):
    uuid = BotFactory(user=user, **bot).uuid
    client = client_for(user) if signed_in else api_client

    assert_documented(client.get(f"/api/bots/status/{uuid}"), "GET", STATUS)


def test_the_status_of_no_bot_and_a_bad_token(api_client):
    assert_documented(api_client.get("/api/bots/status/00000000-0000-4000-8000-000000000000"), "GET", STATUS)
    forged = api_client.get(f"/api/bots/status/{BotFactory().uuid}", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401
    assert_documented(forged, "GET", STATUS)


def test_linking_an_assistant(client_for, user, api_client):
    uuid = BotFactory(user=user).uuid
    client = client_for(user)

    assert_documented(
        client.patch(f"/api/bots/status/{uuid}", {"vapiAssistantId": "asst_1"}, format="json"), "PATCH", STATUS
    )
    assert_documented(client.patch(f"/api/bots/status/{uuid}", {}, format="json"), "PATCH", STATUS)
    assert_documented(api_client.patch(f"/api/bots/status/{uuid}", {}, format="json"), "PATCH", STATUS)


def test_the_status_path_documents_each_method_for_its_audience():
    operations = api_schema().raw_schema["paths"][STATUS]

    assert {} in operations["get"]["security"]
    assert {} not in operations["patch"]["security"]
    assert operations["patch"]["requestBody"]["required"] is True
    body = api_schema().raw_schema["components"]["schemas"]["AssistantLinkInputRequest"]
    assert body["required"] == ["vapiAssistantId"]  # required, though PATCH: the route refuses a body without it


@pytest.mark.parametrize(
    ("status", "action"), [(BotStatus.PENDING, "activate"), (BotStatus.ACTIVE, "deactivate"), (None, "activate")]
)
def test_activation(client_for, user, status, action, django_capture_on_commit_callbacks):
    uuid = BotFactory(user=user, status=status).uuid if status else "00000000-0000-4000-8000-000000000000"

    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(user).post("/api/admin/activate-bot", {"botUuid": uuid, "action": action}, format="json")

    assert response.status_code == (200 if status else 404)
    assert_documented(response, "POST", "/api/admin/activate-bot")


def test_the_public_config(api_client, settings):
    settings.VAPI_PUBLIC_KEY = "pk_public"

    assert_documented(api_client.get("/api/config"), "GET", "/api/config")


def test_the_rest_resource(client_for, user):
    client = client_for(user)
    body = {"name": "Concierge", "welcomeMessage": "Welcome!", "systemPrompt": "Help guests."}

    created = client.post("/api/bots", body, format="json")
    assert_documented(created, "POST", "/api/bots")
    uuid = created.json()["bot"]["uuid"]
    assert created.json()["bot"]["vapiAssistantId"] is None
    assert_documented(client.get("/api/bots"), "GET", "/api/bots")
    assert_documented(client.get("/api/bots", {"page": 9}), "GET", "/api/bots")
    assert_documented(client.get(f"/api/bots/{uuid}"), "GET", "/api/bots/{uuid}")
    assert_documented(client.patch(f"/api/bots/{uuid}", {"theme": "dark"}, format="json"), "PATCH", "/api/bots/{uuid}")
    deleted = client.delete(f"/api/bots/{uuid}")
    assert deleted.status_code == 200  # with a body, as documented (not 204)
    assert_documented(deleted, "DELETE", "/api/bots/{uuid}")


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"limit": "abc"}, 400),
        ({"limit": 0}, 400),
        ({"limit": 500}, 200),
        ({"ragEnabled": "yes"}, 400),
        ({"ragEnabled": "false"}, 200),
        ({"status": ""}, 400),
        ({"status": "active"}, 200),
        ({"page": 0}, 404),
        ({"page": ""}, 404),
        ({"page": "last"}, 404),
        ({"limit": ""}, 400),
    ],
)
def test_the_list_refuses_what_its_schema_does_not_allow(client_for, user, query, status):
    response = client_for(user).get("/api/bots", query)

    assert response.status_code == status
    assert_documented(response, "GET", "/api/bots")


@pytest.mark.parametrize(
    "change",
    [{"name": 5}, {"welcomeMessage": 1.5}, {"ragEnabled": 1}, {"ragEnabled": "true"}, {"ragUrl": "ftp://x.test"}],
)
def test_input_of_another_type_than_the_schema_states_is_refused(client_for, user, change):
    uuid = BotFactory(user=user).uuid

    response = client_for(user).patch(f"/api/bots/{uuid}", change, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(change)


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/bots/status/{uuid}", {"vapiAssistantId": " " + "a" * 100}),
        ("/api/bots/{uuid}", {"name": "a" * 100 + "\n"}),
    ],
)
def test_text_longer_than_its_schema_allows_is_refused_whitespace_included(client_for, user, url, body):
    # DRF trims the whitespace around text before measuring it; the schema's maxLength is of the text sent.
    uuid = BotFactory(user=user).uuid

    response = client_for(user).patch(url.format(uuid=uuid), body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(body)
