"""Text extraction and upload sniffing, on real files built by the tests themselves (no binary fixtures)."""

from __future__ import annotations

import codecs
import io
import json
import random
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from documents import extract as extract_module
from documents.extract import (
    KINDS,
    Extracted,
    ExtractionError,
    extract,
    html_to_text,
    media_type,
    normalize_text,
    sniff_kind,
)
from documents.tests.pdfgen import make_encrypted_pdf, make_pdf

ENCRYPTED = "The PDF is encrypted (password protected)"
PDF_DAMAGED = "The PDF could not be read (it looks damaged)"
DOCX_DAMAGED = "The DOCX could not be read (it looks damaged)"
DOCX_TOO_LARGE = "The DOCX is too large once unpacked"
NO_TEXT = "No text found in the file"


def reason_of(source: bytes, kind: str) -> str:
    with pytest.raises(ExtractionError) as caught:
        extract(io.BytesIO(source), kind)
    return caught.value.reason


# --- PDF ------------------------------------------------------------------------------------------------------


def test_pdf_text_of_every_page_in_order(tmp_path: Path) -> None:
    pages = ["First page: the (quick) brown fox.", "Second page, back\\slash and café.", "Third page ends it."]
    path = tmp_path / "three.pdf"
    path.write_bytes(make_pdf(pages))

    result = extract(path, "pdf")

    assert result.pages == 3
    assert [result.text.index(page) for page in pages] == sorted(result.text.index(page) for page in pages)
    assert result.text.split("\n\n") == pages  # one paragraph per page here


def test_pdf_long_lines_are_wrapped_and_still_extracted() -> None:
    sentence = "Knowledge bases answer questions about opening hours and prices. " * 6

    result = extract(io.BytesIO(make_pdf([sentence])), "pdf")

    assert " ".join(result.text.split()) == sentence.strip()
    assert "\n" in result.text  # wrapped into lines on the page


def test_pdf_from_a_file_object_is_read_from_its_start() -> None:
    stream = io.BytesIO(make_pdf(["Read me from the start."]))
    stream.read(8192)  # as after sniffing the head

    assert extract(stream, "pdf") == Extracted(text="Read me from the start.", pages=1)


class _CountingFile(io.BufferedReader):
    """A file on disk that counts the calls made on it."""

    calls = 0

    def read(self, *args):
        self.calls += 1
        return super().read(*args)

    def seek(self, *args):
        self.calls += 1
        return super().seek(*args)


@pytest.mark.parametrize(
    ("limit_mb", "in_memory"),
    [
        (1, True),  # up to the upload limit: read whole, once (pypdf reads a few bytes at a time: thousands of calls)
        (0, False),  # larger (an imported file): not held in memory, read where it is
    ],
)
def test_pdf_up_to_the_upload_limit_is_read_whole_into_memory(tmp_path: Path, settings, limit_mb, in_memory) -> None:
    path = tmp_path / "handbook.pdf"
    pages = [f"Page {n} of the handbook." for n in range(1, 41)]
    path.write_bytes(make_pdf(pages))
    settings.MAX_UPLOAD_MB = limit_mb

    with _CountingFile(io.FileIO(path)) as stored:
        result = extract(stored, "pdf")

    assert result.text.split("\n\n") == pages  # the same text either way
    assert (stored.calls <= 5) is in_memory
    assert (stored.calls > 100) is not in_memory


def test_pdf_of_200_pages_builds_and_extracts() -> None:
    started = time.perf_counter()
    data = make_pdf([f"Page number {n} of the handbook." for n in range(1, 201)])
    assert time.perf_counter() - started < 1

    result = extract(io.BytesIO(data), "pdf")

    assert result.pages == 200
    assert "Page number 1 of the handbook." in result.text
    assert result.text.endswith("Page number 200 of the handbook.")


def test_pdf_with_only_an_owner_password_opens() -> None:
    data = make_encrypted_pdf(["Owner-protected but readable."], user_password="", owner_password="owner")

    assert extract(io.BytesIO(data), "pdf") == Extracted(text="Owner-protected but readable.", pages=1)


def test_pdf_with_a_user_password_is_refused() -> None:
    assert reason_of(make_encrypted_pdf(["Secret plans."], user_password="secret"), "pdf") == ENCRYPTED


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_pdf_is_damaged(fraction: float) -> None:
    data = make_pdf(["Some text on a page."] * 3)

    assert reason_of(data[: int(len(data) * fraction)], "pdf") == PDF_DAMAGED


