"""The readable text of an uploaded file (PDF, DOCX, HTML, CSV, JSON, Markdown, plain text).

Pure Python, no database: ``sniff_kind`` decides from an upload's first bytes and its name whether we accept it
(before anything is stored), ``extract`` turns a stored original into text for chunking. Every failure the file's
owner can act on is an ``ExtractionError`` whose ``reason`` is safe to show them.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import os
import re
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, BinaryIO

from django.conf import settings

logger = logging.getLogger(__name__)

KINDS = ("pdf", "docx", "html", "csv", "json", "md", "txt")

_EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
    ".json": "json",
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
}
# For file pickers (<input accept>): the extensions sniff_kind accepts.
EXTENSIONS = tuple(_EXTENSIONS)

_MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "csv": "text/csv",
    "json": "application/json",
    "md": "text/markdown",
    "txt": "text/plain",
}

NO_TEXT = "No text found in the file"
PDF_ENCRYPTED = "The PDF is encrypted (password protected)"
PDF_DAMAGED = "The PDF could not be read (it looks damaged)"
DOCX_DAMAGED = "The DOCX could not be read (it looks damaged)"
DOCX_TOO_LARGE = "The DOCX is too large once unpacked"
JSON_INVALID = "The JSON file is not valid JSON"
CSV_DAMAGED = "The CSV file could not be read"

_ZIP_MAGIC = b"PK\x03\x04"
# Acrobat accepts the header anywhere in the first 1024 bytes; we only allow a BOM and PDF white-space before it.
_PDF_HEADER_WINDOW = 1024
_PDF_LEADING = b" \t\r\n\f\x00"
# Byte order marks, UTF-32 first: its little-endian mark starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Text files hardly ever hold C0 control characters other than tab, newlines and form feed; binary files do.
_SNIFF_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_MEGABYTE = 1024 * 1024
# A member that inflates more than this (and is over a megabyte) is a zip bomb, not a Word document.
_DOCX_MAX_RATIO = 100


class ExtractionError(Exception):
    """The file cannot be read; ``reason`` is a short sentence safe to show the file's owner (no stack traces, no
    paths)."""

    reason: str

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Extracted:
    text: str  # the readable text, paragraphs separated by blank lines ("\n\n")
    pages: int | None  # number of pages for PDFs, None otherwise


# --- Sniffing -------------------------------------------------------------------------------------------------


def sniff_kind(head: bytes, filename: str) -> str | None:
    """The kind of an upload from its first bytes and its extension, or None when they disagree or the kind is not
    one we accept: the API answers 415 before storing anything, so a renamed executable never reaches a worker."""
    kind = _EXTENSIONS.get(os.path.splitext(filename.strip().lower())[1])
    if kind is None:
        return None
    if kind == "pdf":
        return kind if _looks_like_pdf(head) else None
    if kind == "docx":
        # Only the head is here, not the zip's central directory: extract() checks for word/document.xml.
        return kind if head.startswith(_ZIP_MAGIC) else None
    # A PDF or a zip renamed to .txt can pass as text (our test PDFs are pure ASCII), so their magic rules them out.
    if _looks_like_pdf(head) or head.startswith(_ZIP_MAGIC):
        return None
    text = _decode_head(head)
    if text is None:
        return None
    if kind == "json" and not text.lstrip(" \t\r\n\ufeff").startswith(("{", "[")):
        return None
    return kind


def media_type(kind: str) -> str:
    """The media type we store for a kind (whatever the browser claimed the upload was)."""
    try:
        return _MEDIA_TYPES[kind]
    except KeyError:
        raise ValueError(f"Unknown kind: {kind!r}") from None


def _looks_like_pdf(head: bytes) -> bool:
    start = head.find(b"%PDF-", 0, _PDF_HEADER_WINDOW + 5)
    if start < 0:
        return False
    return not head[:start].removeprefix(codecs.BOM_UTF8).strip(_PDF_LEADING)


def _decode_head(head: bytes) -> str | None:
    """The head as text, or None when it does not look like text. Decoding is incremental: the head is cut at an
    arbitrary byte, possibly inside a multi-byte character."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            try:
                text = codecs.getincrementaldecoder(codec)().decode(head, final=False)
            except UnicodeDecodeError:
                return None
            break
    else:
        if b"\x00" in head:  # NUL only belongs in UTF-16/32, and those need their BOM here
            return None
        try:
            text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError:
            # Some single-byte encoding: which one does not matter for telling text from binary.
            text = head.decode("latin-1")
    if len(_SNIFF_CONTROLS.findall(text)) > len(text) // 100:
        return None
    return text


