"""Uploads become searchable documents: text, pages, words and chunks, or FAILED with a reason; the bot's
counters always equal what the database holds."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from docx import Document as DocxDocument

from documents import services
from documents.models import Document, DocumentChunk, DocumentStatus
from documents.tests.pdfgen import make_encrypted_pdf, make_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def processed(client_for, user, rag_bot, media, django_capture_on_commit_callbacks):
    """Upload files and run their processing as a worker would right after the commit."""

    def run(*files: SimpleUploadedFile) -> list[Document]:
        data = {f"file_{index}": file for index, file in enumerate(files)}
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post(f"/api/bots/{rag_bot.uuid}/files", data, format="multipart")
        assert response.status_code == 200, response.json()
        return list(Document.objects.order_by("uploaded_at", "id"))

    return run


def _docx(paragraphs: list[str], table: list[list[str]]) -> bytes:
    document = DocxDocument()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for row, cells in zip(grid.rows, table, strict=True):
        for cell, value in zip(row.cells, cells, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_multi_page_pdf_becomes_a_ready_document(processed, rag_bot, settings, monkeypatch):
    settings.CHUNK_SIZE, settings.CHUNK_OVERLAP = 120, 30  # a few chunks of five short pages
    monkeypatch.setattr(services, "CHUNK_BATCH", 2)  # stored in several batches as pages are read
    pages = [f"Page {n}: the museum opens at {n} o'clock on weekdays." for n in range(1, 6)]

    (document,) = processed(SimpleUploadedFile("hours.pdf", make_pdf(pages)))

    assert document.status == DocumentStatus.READY
    assert document.pages == 5
    assert "Page 3: the museum opens at 3 o'clock" in document.content
    assert document.word_count == 50
    assert len(document.chunks) > 1
    assert document.processed_at is not None
    rows = DocumentChunk.objects.filter(document=document).order_by("position")
    assert list(rows.values_list("content", flat=True)) == document.chunks  # the JSON and the searchable rows
    assert list(rows.values_list("position", flat=True)) == list(range(len(document.chunks)))
    rag_bot.refresh_from_db()
    assert (rag_bot.documents_processed, rag_bot.local_files_stored) == (1, 1)


def test_processing_leaves_foreign_keys_deferred_for_the_rest_of_the_transaction(processed, rag_bot):
    # Ingestion checks its chunk rows' foreign keys per statement (not all at COMMIT), then defers them again: a
    # caller's transaction (this test's, around everything) keeps Django's deferred checks.
    (document,) = processed(SimpleUploadedFile("hours.pdf", make_pdf(["Open from nine to five."])))
    assert document.status == DocumentStatus.READY

    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO document_chunks ("documentId", "botId", "position", "content") VALUES (%s, %s, 99, %s)',
            ["no-such-document", rag_bot.pk, "orphan"],
        )  # accepted for now: checked at COMMIT
        with pytest.raises(IntegrityError), transaction.atomic():
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # runs the pending checks now
        cursor.execute('DELETE FROM document_chunks WHERE "documentId" = %s', ["no-such-document"])


def test_a_docx_with_a_table(processed):
    content = _docx(["Our prices for 2026."], [["Room", "Price"], ["Single", "80 EUR"], ["Double", "120 EUR"]])

    (document,) = processed(SimpleUploadedFile("prices.docx", content))

    assert document.status == DocumentStatus.READY
    assert "Our prices for 2026." in document.content
    assert "Double | 120 EUR" in document.content


def test_html_csv_json_and_utf16_text(processed):
    documents = processed(
        SimpleUploadedFile(
            "page.html", b"<html><head><title>Menu</title><script>x()</script></head><body><p>Soup</p></body></html>"
        ),
        SimpleUploadedFile("rooms.csv", b"room,beds\nsingle,1\ndouble,2\n"),
        SimpleUploadedFile("faq.json", b'{"faq": [{"q": "Pets?", "a": "Dogs welcome"}]}'),
        SimpleUploadedFile("notes.txt", "Caf\u00e9 opens at noon.".encode("utf-16")),
    )

    texts = {document.name: document.content for document in documents}
    assert all(document.status == DocumentStatus.READY for document in documents)
    assert "Soup" in texts["page.html"]
    assert "x()" not in texts["page.html"]
    assert "room: double" in texts["rooms.csv"]
    assert "beds: 2" in texts["rooms.csv"]
    assert "Dogs welcome" in texts["faq.json"]
    assert texts["notes.txt"] == "Caf\u00e9 opens at noon."


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("secret.pdf", make_encrypted_pdf(["Top secret"]), "The PDF is encrypted (password protected)"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", None),
        ("blank.pdf", make_pdf([""]), "No text found in the file (a scanned PDF needs OCR)"),
        ("empty.txt", b"   \n\n  ", "No text found in the file"),
    ],
)
def test_unreadable_files_end_failed_with_a_clear_reason(processed, rag_bot, name, content, reason):
    (document,) = processed(SimpleUploadedFile(name, content))

    assert document.status == DocumentStatus.FAILED
    assert document.error == reason if reason else document.error.startswith("The PDF could not be read")
    assert not DocumentChunk.objects.exists()
    rag_bot.refresh_from_db()
    assert (rag_bot.documents_processed, rag_bot.local_files_stored) == (0, 1)


def test_a_docx_bomb_is_refused_without_being_inflated(processed, settings):
    import zipfile

    settings.DOCX_MAX_UNPACKED_MB = 5
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as member:
            for _ in range(20):
                member.write(b"\0" * (1024 * 1024))

    (document,) = processed(SimpleUploadedFile("bomb.docx", buffer.getvalue()))

    assert document.status == DocumentStatus.FAILED
    assert document.error == "The DOCX is too large once unpacked"


def test_a_failed_document_can_be_processed_again(
    processed, client_for, user, rag_bot, django_capture_on_commit_callbacks
):
    (document,) = processed(SimpleUploadedFile("empty.txt", b" "))

    with default_storage.open(document.file_path, "wb") as fixed:
        fixed.write(b"Now with text.")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(f"/api/bots/{rag_bot.uuid}/documents/{document.pk}/reprocess")

    assert response.status_code == 200
    document.refresh_from_db()
    assert (document.status, document.content) == (DocumentStatus.READY, "Now with text.")


def test_documents_list_and_delete(user, other_user, client_for, processed, rag_bot):
    from accounts.tests.scoping import assert_owner_only

    first, second = processed(SimpleUploadedFile("a.txt", b"Alpha text."), SimpleUploadedFile("b.txt", b"Beta text."))

    listing = assert_owner_only(
        method="get", url=f"/api/bots/{rag_bot.uuid}/documents", owner=user, stranger=other_user, client_for=client_for
    ).json()
    assert {(d["name"], d["status"], d["chunkCount"]) for d in listing["documents"]} == {
        ("a.txt", "ready", 1),
        ("b.txt", "ready", 1),
    }

    assert_owner_only(
        method="delete",
        url=f"/api/bots/{rag_bot.uuid}/documents/{first.pk}",
        owner=user,
        stranger=other_user,
        client_for=client_for,
    )

    assert list(Document.objects.all()) == [second]
    assert not DocumentChunk.objects.filter(document_id=first.pk).exists()
    rag_bot.refresh_from_db()
    assert (rag_bot.documents_processed, rag_bot.local_files_stored) == (1, 1)


def test_document_list_costs_a_fixed_number_of_queries(client_for, user, processed, rag_bot):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(user)
    processed(SimpleUploadedFile("a.txt", b"Alpha."))
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/bots/{rag_bot.uuid}/documents")
    processed(*[SimpleUploadedFile(f"n{n}.txt", b"More text.") for n in range(8)])
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"/api/bots/{rag_bot.uuid}/documents").json()["documents"]) == 9

    # The user, the bot, the documents with their chunk counts.
    assert (len(few), len(many)) == (3, 3)
