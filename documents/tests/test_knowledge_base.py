"""The custom knowledge base VAPI calls during a call, with VAPI-shaped payloads."""

from __future__ import annotations

import pytest

from bots.tests.factories import BotFactory
from bots.vapi import bot_secret
from documents.services import document_index_text
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

KEY = "kb-secret-0123456789"  # VAPI_WEBHOOK_SECRET
BOT_UUID = "5d0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a01"
SECRET = bot_secret(BOT_UUID, KEY)  # what the bot's assistant sends
URL = "/api/vapi/knowledge-base"


@pytest.fixture
def bot(settings, user):
    settings.VAPI_WEBHOOK_SECRET = KEY
    bot = BotFactory(user=user, active=True, rag_enabled=True, vapi_assistant_id="asst_kb", uuid=BOT_UUID)
    for name, text in (
        ("hours.txt", "The spa is open from 9 am to 8 pm, every day except Monday."),
        ("pool.txt", "The swimming pool is heated to 28 degrees and open until 10 pm."),
    ):
        document = DocumentFactory(bot=bot, name=name, content=None, chunks=[])
        document_index_text(document=document, text=text)
    return bot


def request(question: str, *, assistant_id="asst_kb", style="openai", **extra) -> dict:
    message = {
        "type": "knowledge-base-request",
        "timestamp": 1780000000000,
        "call": {"id": "call_1", "assistantId": assistant_id, "type": "webCall"},
    }
    history = [{"role": "assistant", "content": "Hello! How can I help?"}, {"role": "user", "content": question}]
    if style == "openai":
        message["messagesOpenAIFormatted"] = history
    else:
        message["messages"] = [
            {"role": m["role"], "message": m["content"], "time": 1, "secondsFromStart": 1} for m in history
        ]
    message.update(extra)
    return {"message": message}


