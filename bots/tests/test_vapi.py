"""The VAPI client against a real local HTTP server: the exact requests it sends, and how it sorts failures."""

import datetime
import threading

import pytest
from werkzeug import Response

from bots.languages import language_choices
from bots.tests.conftest import PRIVATE_KEY
from bots.vapi import (
    VOICE_IDS,
    VOICES,
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


# The gender of each name as people read it, and of the ElevenLabs voice (its library's "gender" label).
NAME_GENDERS = {"jennifer": "female", "mark": "male", "sarah": "female", "david": "male", "emma": "female"}
ELEVENLABS_GENDERS = {
    "EXAVITQu4vr4xnSDxMaL": "female",  # Sarah
    "TxGEqnHWrfWFTfGW9XjX": "male",  # Josh
    "XrExE9yKIg1WjnnlVkGX": "female",  # Matilda
    "VR6AewLTigWG4xSOukaG": "male",  # Arnold
    "jsCqWAovK2LkecY7zXl4": "female",  # Freya
    "pqHfZKP75CvOlQylNhV4": "male",  # Bill
    "pNInz6obpgDQGcFmaJgB": "male",  # Adam: what "sarah" was
}


@pytest.mark.parametrize("name", sorted(NAME_GENDERS))
def test_each_voice_name_speaks_with_a_voice_of_its_gender(name):
    assert ELEVENLABS_GENDERS[voice_id(name)] == NAME_GENDERS[name]
    assert VOICES[name][2] == NAME_GENDERS[name]


def test_no_two_names_share_a_voice():
    assert len(set(VOICE_IDS.values())) == len(VOICE_IDS)


def body_for(language: str, voice: str = "emma") -> dict:
    return assistant_body(
        name="Bot",
        first_message="Hi",
        system_prompt="Be kind.",
        language=language,
        voice=voice,
        webhook_url="https://bots.example.com/api/vapi/webhook",
        knowledge_base_url=None,
        secret="s3",
        metadata={},
    )


@pytest.mark.parametrize("language", ["en", "en-US", "en-GB", "en-AU", "en-IN", "en-NZ"])
def test_english_bots_keep_vapis_default_voice_model(language):
    assert body_for(language)["voice"] == {"provider": "11labs", "voiceId": "jsCqWAovK2LkecY7zXl4"}


@pytest.mark.parametrize(
    ("language", "spoken"),
    [("es", "es"), ("de-CH", "de"), ("pt-BR", "pt"), ("zh-Hant", "zh"), ("hi-Latn", "hi"), ("no", "no")],
)
def test_other_languages_get_a_multilingual_voice_model_told_the_language(settings, language, spoken):
    settings.VAPI_MULTILINGUAL_VOICE_MODEL = "eleven_turbo_v2_5"

    body = body_for(language)

    assert body["voice"] == {
        "provider": "11labs",
        "voiceId": "jsCqWAovK2LkecY7zXl4",
        "model": "eleven_turbo_v2_5",
        "language": spoken,
    }
    assert body["transcriber"]["language"] == language


@pytest.mark.parametrize("model", ["eleven_multilingual_v2", "eleven_flash_v2_5"])
def test_a_model_that_does_not_take_the_language_is_not_sent_it(settings, model):
    # VAPI's ElevenLabsVoice.language: "only Turbo v2.5 supports language enforcement. For other models, an error
    # will be returned if language code is provided."
    settings.VAPI_MULTILINGUAL_VOICE_MODEL = model

    assert body_for("fr")["voice"] == {"provider": "11labs", "voiceId": "jsCqWAovK2LkecY7zXl4", "model": model}


@pytest.mark.parametrize("language", [code for code, _ in language_choices()])
def test_every_offered_language_makes_a_body_vapi_takes(language):
    body = body_for(language)

    assert body["transcriber"]["language"] in DEEPGRAM_LANGUAGES_IN_VAPIS_SPEC
    if language.split("-")[0] != "en":
        assert body["voice"]["model"] in ("eleven_turbo_v2_5", "eleven_flash_v2_5", "eleven_multilingual_v2")
        assert body["voice"]["language"] in TURBO_V2_5_LANGUAGES


# VAPI's openapi.json, DeepgramTranscriber.language (as generated into its SDKs: DeepgramTranscriberLanguage).
DEEPGRAM_LANGUAGES_IN_VAPIS_SPEC = {
    "bg",
    "ca",
    "cs",
    "da",
    "da-DK",
    "de",
    "de-CH",
    "el",
    "en",
    "en-AU",
    "en-GB",
    "en-IN",
    "en-NZ",
    "en-US",
    "es",
    "es-419",
    "es-LATAM",
    "et",
    "fi",
    "fr",
    "fr-CA",
    "hi",
    "hi-Latn",
    "hu",
    "id",
    "it",
    "ja",
    "ko",
    "ko-KR",
    "lt",
    "lv",
    "ms",
    "multi",
    "nl",
    "nl-BE",
    "no",
    "pl",
    "pt",
    "pt-BR",
    "ro",
    "ru",
    "sk",
    "sv",
    "sv-SE",
    "ta",
    "taq",
    "th",
    "th-TH",
    "tr",
    "uk",
    "vi",
    "zh",
    "zh-CN",
    "zh-Hans",
    "zh-Hant",
    "zh-TW",
}
# ElevenLabs' Turbo v2.5 languages (ISO 639-1; ElevenLabs' model overview).
TURBO_V2_5_LANGUAGES = {
    "en",
    "ja",
    "zh",
    "de",
    "hi",
    "fr",
    "ko",
    "pt",
    "it",
    "es",
    "id",
    "nl",
    "tr",
    "fil",
    "pl",
    "sv",
    "bg",
    "ro",
    "ar",
    "cs",
    "el",
    "fi",
    "hr",
    "ms",
    "sk",
    "da",
    "ta",
    "uk",
    "ru",
    "hu",
    "no",
    "vi",
}


def test_a_language_saved_before_the_list_is_sent_as_vapi_spells_it():
    assert body_for("en-au")["transcriber"]["language"] == "en-AU"
    assert body_for("pt-PT")["transcriber"]["language"] == "pt"
    assert body_for("ga")["transcriber"]["language"] == "ga"  # unknown: VAPI says why, the owner sees it


def test_the_browser_is_sent_only_transcripts_and_speech_updates():
    # clientMessages: what VAPI forwards to the web SDK during a call; its default includes "metadata",
    # "conversation-update", "model-output" and "tool-calls", none of which the widget reads.
    assert body_for("en")["clientMessages"] == ["transcript", "speech-update"]


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
        "voice": {
            "provider": "11labs",
            "voiceId": "jsCqWAovK2LkecY7zXl4",
            "model": "eleven_turbo_v2_5",
            "language": "es",
        },
        "transcriber": {"provider": "deepgram", "model": "nova-2", "language": "es"},
        "server": {"url": "https://bots.example.com/api/vapi/webhook", "headers": {"x-vapi-secret": "s3"}},
        "serverMessages": ["status-update", "end-of-call-report"],
        "clientMessages": ["transcript", "speech-update"],
        "metadata": {"botUuid": "u1"},
    }