@pytest.mark.parametrize("data", [b"%PDF-1.4\n" + bytes(range(256)) * 8, b"not a PDF at all", b""])
def test_garbage_pdf_is_damaged(data: bytes) -> None:
    assert reason_of(data, "pdf") == PDF_DAMAGED


def test_pdf_page_that_fails_is_skipped_unless_all_do(monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PageObject

    original = PageObject.extract_text
    broken = {"Page two."}

    def extract_text(page: PageObject, *args: object, **kwargs: object) -> str:
        text = original(page)
        if text in broken:
            raise KeyError("/Font")
        return text

    monkeypatch.setattr(PageObject, "extract_text", extract_text)
    data = make_pdf(["Page one.", "Page two.", "Page three."])

    assert extract(io.BytesIO(data), "pdf") == Extracted(text="Page one.\n\nPage three.", pages=3)
    broken.update({"Page one.", "Page three."})
    assert reason_of(data, "pdf") == PDF_DAMAGED


def test_pdf_without_text_needs_ocr() -> None:
    assert reason_of(make_pdf(["", "   "]), "pdf") == f"{NO_TEXT} (a scanned PDF needs OCR)"


# --- DOCX -----------------------------------------------------------------------------------------------------


def docx_bytes(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_paragraphs_and_tables_in_document_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Opening hours", level=1)
    document.add_paragraph("We are open on weekdays.")
    document.add_paragraph("")  # empty paragraphs are skipped
    table = document.add_table(rows=3, cols=2)
    for row, values in zip(table.rows, [("Day", "Hours"), ("Monday", "9-17"), ("Saturday", "")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("Closed on public holidays.")
    path = tmp_path / "hours.docx"
    path.write_bytes(docx_bytes(document))

    result = extract(path, "docx")

    assert result == Extracted(
        text=(
            "Opening hours\n\nWe are open on weekdays.\n\nDay | Hours\nMonday | 9-17\nSaturday |\n\n"
            "Closed on public holidays."
        ),
        pages=None,
    )


def test_docx_merged_cells_appear_once() -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Wide"
    table.cell(0, 2).text = "c"
    for index, value in enumerate(["a", "b", "c"]):
        table.cell(1, index).text = value

    assert extract(io.BytesIO(docx_bytes(document)), "docx").text == "Wide | c\na | b | c"


def zip_with(members: dict[str, Iterator[bytes] | bytes]) -> bytes:
    """A zip written member by member, chunk by chunk: a bomb's content never sits in memory whole."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            with archive.open(name, "w") as member:
                for chunk in [content] if isinstance(content, bytes) else content:
                    member.write(chunk)
    return out.getvalue()


def zeros(megabytes: int) -> Iterator[bytes]:
    block = bytes(1024 * 1024)
    for _ in range(megabytes):
        yield block


@pytest.fixture
def docx_never_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("python-docx must not open a zip bomb")

    monkeypatch.setattr(docx, "Document", refuse)


@pytest.mark.usefixtures("docx_never_opened")
def test_docx_too_large_once_unpacked_is_refused_before_inflating(settings) -> None:
    settings.DOCX_MAX_UNPACKED_MB = 5
    bomb = zip_with({"[Content_Types].xml": b"<Types/>", "word/document.xml": zeros(20)})
    assert len(bomb) < 100_000

    assert reason_of(bomb, "docx") == DOCX_TOO_LARGE


@pytest.mark.usefixtures("docx_never_opened")
def test_docx_member_with_an_absurd_compression_ratio_is_refused() -> None:
    # 2 MB is far below the default 100 MB limit: the ratio alone gives the bomb away.
    bomb = zip_with({"[Content_Types].xml": b"<Types/>", "word/document.xml": zeros(2)})

    assert reason_of(bomb, "docx") == DOCX_TOO_LARGE


def test_docx_within_the_limit_still_reads(settings) -> None:
    settings.DOCX_MAX_UNPACKED_MB = 5
    document = docx.Document()
    document.add_paragraph("Small enough.")

    assert extract(io.BytesIO(docx_bytes(document)), "docx").text == "Small enough."


def test_zip_without_a_word_document_is_damaged() -> None:
    assert reason_of(zip_with({"hello.txt": b"Hello"}), "docx") == DOCX_DAMAGED


def test_docx_with_broken_xml_is_damaged() -> None:
    good = zipfile.ZipFile(io.BytesIO(docx_bytes(docx.Document())))
    members = {info.filename: good.read(info) for info in good.infolist()}
    members["word/document.xml"] = b"<w:document><w:body><w:p>unclosed"

    assert reason_of(zip_with(members), "docx") == DOCX_DAMAGED


@pytest.mark.parametrize("cut", [0.3, 0.9])
def test_truncated_docx_is_damaged(cut: float) -> None:
    data = docx_bytes(docx.Document())

    assert reason_of(data[: int(len(data) * cut)], "docx") == DOCX_DAMAGED


def test_docx_without_text_has_no_text() -> None:
    assert reason_of(docx_bytes(docx.Document()), "docx") == NO_TEXT


# --- HTML -----------------------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head>
  <meta charset="utf-8"><title>  Acme   Opening Hours </title>
  <style>body { color: red }</style>
  <script>var hidden = "script text";</script>
</head>
<body>
  <nav><a href="/">Home</a> <a href="/about">About us</a></nav>
  <h1>Opening   hours</h1>
  <p>We are open <b>every</b>
     weekday &amp; on Saturday&nbsp;mornings.<br>Call us first.</p>
  <noscript>Enable JavaScript</noscript>
  <template><p>Template text</p></template>
  <svg><title>Icon title</title><text>Drawing text</text></svg>
  <ul><li>Coffee</li><li>Tea</li></ul>
  <table><tr><th>Day</th><th>Hours</th></tr><tr><td>Mon</td><td>9-17</td></tr></table>
  <pre>keep   this
  layout</pre>
  <footer>© Acme</footer>
</body></html>"""


def test_html_to_text_keeps_only_visible_text() -> None:
    title, text = html_to_text(PAGE)

    assert title == "Acme Opening Hours"
    assert text == (
        "Home About us\n\nOpening hours\n\nWe are open every weekday & on Saturday mornings.\nCall us first.\n\n"
        "Coffee\nTea\n\nDay | Hours\nMon | 9-17\n\nkeep this\nlayout\n\n© Acme"
    )


@pytest.mark.parametrize("hidden", ["script text", "body { color", "Enable JavaScript", "Template", "Icon", "Drawing"])
def test_html_hidden_content_is_skipped(hidden: str) -> None:
    assert hidden not in html_to_text(PAGE)[1]


def test_html_without_head_or_closing_tags() -> None:
    assert html_to_text("<title>T</title><p>One<p>Two<div>Three") == ("T", "One\n\nTwo\n\nThree")


def test_html_file_has_its_title_first() -> None:
    result = extract(io.BytesIO(PAGE.encode()), "html")

    assert result.text.startswith("Acme Opening Hours\n\nHome About us\n\nOpening hours")
    assert result.pages is None


def test_html_declared_legacy_charset_is_used() -> None:
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>Caf\xe9 cr\xe8me</p></body></html>'

    assert extract(io.BytesIO(page.encode("latin-1")), "html").text == "Café crème"


def test_html_without_visible_text() -> None:
    assert reason_of(b"<html><head><script>x()</script></head><body> </body></html>", "html") == NO_TEXT


# --- CSV and JSON ---------------------------------------------------------------------------------------------


def test_csv_with_a_header_reads_as_records() -> None:
    data = b"name,age,city\r\nAda,36,London\r\n\r\n,,\r\nGrace,85,\r\n"

    assert extract(io.BytesIO(data), "csv").text == "name: Ada; age: 36; city: London\nname: Grace; age: 85"


def test_csv_without_a_header_reads_as_rows() -> None:
    data = b"1,2,3\n4,5,\n7,8,9\n"

    assert extract(io.BytesIO(data), "csv").text == "1, 2, 3\n4, 5\n7, 8, 9"


def test_csv_with_semicolons_and_quotes() -> None:
    data = b'product;price;note\n"Tea; green";3.50;"said ""fresh"""\nCoffee;2.10;\n'

    assert extract(io.BytesIO(data), "csv").text == (
        'product: Tea; green; price: 3.50; note: said "fresh"\nproduct: Coffee; price: 2.10'
    )


def test_json_nested_object_flattens_to_key_paths() -> None:
    value = {
        "name": "Acme",
        "address": {"city": "London", "lines": ["1 High St", "Floor 2"]},
        "open": True,
        "rating": 4.5,
        "fax": None,
    }

    assert extract(io.BytesIO(json.dumps(value).encode()), "json").text == (
        "name: Acme\naddress.city: London\naddress.lines[0]: 1 High St\naddress.lines[1]: Floor 2\n"
        "open: true\nrating: 4.5"
    )


def test_json_list_of_objects_is_one_paragraph_per_object() -> None:
    value = [{"q": "Opening hours?", "a": "9 to 5"}, {"q": "Parking?", "a": "Yes", "tags": ["car"]}]

    assert extract(io.BytesIO(json.dumps(value).encode()), "json").text == (
        "q: Opening hours?\na: 9 to 5\n\nq: Parking?\na: Yes\ntags[0]: car"
    )


def test_deeply_nested_json_is_read_without_recursion() -> None:
    value: object = "bottom"
    for _ in range(500):
        value = {"k": value}

    assert extract(io.BytesIO(json.dumps(value).encode()), "json").text == "k." * 499 + "k: bottom"


@pytest.mark.parametrize("data", [b'{"a": 1', b"{'single': 'quotes'}", b"[1, 2,]", b"\xff\xfe{"])
def test_invalid_json(data: bytes) -> None:
    assert reason_of(data, "json") == "The JSON file is not valid JSON"


# --- Plain text and Markdown ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_LE + "Grüße aus Köln\r\nZweite Zeile".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "Grüße aus Köln\r\nZweite Zeile".encode("utf-16-be"),
        "Grüße aus Köln\r\nZweite Zeile".encode("utf-32"),
        codecs.BOM_UTF8 + "Grüße aus Köln\r\nZweite Zeile".encode(),
        "Grüße aus Köln\rZweite Zeile".encode(),
    ],
    ids=["utf-16-le", "utf-16-be", "utf-32", "utf-8-bom", "utf-8-cr"],
)
def test_text_encodings_with_and_without_bom(data: bytes) -> None:
    assert extract(io.BytesIO(data), "txt") == Extracted(text="Grüße aus Köln\nZweite Zeile", pages=None)


@pytest.mark.parametrize(
    "text",
    [
        "Un café crème, s'il vous plaît. Déjà vu à Noël — “quotes” cost 5 €.",
        "café",
        "Der Fuchs springt über den Hund. Äpfel, Öl und Übung. Straße.",
        "El niño comió piñata en la mañana. ¿Dónde está la canción?",
    ],
)
def test_windows_1252_text(text: str) -> None:
    assert extract(io.BytesIO(text.encode("cp1252")), "txt").text == text


def test_windows_1251_text_is_not_taken_for_1252() -> None:
    text = "Съешь же ещё этих мягких французских булок, да выпей чаю."

    assert extract(io.BytesIO(text.encode("cp1251")), "txt").text == text


def test_whitespace_is_normalized() -> None:
    data = b"  Title\t\t with  tabs   \n\n\n\n\nBody\x00 line \x07\n   \nEnd\x0cPage two  "

    assert extract(io.BytesIO(data), "txt").text == "Title with tabs\n\nBody line\n\nEnd\nPage two"


def test_normalization_is_the_regular_expression_definition() -> None:
    """normalize_text's fast form (str.split per line) against its definition: runs of spaces and tabs become one
    space, lines are stripped, at most one blank line in a row, and odd line breaks and controls handled first."""
    spaces = re.compile(r"[^\S\n]+")

    def by_definition(text: str) -> str:
        text = text.replace("\r\n", "\n").translate(extract_module._NORMAL_FORM)
        text = spaces.sub(" ", text).replace(" \n", "\n").replace("\n ", "\n")
        return re.sub(r"\n{3,}", "\n\n", text).strip()

    rng = random.Random(5)
    alphabet = ("a", "b", "é", " ", "  ", "\t", "\n", "\n\n", "\u00a0", "\u2003", "\u3000", "\r", "\r\n", "\x85")
    alphabet += ("\u2028", "\x0b", "\x0c", "\x1c", "\x1f", "\x00", "\ufeff", "\u200b")
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
        assert normalize_text(text) == by_definition(text), repr(text)
    # ASCII only, where text that is already spaced normally skips the per-line pass.
    ascii_alphabet = ("a", "b.", " ", "  ", "\t", "\n", "\n\n", "\n\n\n", "\r", "\x0b", "\x1c", "\x00", " \n", "\n ")
    for _ in range(5000):
        text = "".join(rng.choice(ascii_alphabet) for _ in range(rng.randint(0, 25)))
        assert normalize_text(text) == by_definition(text), repr(text)


def test_markdown_stays_as_it_is() -> None:
    data = b"# Prices\n\n- **Tea**: 3 EUR\n- Coffee: 2 EUR\n\n[More](https://example.com)\n"

    assert (
        extract(io.BytesIO(data), "md").text
        == "# Prices\n\n- **Tea**: 3 EUR\n- Coffee: 2 EUR\n\n[More](https://example.com)"
    )


@pytest.mark.parametrize("data", [b"", b"  \n\n\t \r\n", codecs.BOM_UTF8])
def test_empty_text_file(data: bytes) -> None:
    assert reason_of(data, "txt") == NO_TEXT


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="exe"):
        extract(io.BytesIO(b"MZ"), "exe")


# --- Sniffing -------------------------------------------------------------------------------------------------

PDF = make_pdf(["Hello"])
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("head", "filename", "kind"),
    [
        (PDF, "report.pdf", "pdf"),
        (PDF, "REPORT.PDF", "pdf"),
        (codecs.BOM_UTF8 + b"\r\n  " + PDF, "leading.pdf", "pdf"),
        (b"\x00" * 10 + PDF, "nul-padded.pdf", "pdf"),
        (b"x" * 100 + PDF, "junk-before.pdf", None),
        (b" " * 1100 + PDF, "too-far.pdf", None),
        (PDF, "report.txt", None),
        (b"Just some text", "report.pdf", None),
        (b"PK\x03\x04\x14\x00\x06\x00", "letter.docx", "docx"),
        (b"PK\x03\x04\x14\x00\x06\x00", "letter.txt", None),
        (b"Plain words", "letter.docx", None),
        (EXE, "setup.exe", None),
        (EXE, "notes.txt", None),
        (b"GIF89a\x01\x00\x01\x00\x80\x01\x00" + bytes(range(32)), "image.txt", None),
        (b"hello\x01\x02\x03\x04\x05\x06 binary", "notes.txt", None),
        (b"Hello, world.\n", "notes.txt", "txt"),
        (b"Hello, world.\n", "notes", None),
        (b"Hello, world.\n", "notes.doc", None),
        (b"", "empty.txt", "txt"),
        (b'{"a": 1}', "data.JSON", "json"),
        (codecs.BOM_UTF8 + b'\n  [{"a": 1}]', "data.json", "json"),
        (b'"just a string"', "data.json", None),
        (b"a,b\n1,2\n", "data.json", None),
        (b"", "data.json", None),
        (b"<!doctype html><p>Hi</p>", "page.htm", "html"),
        (b"<!doctype html><p>Hi</p>", "page.HTML", "html"),
        (b"name,age\nAda,36\n", "people.csv", "csv"),
        (b"# Title\n\nText", "readme.md", "md"),
        (b"# Title\n\nText", "readme.markdown", "md"),
        ("Grüße aus Köln".encode("utf-16"), "greeting.txt", "txt"),
        ('{"greeting": "Grüße"}'.encode("utf-16"), "greeting.json", "json"),
        ("Grüße".encode("utf-16-le"), "no-bom.txt", None),  # UTF-16 needs its BOM
        ("Café crème".encode("cp1252"), "menu.txt", "txt"),
        (("é" * 5000).encode()[:8191], "cut-in-a-character.txt", "txt"),
    ],
)
def test_sniff_kind(head: bytes, filename: str, kind: str | None) -> None:
    assert sniff_kind(head, filename) == kind


def test_every_kind_has_a_media_type() -> None:
    assert [media_type(kind) for kind in KINDS] == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "text/html",
        "text/csv",
        "application/json",
        "text/markdown",
        "text/plain",
    ]
    with pytest.raises(ValueError, match="exe"):
        media_type("exe")


def test_extraction_error_reason_is_its_message() -> None:
    error = extract_module.ExtractionError("No text found in the file")

    assert error.reason == str(error) == "No text found in the file"