# --- Extraction -----------------------------------------------------------------------------------------------


def extract(path: str | os.PathLike | BinaryIO, kind: str) -> Extracted:
    """Extract the readable text of a stored original of the given kind (from ``sniff_kind``). A file object is
    read from its start (callers usually sniffed its head first) and left open."""
    with open_text(path, kind) as stream:
        text = "".join(joined(stream.texts))
    if not text:
        raise ExtractionError(stream.empty_reason)
    return Extracted(text=text, pages=stream.pages)


@dataclass
class TextStream:
    """A file's text piece by piece: ``texts`` yields normalised, non-empty parts in order (a PDF's pages, as they
    are read; a text file's paragraphs, a few hundred kilobytes at a time; the whole text for the other kinds).
    Joined by blank lines (by a line break after an ``UnfinishedPart``: ``joined``) they are ``extract``'s text. A
    caller that gets nothing out of ``texts`` should fail with ``empty_reason``."""

    pages: int | None
    texts: Iterator[str]
    empty_reason: str = NO_TEXT


class UnfinishedPart(str):
    """A part whose last paragraph goes on in the next part, after a line break (not a blank line). A text file's
    paragraph with no blank line for a long while (a log, a file with one line per paragraph) is cut so, at a line
    break that ends a sentence (the next line does not start in lowercase), where the chunker would end one too:
    ``Chunker.feed(part, paragraph_continues=True)`` chunks it as it would the whole paragraph."""

    paragraph_continues = True


def joined(parts: Iterable[str]) -> Iterator[str]:
    """The parts and the separators between them, in order: their concatenation is the text."""
    separator = ""
    for part in parts:
        yield separator + part if separator else part
        separator = "\n" if isinstance(part, UnfinishedPart) else "\n\n"


@contextmanager
def open_text(path: str | os.PathLike | BinaryIO, kind: str) -> Iterator[TextStream]:
    """``extract`` as a stream, so that a caller can chunk and store page N while page N+1 is being read. Raises
    ``ExtractionError`` as ``extract`` does: at once for a file that cannot be opened, from ``texts`` for one that
    fails on the way."""
    if kind not in KINDS:
        raise ValueError(f"Unknown kind: {kind!r}")
    with _binary(path) as stream:
        if kind == "pdf":
            yield _pdf_stream(_in_memory_if_small(stream))
            return
        if kind in ("txt", "md"):
            # Markdown is readable as it is. Read, decoded and normalised 64 K at a time: a 50 MB text file never
            # is one string (nor its several copies) in the worker's memory.
            yield TextStream(pages=None, texts=_text_parts(stream))
            return
        if kind == "docx":
            text = _docx_text(stream)
        else:
            data = stream.read()
            if kind == "html":
                text = _html_document_text(data)
            else:
                text = _decode(data)
                if kind == "csv":
                    text = _csv_text(text)
                elif kind == "json":
                    text = _json_text(text)
        text = normalize_text(text)
        yield TextStream(pages=None, texts=iter([text] if text else []))


@contextmanager
def _binary(source: str | os.PathLike | BinaryIO) -> Iterator[BinaryIO]:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            yield stream
        return
    seekable = getattr(source, "seekable", None)
    if seekable is not None and seekable():
        source.seek(0)
        yield source
    else:
        # pypdf and zipfile seek; a non-seekable stream is at most an upload (50 MB), so memory is fine.
        yield io.BytesIO(source.read())


# The largest PDF read whole into memory: beyond, the bytes in memory would be the bulk of the worker's memory (a
# 50 MB PDF: 50 MB on top of what its pages cost; bench/memory.py), for a tenth of the extraction's time.
_PDF_IN_MEMORY_BYTES = 16 * 1024 * 1024


