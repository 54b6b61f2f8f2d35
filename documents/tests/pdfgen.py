"""A tiny writer of real PDFs with extractable text, so that tests (and the extraction benchmark) build their inputs
instead of checking binary fixtures into the repository.

Only what pypdf needs to read a page's text without a warning: a catalog, a page tree, one standard font and, per
page, an uncompressed content stream of ``Tj`` operators; the cross-reference table has exact offsets.
"""

from __future__ import annotations

import io
import textwrap

from pypdf import PdfWriter

HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"  # the binary comment tells transfer tools the file is not text
LINE_WIDTH = 90  # characters of 12 pt Helvetica that fit between 1-inch margins, roughly


def _escape(line: str) -> bytes:
    """A PDF literal string body: WinAnsi bytes (what the font's encoding says), with ( ) \\ escaped."""
    raw = line.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _content_stream(text: str) -> bytes:
    lines: list[str] = []
    for paragraph_line in text.splitlines():
        lines.extend(textwrap.wrap(paragraph_line, LINE_WIDTH) or [""])
    ops = [b"BT", b"/F1 12 Tf", b"14 TL", b"72 720 Td"]
    for index, line in enumerate(lines):
        if index:
            ops.append(b"T*")  # next line, 14 pt lower
        ops.append(b"(" + _escape(line) + b") Tj")
    ops.append(b"ET")
    return b"\n".join(ops) + b"\n"


def make_pdf(pages: list[str]) -> bytes:
    """A valid PDF of one page per string, each page's lines set in Helvetica (long lines wrapped)."""
    page_count = len(pages)
    # Objects 1-3 are fixed; page k (from 0) is object 4 + 2k, its content stream 5 + 2k.
    kids = " ".join(f"{4 + 2 * k} 0 R" for k in range(page_count))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {page_count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for k, text in enumerate(pages):
        objects.append(
            (
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * k} 0 R >>"
            ).encode()
        )
        stream = _content_stream(text)
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")

    out = io.BytesIO()
    out.write(HEADER)
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref_offset = out.tell()
    size = len(objects) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref_offset))
    return out.getvalue()


def make_encrypted_pdf(
    pages: list[str],
    user_password: str = "secret",  # noqa: S107 - a test file's password, not a credential
    *,
    owner_password: str | None = None,
) -> bytes:
    """The PDF of ``make_pdf(pages)`` encrypted with AES-128. An empty ``user_password`` gives a PDF that only has
    an owner password (it opens without one, as such PDFs do in every viewer)."""
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf(pages)))
    writer.encrypt(
        user_password=user_password,
        owner_password=owner_password or f"{user_password}-owner",
        algorithm="AES-128",
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
