"""Processing a big upload streams it (issue 16): the text is read, chunked and stored piece by piece, the chunk
rows written in batches, so a worker's memory does not grow with the document (bench/memory.py measures a real
worker on 50 MB files; these pin the behaviour that keeps it so)."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from pypdf import PdfReader

from documents import extract, services
from documents.chunking import chunk_text
from documents.models import Document, DocumentChunk, DocumentStatus
from documents.tests.pdfgen import make_pdf

pytestmark = pytest.mark.django_db


def _book(size: int, layout: str = "book") -> bytes:
    """Plain text of about ``size`` bytes. "book": paragraphs of wrapped lines between blank lines; "lines": one
    line per paragraph and no blank line (what a word processor's "plain text" export makes), so that the whole
    file is one paragraph to the chunker, cut between lines that end sentences."""
    paragraphs = []
    total = 0
    number = 0
    while total < size:
        number += 1
        paragraph = (
            f"Chapter {number // 20}, paragraph {number}. The guest services team answers questions about rooms,\n"
            f"breakfast and parking. Reservations {number} can be changed online until two days before arrival.\n"
            "Le café ouvre à huit heures; the spa stays open late on Fridays and Saturdays for our guests, e.g. Dr."
        )
        if number % 3 == 0:
            paragraph += "\nand a line that goes on in lowercase."
        paragraphs.append(paragraph if layout == "book" else paragraph.replace("\n", " "))
        total += len(paragraph) + 2
    return ("\n\n" if layout == "book" else "\n").join(paragraphs).encode()


def _stored_document(bot, name: str, data: bytes, media_type: str) -> Document:
    """An upload as the worker finds it: stored, claimed (PROCESSING)."""
    path = default_storage.save(f"uploads/{bot.uuid}/{name}", ContentFile(data))
    return Document.objects.create(
        bot=bot, name=name, type=media_type, size=len(data), file_path=path, status=DocumentStatus.PROCESSING
    )


@pytest.mark.parametrize("layout", ["book", "lines"])
def test_chunk_rows_are_written_in_batches_as_the_text_is_read(rag_bot, media, settings, monkeypatch, layout):
    settings.CHUNK_SIZE, settings.CHUNK_OVERLAP = 200, 40
    monkeypatch.setattr(extract, "_TEXT_READ_BYTES", 4096)  # several parts, each chunked as it comes
    monkeypatch.setattr(extract, "_TEXT_PART_CHARS", 4096)
    data = _book(60_000, layout)
    with extract.open_text(io.BytesIO(data), "txt") as stream:
        parts = list(stream.texts)
    assert len(parts) > 10
    assert any(isinstance(part, extract.UnfinishedPart) for part in parts) is (layout == "lines")
    document = _stored_document(rag_bot, "book.txt", data, "text/plain")
    inserts: list[tuple[int, int]] = []
    insert_chunks = services._insert_chunks

    def spy(document, chunks, *, first_position, config):
        inserts.append((first_position, len(chunks)))
        return insert_chunks(document, chunks, first_position=first_position, config=config)

    monkeypatch.setattr(services, "_insert_chunks", spy)

    services.document_process(document_id=document.pk)

    document.refresh_from_db()
    assert document.status == DocumentStatus.READY, document.error
    # The same text and chunks as the file read whole and cut at once.
    text = extract.normalize_text(extract._decode(data))
    assert document.content == text
    assert document.chunks == chunk_text(text, size=200, overlap=40)
    assert len(document.chunks) > 10 * services.CHUNK_BATCH
    assert document.word_count == len(text.split())
    assert document.content_hash == services.text_hash(text)
    rows = DocumentChunk.objects.filter(document=document).order_by("position")
    assert list(rows.values_list("content", flat=True)) == document.chunks
    # Batches of CHUNK_BATCH rows (the last one shorter), one after the other.
    sizes = [size for _, size in inserts if size]
    assert set(sizes[:-1]) == {services.CHUNK_BATCH}
    assert 0 < sizes[-1] <= services.CHUNK_BATCH
    assert [position for position, size in inserts if size] == [services.CHUNK_BATCH * n for n in range(len(sizes))]


_AWKWARD_TEXT = (
    "\ufeffTitle  of\tthe  book\r\n\r\n\r\nFirst paragraph, line one\r\nline two\x00 \u2028line three.\r\r\n"
    "\x0c  Second\u3000paragraph \x85 after a page break.\n \n\t\nCafé à l'hôtel: 5 €.\r\x00\nLast line  "
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252"])
@pytest.mark.parametrize("read_bytes", [1, 3, 7, 64])
def test_a_text_file_read_in_pieces_is_the_text_read_whole(monkeypatch, encoding, read_bytes):
    # Line breaks (\r\n cut between two reads, NUL inside one), blank lines and spaces across pieces, multi-byte
    # characters cut between reads: the parts, joined by blank lines, are what reading the whole file gave.
    data = (_AWKWARD_TEXT * 3).encode(encoding, errors="replace")
    monkeypatch.setattr(extract, "_TEXT_READ_BYTES", read_bytes)
    monkeypatch.setattr(extract, "_TEXT_PART_CHARS", 16)

    with extract.open_text(io.BytesIO(data), "txt") as stream:
        parts = list(stream.texts)

    assert all(parts)
    assert len(parts) > 1
    assert "\n\n".join(parts) == extract.normalize_text(extract._decode(data))


@pytest.mark.parametrize("layout", ["book", "lines"])
def test_a_several_megabyte_text_file_is_processed_in_memory_far_smaller_than_the_file(rag_bot, media, layout):
    # Before streaming, the whole text, its chunks, their join and their JSON were all in memory at once: several
    # times the file's size (a 50 MB file took a worker over a gigabyte). Now about two megabytes whatever the
    # size (parts of 64 K characters, at most half a megabyte in flight to the database).
    data = _book(3_000_000, layout)
    document = _stored_document(rag_bot, "big.txt", data, "text/plain")

    tracemalloc.start()
    try:
        services.document_process(document_id=document.pk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    status, error, words = Document.objects.values_list("status", "error", "word_count").get(pk=document.pk)
    assert status == DocumentStatus.READY, error
    assert words > 450_000
    assert peak < len(data), f"peak {peak / 1e6:.1f} MB for a {len(data) / 1e6:.1f} MB file"
    del data


def test_a_pdf_page_is_forgotten_by_the_reader_once_its_text_is_taken():
    # pypdf caches every object it reads for the reader's life: a 50 MB PDF's content streams stayed in memory
    # until the last page was read.
    reader = PdfReader(io.BytesIO(make_pdf(["The first page.", "The second page."])))
    page = reader.pages[0]
    contents = page.raw_get("/Contents")
    assert page.extract_text() == "The first page."
    assert (contents.generation, contents.idnum) in reader.resolved_objects

    extract._pdf_forget_contents(reader, page)

    assert (contents.generation, contents.idnum) not in reader.resolved_objects
    assert reader.pages[0].extract_text() == "The first page."  # read again from the file if asked again


def test_a_big_pdf_is_read_from_its_file_not_copied_into_memory(tmp_path, monkeypatch):
    path = tmp_path / "handbook.pdf"
    pages = [f"Page {n} of the handbook." for n in range(1, 21)]
    path.write_bytes(make_pdf(pages))
    monkeypatch.setattr(extract, "_PDF_IN_MEMORY_BYTES", 1024)  # a "big" PDF: over this

    with open(path, "rb") as raw:
        stored = File(raw)  # what the storage opens
        assert extract._in_memory_if_small(stored) is raw  # unwrapped: pypdf's many small reads go straight to it
        text = extract.extract(stored, "pdf").text

    assert text.split("\n\n") == pages