def _in_memory_if_small(stream: BinaryIO) -> BinaryIO:
    """A PDF of an upload's size at most (MAX_UPLOAD_MB), and of ``_PDF_IN_MEMORY_BYTES`` at most, as bytes in
    memory, as pypdf itself reads a PDF given by its path: pypdf reads a file's objects a few bytes at a time,
    seeking back and forth, and each of those calls on a file (through a storage's File wrapper, too) costs several
    times one on bytes in memory (a tenth of the whole extraction on bench/ingest.py's PDF). A larger file is read
    from its stream (a storage's File unwrapped: pypdf's calls then go straight to the buffered file)."""
    if isinstance(stream, io.BytesIO):
        return stream
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size > min(settings.MAX_UPLOAD_MB * 1024 * 1024, _PDF_IN_MEMORY_BYTES):
        inner = getattr(stream, "file", None)  # django.core.files.File proxies every call to it
        return inner if isinstance(inner, io.BufferedIOBase) and inner.seekable() else stream
    return io.BytesIO(stream.read())


# Line breaks other than \n, and NUL and other controls (PostgreSQL text columns refuse NUL; none is readable).
_ODD_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029\ufeff]")
_NORMAL_FORM = {
    **{ord(char): "\n" for char in "\r\v\f\x85\u2028\u2029"},
    **dict.fromkeys((*range(0, 9), *range(14, 32), 127, 65279)),
}
_MANY_NEWLINES = re.compile(r"\n{3,}")
_ODD_ASCII = tuple(chr(code) for code in (*range(0, 9), *range(11, 32), 127))


def _has_odd_characters(text: str) -> bool:
    if text.isascii():
        # A C search per character (memchr): five times faster than the regular expression's scan of each one.
        return any(char in text for char in _ODD_ASCII)
    return _ODD_CHARACTERS.search(text) is not None


def normalize_text(text: str) -> str:
    """One space for any run of spaces and tabs, lines stripped, at most one blank line between paragraphs."""
    if _has_odd_characters(text):  # rare: skip the character-by-character pass when there is nothing to do
        text = text.replace("\r\n", "\n").translate(_NORMAL_FORM)
    if not _normal_spacing(text):
        # str.split() (C, any Unicode whitespace) per line: three times faster than a regular expression replacing
        # every space, which mattered on every page of every PDF.
        text = "\n".join([" ".join(line.split()) for line in text.split("\n")])
    if "\n\n\n" in text:
        text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


def _normal_spacing(text: str) -> bool:
    """Whether every line of `text` already has single spaces and no space at either end, so that the split and
    join per line would change nothing: true of most PDF pages, and checked in a fraction of the time (isascii is
    a flag of the string; each `in` a C search). Only ASCII text (no other Unicode spaces to find), after the
    controls are gone (only space, tab and line feed are left of the ASCII whitespace)."""
    return (
        text.isascii()
        and "\t" not in text
        and "  " not in text
        and " \n" not in text
        and "\n " not in text
        and not text.startswith(" ")
        and not text.endswith(" ")
    )


# --- Plain text and Markdown, streamed --------------------------------------------------------------------------

# Bytes read at a time, and about how many characters of text a part holds (it ends at the first paragraph break
# after that many): a megabyte or two in memory, whatever the file's size (bench/memory.py).
_TEXT_READ_BYTES = 64 * 1024
_TEXT_PART_CHARS = 64 * 1024
# Legacy (non-UTF-8) encodings are guessed from this much of the file: all of any usual document.
_LEGACY_SAMPLE_BYTES = 4 * 1024 * 1024


