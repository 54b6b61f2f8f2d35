"""The VAPI client against a real local HTTP server: the exact requests it sends, and how it sorts failures."""

import datetime
import threading

import pytest
from werkzeug import Response

from bots.tests.conftest import PRIVATE_KEY
from bots.vapi import (
    VOICE_IDS,
    VapiClient,
    VapiNotConfigured,
    VapiRejected,
    VapiTransientError,
    assistant_body,
    voice_id,
)


@pytest.fixture
def client(vapi):
    with VapiClient.from_settings() as client:
        yield client


BODY = {"name": "Support", "firstMessage": "Hi", "model": {"provider": "openai"}}


def test_create_sends_the_assistant_with_our_key(client, vapi):
    vapi.expect_oneshot_request(
        "/assistant",
        method="POST",
        headers={"Authorization": f"Bearer {PRIVATE_KEY}", "Content-Type": "application/json"},
        json=BODY,
    ).respond_with_json({"id": "asst_1", **BODY}, status=201)

    assert client.create_assistant(BODY)["id"] == "asst_1"
    vapi.check_assertions()


def test_update_is_a_patch_of_the_whole_body(client, vapi):
    vapi.expect_oneshot_request("/assistant/asst_1", method="PATCH", json=BODY).respond_with_json({"id": "asst_1"})

    client.update_assistant("asst_1", BODY)
    vapi.check_assertions()


def test_delete(client, vapi):
    vapi.expect_oneshot_request("/assistant/asst_1", method="DELETE").respond_with_json({"id": "asst_1"})

    assert client.delete_assistant("asst_1") is True
    vapi.check_assertions()


def test_deleting_an_assistant_that_is_already_gone_is_fine(client, vapi):
    vapi.expect_request("/assistant/asst_1", method="DELETE").respond_with_json({"message": "Not Found"}, status=404)

    assert client.delete_assistant("asst_1") is False


def test_find_assistant_by_metadata(client, vapi):
    since = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    vapi.expect_oneshot_request(
        "/assistant", method="GET", query_string={"createdAtGt": "2026-01-02T03:04:05+00:00", "limit": "100"}
    ).respond_with_json([{"id": "a", "metadata": {"botUuid": "other"}}, {"id": "b", "metadata": {"botUuid": "u1"}}])

    assert client.find_assistant(metadata_key="botUuid", value="u1", created_after=since)["id"] == "b"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_429_and_5xx_are_transient(client, vapi, status):
    vapi.expect_request("/assistant", method="POST").respond_with_data("busy", status=status)

    with pytest.raises(VapiTransientError) as failure:
        client.create_assistant(BODY)
    assert failure.value.status_code == status


def test_a_timeout_is_transient(settings, vapi):
    settings.VAPI_TIMEOUT = 0.2
    release = threading.Event()

    def slow(request):
        release.wait(2)
        return Response("{}", content_type="application/json")

    vapi.expect_request("/assistant", method="POST").respond_with_handler(slow)
    try:
        with VapiClient.from_settings() as client, pytest.raises(VapiTransientError, match="did not answer"):
            client.create_assistant(BODY)
    finally:
        release.set()


def test_no_server_is_transient(settings):
    settings.VAPI_PRIVATE_KEY = "sk"
    settings.VAPI_BASE_URL = "http://127.0.0.1:9"

    with VapiClient.from_settings() as client, pytest.raises(VapiTransientError, match="Could not reach VAPI"):
        client.create_assistant(BODY)


@pytest.mark.parametrize("status", [400, 401, 403, 422])
def test_other_4xx_are_refusals_with_vapis_message(client, vapi, status):
    vapi.expect_request("/assistant", method="POST").respond_with_json(
        {"message": ["name must be shorter than or equal to 40 characters"], "error": "Bad Request"}, status=status
    )

    with pytest.raises(VapiRejected) as failure:
        client.create_assistant(BODY)
    assert failure.value.status_code == status
    assert "name must be shorter than or equal to 40 characters" in failure.value.message
    assert PRIVATE_KEY not in failure.value.message


def test_not_configured(settings):
    settings.VAPI_PRIVATE_KEY = ""

    with pytest.raises(VapiNotConfigured, match="VAPI_PRIVATE_KEY is not set"):
        VapiClient.from_settings()


def test_voice_names_map_to_the_originals_elevenlabs_ids():
    assert voice_id("jennifer") == "EXAVITQu4vr4xnSDxMaL"
    assert voice_id("Mark") == "TxGEqnHWrfWFTfGW9XjX"
    assert voice_id("nobody") == VOICE_IDS["jennifer"]
    assert len(VOICE_IDS) == 6


def test_assistant_body(settings):
    settings.VAPI_MODEL_PROVIDER = "openai"
    settings.VAPI_MODEL = "gpt-4o-mini"
    settings.VAPI_TRANSCRIBER_PROVIDER = "deepgram"
    settings.VAPI_TRANSCRIBER_MODEL = "nova-2"

    body = assistant_body(
        name="A very long bot name that VAPI would refuse as it is",
        first_message="Hello!",
        system_prompt="Be kind.",
        language="es",
        voice="emma",
        webhook_url="https://bots.example.com/api/vapi/webhook",
        knowledge_base_url="https://bots.example.com/api/vapi/knowledge-base",
        secret="s3",
        metadata={"botUuid": "u1"},
    )

    assert body == {
        "name": "A very long bot name that VAPI would ref",  # 40 characters
        "firstMessage": "Hello!",
        "model": {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "messages": [{"role": "system", "content": "Be kind."}],
            "knowledgeBase": {
                "provider": "custom-knowledge-base",
                "server": {
                    "url": "https://bots.example.com/api/vapi/knowledge-base",
                    "headers": {"x-vapi-secret": "s3"},
                },
            },
        },
        "voice": {"provider": "11labs", "voiceId": "jsCqWAovK2LkecY7zXl4"},
        "transcriber": {"provider": "deepgram", "model": "nova-2", "language": "es"},
        "server": {"url": "https://bots.example.com/api/vapi/webhook", "headers": {"x-vapi-secret": "s3"}},
        "serverMessages": ["status-update", "end-of-call-report"],
        "metadata": {"botUuid": "u1"},
    }