def post(client, body, secret=SECRET):
    headers = {"x-vapi-secret": secret} if secret is not None else {}
    return client.post(URL, body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("style", ["openai", "vapi"])
def test_answers_with_the_best_chunks_for_the_last_user_message(client, bot, style):
    response = post(client, request("When does the swimming pool close?", style=style))

    assert response.status_code == 200
    documents = response.json()["documents"]
    assert documents[0]["content"] == "The swimming pool is heated to 28 degrees and open until 10 pm."
    assert 0 < documents[0]["similarity"] <= 1
    assert documents[0]["uuid"].endswith(":0")
    assert set(documents[0]) == {"content", "similarity", "uuid"}


def test_at_most_top_k(client, bot, settings):
    settings.KNOWLEDGE_BASE_TOP_K = 1

    assert len(post(client, request("open pool spa day")).json()["documents"]) == 1


def test_the_bot_is_found_by_metadata_when_the_call_has_no_assistant_id(client, bot):
    body = request("pool", assistant_id=None, assistant={"metadata": {"botUuid": bot.uuid}})

    assert post(client, body).json()["documents"]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", KEY, bot_secret(BOT_UUID, "another-key-0123456789")])
def test_a_wrong_secret_is_401(client, bot, secret):
    response = post(client, request("pool"), secret=secret)

    assert response.status_code == 401
    assert response.json() == {"success": False, "error": "Unauthorized"}


def another_bot(user, **fields):
    other = BotFactory(user=user, active=True, rag_enabled=True, vapi_assistant_id="asst_other", **fields)
    document = DocumentFactory(bot=other, name="other.txt", content=None, chunks=[])
    document_index_text(document=document, text="The other bot's secret recipe: the pool is salt water.")
    return other


def test_a_bots_secret_reads_no_other_bots_chunks(client, bot, user):
    # Naming the other bot's assistant (or its uuid in the metadata) with this bot's secret gets nothing of it.
    other = another_bot(user)
    named_by_id = request("pool recipe", assistant_id="asst_other")
    named_by_metadata = request("pool recipe", assistant_id=None, assistant={"metadata": {"botUuid": other.uuid}})

    assert post(client, named_by_id).json() == {"documents": []}
    contents = [document["content"] for document in post(client, named_by_metadata).json()["documents"]]
    assert contents  # this bot's own chunks, and none of the other's
    assert not any("secret recipe" in content for content in contents)


def test_the_other_bot_answers_with_its_own_secret(client, bot, user, settings):
    other = another_bot(user)

    response = post(client, request("secret recipe", assistant_id="asst_other"), secret=bot_secret(other.uuid, KEY))

    assert response.json()["documents"][0]["content"].startswith("The other bot's secret recipe")


def test_the_shared_secret_of_older_assistants_while_it_is_a_previous_secret(client, bot, settings):
    assert post(client, request("pool"), secret=KEY).status_code == 401
    settings.VAPI_WEBHOOK_PREVIOUS_SECRETS = [KEY]

    assert post(client, request("pool"), secret=KEY).json()["documents"]


def test_a_long_conversation_beyond_djangos_cap_is_answered(client, bot, settings):
    body = request("When does the swimming pool close?")
    body["message"]["messagesOpenAIFormatted"][:0] = [{"role": "user", "content": "x" * 1000}] * 3000  # ~3 MB

    assert post(client, body).json()["documents"][0]["content"].startswith("The swimming pool")
    settings.VAPI_WEBHOOK_MAX_MB = 1
    response = post(client, body)
    assert (response.status_code, response.json()) == (413, {"success": False, "error": "Request body too large"})


def test_unknown_assistant_gets_empty_documents(client, bot):
    assert post(client, request("pool", assistant_id="asst_someone_else")).json() == {"documents": []}


def test_nothing_matching_gets_empty_documents(client, bot):
    assert post(client, request("cryptocurrency mining rigs")).json() == {"documents": []}


def test_a_bot_without_rag_gets_empty_documents(client, bot):
    type(bot).objects.filter(pk=bot.pk).update(rag_enabled=False)

    assert post(client, request("pool")).json() == {"documents": []}


def test_other_message_types_get_empty_documents(client, bot):
    assert post(client, {"message": {"type": "status-update", "status": "in-progress"}}).json() == {"documents": []}


def test_malformed_json_is_400(client, bot):
    response = client.post(URL, "{oops", content_type="application/json", headers={"x-vapi-secret": SECRET})

    assert response.status_code == 400
    assert response.json()["error"] == "Malformed JSON"


def test_not_configured_is_503(client, bot, settings):
    settings.VAPI_WEBHOOK_SECRET = ""

    assert post(client, request("pool")).status_code == 503


def test_it_costs_at_most_three_queries(client, bot, django_assert_num_queries, settings):
    # The bot by its assistant id, the chunks with all the words, and (fewer than top-k of those) the chunks with
    # any of them: nothing else on the live voice path.
    with django_assert_num_queries(3):
        post(client, request("When does the pool close?"))
    settings.KNOWLEDGE_BASE_TOP_K = 1
    with django_assert_num_queries(2):  # enough chunks have every word: no second search
        post(client, request("swimming pool"))


def test_nul_characters_in_the_question_and_ids_are_removed(client, bot):
    body = request("When does the swimming\x00 pool close?", assistant_id="asst_\x00kb")

    response = post(client, body)

    assert response.status_code == 200
    assert response.json()["documents"][0]["content"].startswith("The swimming pool")


def test_a_body_nested_too_deeply_is_400(client, bot):
    response = post(client, '{"message": ' + "[" * 100_000 + "]" * 100_000 + "}")

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "JSON nested deeper than 64 levels"}


@pytest.mark.parametrize("question", [7, None, ["a"], {"x": 1}, ""])
def test_a_question_that_is_not_text_finds_nothing(client, bot, question):
    body = request("placeholder")
    body["message"]["messagesOpenAIFormatted"][-1]["content"] = question

    response = post(client, body)

    assert response.status_code == 200
    assert response.json() == {"documents": []}