def _text_parts(stream: BinaryIO) -> Iterator[str]:
    """The text of a plain text file as parts of about ``_TEXT_PART_CHARS``: joined (``joined``: by blank lines,
    by a line break after an ``UnfinishedPart``) they are ``normalize_text(_decode(whole file))``, the text of the
    file read at once.

    The file is decoded incrementally with the encoding ``_text_encoding`` chose (from its BOM, or a first pass
    checking that all of it is UTF-8, or a guess from its first megabytes), line breaks made universal as they
    come. Each block of whole lines is normalised by ``normalize_text`` (its work is per line, but for the blank
    lines between paragraphs, which are tracked here across blocks). Parts end between paragraphs, where the
    chunker starts a new one; a paragraph longer than a part (no blank line for a long while: a log, one line per
    paragraph) at a line break before a line that does not start in lowercase (an ``UnfinishedPart``), where the
    chunker ends a sentence. Only a file with no such line break at all (one endless line) is one part."""
    encoding = _text_encoding(stream)
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    # NULs go before line breaks are made universal, as _decode removes them before normalize_text sees "\r\n".
    newlines = io.IncrementalNewlineDecoder(None, translate=True)
    parts: list[str] = []  # normalised paragraphs (and the separators between them) not yet yielded
    buffered = 0  # their length
    last_break: tuple[int, int] | None = None  # (index in parts, offset there) of the last paragraph break in them
    started = False  # some text was read (a separator goes before the next)
    open_paragraph = False  # the last line read had text: the next line of text continues its paragraph
    line: list[str] = []  # the last, incomplete line decoded so far
    final = False
    while not final:
        data = stream.read(_TEXT_READ_BYTES)
        final = not data
        piece = newlines.decode(decoder.decode(data, final=final).replace("\x00", ""), final=final)
        if _has_odd_characters(piece):
            piece = piece.translate(_NORMAL_FORM)  # other line breaks become "\n", controls go
        cut = len(piece) if final else piece.rfind("\n") + 1
        if not cut and not final:
            line.append(piece)  # a long line: joined once it ends
            continue
        block = "".join([*line, piece[:cut]])
        line = [piece[cut:]] if cut < len(piece) else []
        if not block:
            continue
        text = normalize_text(block)
        if not text:  # blank lines only (or spaces): they end a paragraph
            open_paragraph = False
            continue
        newline = block.find("\n")
        first_line_blank = not block[: newline if newline >= 0 else len(block)].strip()
        if started:
            if open_paragraph and not first_line_blank:
                parts.append("\n")  # the block's first line continues the paragraph of the previous block's last
            elif buffered >= _TEXT_PART_CHARS:
                yield "".join(parts)
                parts, buffered, last_break = [], 0, None
            else:
                parts.append("\n\n")
                last_break = (len(parts) - 1, 0)
        parts.append(text)
        buffered += len(text)
        started = True
        if (offset := text.rfind("\n\n")) >= 0:
            last_break = (len(parts) - 1, offset)
        last_line = block[block.rfind("\n", 0, len(block) - 1) + 1 :] if block.endswith("\n") else block
        open_paragraph = bool(last_line.strip())
        if buffered >= _TEXT_PART_CHARS and open_paragraph and last_break is not None:
            # Blocks end between lines, mostly inside a paragraph: the paragraphs before its last go now.
            index, offset = last_break
            yield "".join([*parts[:index], parts[index][:offset]])
            rest = parts[index][offset + 2 :]
            parts = [rest, *parts[index + 1 :]] if rest else parts[index + 1 :]
            buffered, last_break = sum(map(len, parts)), None
        elif buffered >= max(_TEXT_PART_CHARS, settings.CHUNK_SIZE + 1) and open_paragraph:
            # All of it one paragraph so far: cut it at its last line break before a line that does not start in
            # lowercase (a sentence ends there, for the chunker as for us), if it has one. The paragraph is longer
            # than a chunk: the chunker cuts it into sentences, whole or in parts alike.
            buffer = "".join(parts)
            cut = buffer.rfind("\n")
            while cut > 0 and buffer[cut + 1].islower():
                cut = buffer.rfind("\n", 0, cut)
            parts = [buffer]
            if cut > 0:
                yield UnfinishedPart(buffer[:cut])
                parts = [buffer[cut + 1 :]]
            buffered = len(parts[0])
    if parts:
        yield "".join(parts)


def _text_encoding(stream: BinaryIO) -> str:
    """``_decode_any``'s choice, without the whole file in memory: a BOM's codec, else UTF-8 when all of the file
    decodes as UTF-8 (checked a block at a time), else the legacy encoding guessed from its first megabytes."""
    head = stream.read(4)  # the longest BOM
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    checker = codecs.getincrementaldecoder("utf-8")()
    data = head
    try:
        while data:
            checker.decode(data)
            data = stream.read(_TEXT_READ_BYTES)
        checker.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    stream.seek(0)
    return _legacy_encoding(stream.read(_LEGACY_SAMPLE_BYTES))


