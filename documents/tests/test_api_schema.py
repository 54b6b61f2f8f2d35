"""The knowledge-base routes answer what the OpenAPI schema documents, successes included (a fuzzer rarely reaches
them): files listed, uploaded and downloaded, documents read, reprocessed and deleted, a search with hits, a website
re-sync, and VAPI's knowledge-base requests."""

from __future__ import annotations

import urllib.parse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.schema import api_schema, assert_documented
from bots.tests.factories import BotFactory
from bots.vapi import bot_secret
from documents.models import Document, DocumentStatus
from documents.services import document_index_text
from documents.tests.factories import DocumentFactory
from documents.tests.pdfgen import make_pdf

pytestmark = pytest.mark.django_db

KEY = "kb-secret-0123456789"  # VAPI_WEBHOOK_SECRET
KB_BOT_UUID = "5d0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a09"
SECRET = bot_secret(KB_BOT_UUID, KEY)  # the bot's own secret, as its assistant sends it
DOWNLOADS = [
    ("faq.txt", b"Hello"),
    ("menu.pdf", make_pdf(["Soup"])),
    ("data.json", b'{"a": 1}'),
    ("table.csv", b"a,b\n1,2\n"),
    ("readme.md", b"# Title"),
    ("page.html", b"<html><body>Hi</body></html>"),
]


def _upload(client, bot, *files):
    data = {f"file_{index}": SimpleUploadedFile(name, content) for index, (name, content) in enumerate(files)}
    return client.post(f"/api/bots/{bot.uuid}/files", data, format="multipart")


def test_files_uploaded_listed_and_downloaded(client_for, user, rag_bot, media):
    client = client_for(user)

    assert_documented(_upload(client, rag_bot, *DOWNLOADS), "POST", "/api/bots/{uuid}/files")
    assert_documented(client.get(f"/api/bots/{rag_bot.uuid}/files"), "GET", "/api/bots/{uuid}/files")
    for name, _ in DOWNLOADS:  # each type the route answers with is documented
        response = client.get(f"/api/bots/{rag_bot.uuid}/files/{urllib.parse.quote(name)}")
        assert_documented(response, "GET", "/api/bots/{uuid}/files/{filename}")


@pytest.mark.parametrize(("name", "status"), [("..%5Csecret.txt", 403), ("nothing.txt", 404)])
def test_a_download_refused(client_for, user, rag_bot, name, status):
    response = client_for(user).get(f"/api/bots/{rag_bot.uuid}/files/{name}")

    assert response.status_code == status
    assert_documented(response, "GET", "/api/bots/{uuid}/files/{filename}")


def test_documents_read_reprocessed_and_deleted(client_for, user, rag_bot, media, django_capture_on_commit_callbacks):
    failed = DocumentFactory(bot=rag_bot, status=DocumentStatus.FAILED, error="Unreadable", file_path="uploads/x.pdf")
    client = client_for(user)
    base = f"/api/bots/{rag_bot.uuid}/documents"

    assert_documented(client.get(base), "GET", "/api/bots/{uuid}/documents")
    assert_documented(client.get(f"{base}/{failed.pk}"), "GET", "/api/bots/{uuid}/documents/{document_id}")
    with django_capture_on_commit_callbacks(execute=False):
        reprocessed = client.post(f"{base}/{failed.pk}/reprocess")
    assert reprocessed.json()["document"]["status"] == "pending"
    assert_documented(reprocessed, "POST", "/api/bots/{uuid}/documents/{document_id}/reprocess")
    deleted = client.delete(f"{base}/{failed.pk}")
    assert deleted.status_code == 200  # with a body, as documented (not 204)
    assert_documented(deleted, "DELETE", "/api/bots/{uuid}/documents/{document_id}")


def test_a_search_with_hits(client_for, user, rag_bot):
    document = DocumentFactory(bot=rag_bot, name="pool.txt", content=None, chunks=[])
    document_index_text(document=document, text="The swimming pool is open until 10 pm.")

    response = client_for(user).get(f"/api/bots/{rag_bot.uuid}/search", {"q": "swimming pool", "k": 3})

    assert len(response.json()["results"]) == 1  # a list of hits, as documented
    assert_documented(response, "GET", "/api/bots/{uuid}/search")


@pytest.mark.parametrize("query", [{"k": 3}, {"q": "x", "k": 0}, {"q": "x", "k": 51}, {"q": "x" * 2001}])
def test_a_search_out_of_its_bounds(client_for, user, rag_bot, query):
    response = client_for(user).get(f"/api/bots/{rag_bot.uuid}/search", query)

    assert response.status_code == 400
    assert_documented(response, "GET", "/api/bots/{uuid}/search")


def test_the_search_parameters_state_the_bounds_the_code_enforces():
    parameters = {
        p["name"]: p for p in api_schema().raw_schema["paths"]["/api/bots/{uuid}/search"]["get"]["parameters"]
    }

    assert parameters["q"]["required"] is True
    assert parameters["q"]["schema"]["maxLength"] == 2000
    assert (parameters["k"]["schema"]["minimum"], parameters["k"]["schema"]["maximum"]) == (1, 50)


def test_a_website_resync(client_for, user, django_capture_on_commit_callbacks):
    bot = BotFactory(user=user, rag_enabled=True, rag_source_type="URL", rag_url="https://example.com")

    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(user).post(f"/api/bots/{bot.uuid}/resync")

    assert response.status_code == 202
    assert_documented(response, "POST", "/api/bots/{uuid}/resync")


@pytest.fixture
def kb_bot(settings, user):
    settings.VAPI_WEBHOOK_SECRET = KEY
    bot = BotFactory(user=user, active=True, rag_enabled=True, vapi_assistant_id="asst_kb", uuid=KB_BOT_UUID)
    document = DocumentFactory(bot=bot, name="pool.txt", content=None, chunks=[])
    document_index_text(document=document, text="The swimming pool is open until 10 pm.")
    return bot


@pytest.mark.parametrize(
    ("message", "status"),
    [
        (
            {
                "type": "knowledge-base-request",
                "call": {"assistantId": "asst_kb"},
                "messagesOpenAIFormatted": [{"role": "user", "content": "When does the swimming pool close?"}],
            },
            200,
        ),
        ({"type": "status-update"}, 200),
        ("not an object", 400),
    ],
)
def test_knowledge_base_requests(client, kb_bot, message, status):
    response = client.post(
        "/api/vapi/knowledge-base",
        {"message": message},
        content_type="application/json",
        headers={"x-vapi-secret": SECRET},
    )

    assert response.status_code == status
    assert_documented(response, "POST", "/api/vapi/knowledge-base")


def test_a_knowledge_base_request_that_is_not_an_object_is_refused(client, kb_bot):
    response = client.post(
        "/api/vapi/knowledge-base", [1], content_type="application/json", headers={"x-vapi-secret": SECRET}
    )

    assert response.status_code == 400
    assert_documented(response, "POST", "/api/vapi/knowledge-base")
    assert not Document.objects.filter(name="[1]").exists()


def test_a_question_longer_than_its_bound_is_refused_whitespace_included(client_for, user, rag_bot):
    response = client_for(user).get(f"/api/bots/{rag_bot.uuid}/search", {"q": "x" * 2000 + " "})

    assert response.status_code == 400
    assert_documented(response, "GET", "/api/bots/{uuid}/search")