# --- PDF ------------------------------------------------------------------------------------------------------


def _pdf_stream(stream: BinaryIO) -> TextStream:
    from pypdf import PdfReader  # pypdf is only needed by the workers that extract

    try:
        reader = PdfReader(stream)
        locked = reader.is_encrypted and not _pdf_unlock(reader)
        page_count = 0 if locked else len(reader.pages)
    except Exception as exc:
        # pypdf raises anything on a damaged file (PdfReadError, ValueError, KeyError, struct.error, ...).
        raise ExtractionError(PDF_DAMAGED) from exc
    if locked:
        raise ExtractionError(PDF_ENCRYPTED)

    def pages() -> Iterator[str]:
        failed = 0
        for number in range(page_count):
            try:
                # One page object at a time, and its content streams forgotten once its text is taken.
                page = reader.pages[number]
                text = normalize_text(page.extract_text() or "")
                _pdf_forget_contents(reader, page)
            except Exception:
                # One odd page (a broken font, a bad stream) should not lose the rest of the document.
                logger.warning("Could not extract the text of PDF page %d", number + 1, exc_info=True)
                failed += 1
                continue
            if text:
                yield text
        if failed and failed == page_count:
            raise ExtractionError(PDF_DAMAGED)

    return TextStream(pages=page_count, texts=pages(), empty_reason=f"{NO_TEXT} (a scanned PDF needs OCR)")


def _pdf_forget_contents(reader: Any, page: Any) -> None:
    """Drop a read page's content streams from pypdf's cache of the objects it has read (``resolved_objects``, kept
    for the reader's life): they are the bulk of a PDF, and no other page uses them. Resources that pages share
    (fonts, their character maps) stay cached."""
    from pypdf.generic import ArrayObject, IndirectObject

    contents = page.raw_get("/Contents") if "/Contents" in page else None
    references = [contents]
    if isinstance(contents, IndirectObject):
        resolved = reader.resolved_objects.get((contents.generation, contents.idnum))
        if isinstance(resolved, ArrayObject):  # an indirect array of streams
            references += list(resolved)
    elif isinstance(contents, ArrayObject):
        references = list(contents)
    for reference in references:
        if isinstance(reference, IndirectObject):
            reader.resolved_objects.pop((reference.generation, reference.idnum), None)


def _pdf_unlock(reader: Any) -> bool:
    """Whether the empty user password opens the PDF: files with only an owner password open in every viewer."""
    try:
        return bool(reader.decrypt(""))
    except Exception:
        # An unsupported security handler or algorithm: we cannot open it, as if it had a password.
        logger.info("Could not decrypt a PDF with the empty password", exc_info=True)
        return False


# --- DOCX -----------------------------------------------------------------------------------------------------


def _docx_text(stream: BinaryIO) -> str:
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ExtractionError(DOCX_DAMAGED) from exc
    # Checked on the central directory, before anything is inflated. zipfile never inflates a member beyond its
    # declared size (and fails its CRC then), so a bomb cannot lie its way past these numbers.
    _check_unpacked_size(infos)
    if not any(info.filename == "word/document.xml" for info in infos):
        raise ExtractionError(DOCX_DAMAGED)
    stream.seek(0)
    try:
        return "\n\n".join(_docx_blocks(stream))
    except Exception as exc:
        # python-docx and lxml raise their own errors (PackageNotFoundError, XMLSyntaxError, KeyError, ...).
        raise ExtractionError(DOCX_DAMAGED) from exc


def _check_unpacked_size(infos: list[zipfile.ZipInfo]) -> None:
    limit = getattr(settings, "DOCX_MAX_UNPACKED_MB", 100) * _MEGABYTE
    if sum(info.file_size for info in infos) > limit:
        raise ExtractionError(DOCX_TOO_LARGE)
    for info in infos:
        if info.file_size > _MEGABYTE and info.file_size > _DOCX_MAX_RATIO * max(info.compress_size, 1):
            raise ExtractionError(DOCX_TOO_LARGE)


def _docx_blocks(stream: BinaryIO) -> Iterator[str]:
    """Paragraphs and tables in body order; a table is one block with a line per row, its cells joined by " | "."""
    import docx
    from docx.text.paragraph import Paragraph

    document = docx.Document(stream)
    for item in document.iter_inner_content():
        text = item.text if isinstance(item, Paragraph) else "\n".join(_docx_rows(item))
        if text.strip():
            yield text


def _docx_rows(table: Any) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell is not previous:  # a cell spanning several grid columns comes once per column
                cells.append(" ".join(cell.text.split()))
            previous = cell
        if any(cells):
            yield " | ".join(cells)


# --- HTML -----------------------------------------------------------------------------------------------------

# Content never shown as text: code, styles, fallbacks for disabled features, inert templates, drawings.
_HTML_SKIP = frozenset(
    {"script", "style", "noscript", "template", "svg", "iframe", "object", "canvas", "audio", "video"}
)
_HTML_HEAD_ONLY = frozenset({"title", "meta", "link", "base", "script", "style", "noscript", "template"})
_HTML_PARAGRAPHS = frozenset(
    {
        *("p", "div", "section", "article", "header", "footer", "main", "nav", "aside", "address", "blockquote"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre", "figure", "figcaption", "form", "fieldset", "details"),
        *("summary", "ul", "ol", "dl", "table", "caption", "body"),
    }
)
_HTML_LINES = frozenset({"br", "li", "tr", "dt", "dd"})
_HTML_CELLS = frozenset({"td", "th"})
_WHITESPACE = re.compile(r"\s+")


class _VisibleTextParser(HTMLParser):
    """Collects the title and the text a browser would show, with line breaks where blocks start and end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.in_head = False
        self.in_title = False
        self.title_done = False
        self.cells_in_row = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIP:
            self.skip_depth += 1
        if self.skip_depth:
            return
        if tag == "head":
            self.in_head = True
        elif tag == "title" and not self.title_done:
            self.in_title = True
        elif self.in_head and tag not in _HTML_HEAD_ONLY:
            self.in_head = False  # as in browsers, body content implies the end of an unclosed head
        self._block_break(tag)
        if tag == "tr":
            self.cells_in_row = 0
        elif tag in _HTML_CELLS:
            if self.cells_in_row:
                self.parts.append(" | ")
            self.cells_in_row += 1
        elif tag == "pre":
            self.pre_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        if tag == "head":
            self.in_head = False
        elif tag == "title" and self.in_title:
            self.in_title = False
            self.title_done = True
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        if tag != "br":  # </br> is a typo for <br>, which handle_starttag already broke the line for
            self._block_break(tag)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.in_title:
            self.title_parts.append(data)
        elif not self.in_head:
            self.parts.append(data if self.pre_depth else _WHITESPACE.sub(" ", data))

    def _block_break(self, tag: str) -> None:
        if tag in _HTML_PARAGRAPHS:
            self._break("\n\n")
        elif tag in _HTML_LINES:
            self._break("\n")

    def _break(self, newlines: str) -> None:
        """End the current line or paragraph. Breaks in a row merge into the strongest one: "</li><li>" is one
        new line, not a blank line."""
        while self.parts and self.parts[-1].isspace():
            if self.parts.pop() == "\n\n":
                newlines = "\n\n"
        if self.parts:
            self.parts.append(newlines)


def html_to_text(html: str) -> tuple[str, str]:
    """(title, visible text) of an HTML page, for .html uploads and crawled pages: no scripts, styles or head
    content, a new line wherever a block starts, whitespace collapsed as a browser would."""
    parser = _VisibleTextParser()
    parser.feed(html)
    parser.close()
    title = _WHITESPACE.sub(" ", "".join(parser.title_parts)).strip()
    return title, normalize_text("".join(parser.parts))


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _html_document_text(data: bytes) -> str:
    title, text = html_to_text(_decode(data, declared=_declared_charset(data[:4096])))
    return f"{title}\n\n{text}" if title else text


def _declared_charset(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None
    # A page whose meta tag can be read as ASCII is not UTF-16/32 whatever it says (browsers ignore such a claim).
    return None if name.startswith(("utf-16", "utf-32")) else name


# --- Text decoding --------------------------------------------------------------------------------------------


def _decode(data: bytes, *, declared: str | None = None) -> str:
    """Text from bytes of an unknown encoding: a BOM, else UTF-8, else the encoding the page declares, else a guess.
    The result has no NUL (the csv module and PostgreSQL both refuse it)."""
    return _decode_any(data, declared).replace("\x00", "")


def _decode_any(data: bytes, declared: str | None) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared and declared != "utf-8":
        return data.decode(declared, errors="replace")
    return _decode_legacy(data)


def _decode_legacy(data: bytes) -> str:
    """A single-byte (or legacy multi-byte) encoding: ``_legacy_match``'s."""
    best = _legacy_match(data)
    return data.decode("cp1252", errors="replace") if best is None else str(best)


def _legacy_encoding(data: bytes) -> str:
    """The codec ``_decode_legacy`` would decode data with."""
    best = _legacy_match(data)
    return "cp1252" if best is None else best.encoding


def _legacy_match(data: bytes) -> Any:
    """charset-normalizer's match for data that is not UTF-8, or None for Windows-1252. Its best guess for short
    Western text is often a neighbour (cp1257 for French: "crčme"), so Windows-1252 wins whenever it is among the
    plausible ones and not clearly worse: it is what a non-UTF-8 text file most likely is."""
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        if "cp1252" in match.could_be_from_charset and match.chaos <= best.chaos + 0.1 + 1e-9:
            return None
    return best


# --- CSV and JSON ---------------------------------------------------------------------------------------------

_CSV_SAMPLE = 32 * 1024


def _csv_text(text: str) -> str:
    """One line per row: "header: value; ..." when the first row is a header, else the cells joined by ", "."""
    lines = text[:_CSV_SAMPLE].splitlines()
    if len(text) > _CSV_SAMPLE and len(lines) > 1:
        lines.pop()  # a partial last row confuses the sniffer
    # So do blank rows ("\r\n\r\n" makes it guess "\r" as the delimiter) and rows of empty cells.
    sample = "\n".join(line for line in lines if line.strip(" ,;\t|"))
    sniffer = csv.Sniffer()
    try:
        dialect: type[csv.Dialect] | csv.Dialect = sniffer.sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        has_header = sniffer.has_header(sample)
    except csv.Error:
        has_header = False
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), dialect) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise ExtractionError(CSV_DAMAGED) from exc
    if not has_header or len(rows) < 2:
        return "\n".join(", ".join(_without_trailing_blanks(row)) for row in rows)
    header = [cell.strip() for cell in rows[0]]
    return "\n".join(_csv_record(header, row) for row in rows[1:])


def _without_trailing_blanks(row: list[str]) -> list[str]:
    cells = [cell.strip() for cell in row]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _csv_record(header: list[str], row: list[str]) -> str:
    pairs = []
    for index, cell in enumerate(row):
        value = cell.strip()
        if value:
            name = header[index] if index < len(header) and header[index] else f"column {index + 1}"
            pairs.append(f"{name}: {value}")
    return "; ".join(pairs)


def _json_text(text: str) -> str:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ExtractionError(JSON_INVALID) from exc
    # A list of records (the usual export) reads best one record per paragraph, each with its own key paths.
    items = value if isinstance(value, list) else [value]
    return "\n\n".join("\n".join(_json_lines(item)) for item in items)


def _json_lines(value: Any) -> list[str]:
    """Lines of "key.path[0]: value", depth first in document order. Iterative: the nesting depth is the file's
    choice, not ours."""
    lines: list[str] = []
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend(reversed([(f"{path}.{key}" if path else str(key), child) for key, child in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(f"{path}[{index}]", child) for index, child in enumerate(node)]))
        elif node is not None and node != "":  # nothing to read in a null or an empty string
            scalar = node if isinstance(node, str) else json.dumps(node)
            lines.append(f"{path}: {scalar}" if path else scalar)
    return lines
