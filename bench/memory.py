"""Memory of the worker processing a big upload: a ~50 MB text file and a ~50 MB PDF, each in a fresh process.

    python bench/memory.py [--quick] [--runs 1]

Each measurement is a child process started for it (``python bench/memory.py --child …``) that does what a Celery
worker's pool process does with a stored upload: Django set up, then the processing task itself
(``documents.tasks.process_document``, run by ``Task.apply`` as a worker runs it, no broker) on a PENDING document
whose original is in the storage, against a real PostgreSQL database (``voicebot_mem_bench``). The child reports,
from ``/proc/self/status``: its peak resident set (VmHWM) over the whole task, and its resident set once the task
has returned (VmRSS: the memory it gives back, or keeps for its next task). A baseline child in the same run only
sets Django up and imports the app's task modules: what an idle worker process costs, the floor of both figures.

The generated files are cached in the temporary directory (``voicebot-bench-memory/``): generating the PDF takes a
few seconds. ``--quick``: 10 MB files, same measurement (under two minutes). Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import emit, setup

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/voicebot_mem_bench")
CACHE = Path(tempfile.gettempdir()) / "voicebot-bench-memory"
MB = 1_000_000

_WORDS = (
    "the guest services team answers questions about rooms breakfast parking spa late check-out reservations can "
    "be changed online until two days before arrival without any fee our hotel offers a heated swimming pool open "
    "from seven in the morning to ten at night children under twelve stay free in their parents room pets are "
    "welcome on request the restaurant serves regional dishes made with local produce and the bar stays open until "
    "midnight airport transfers are available every hour the museum district is a short walk away bicycles may be "
    "rented at the front desk conference rooms hold up to eighty people with projectors and video calls"
).split()


def _sentences(rng: random.Random, count: int) -> list[str]:
    return [" ".join(rng.choices(_WORDS, k=rng.randint(6, 22))).capitalize() + "." for _ in range(count)]


def _wrapped(text: str, width: int = 78) -> list[str]:
    """Lines of at most ``width`` characters, cut between words (textwrap is too slow for 50 MB)."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


def text_file(size: int, layout: str = "book") -> Path:
    """Plain text like a book's, UTF-8 with some accents: paragraphs of wrapped lines separated by blank lines
    ("book"), or one line per paragraph and no blank line ("lines": a word processor's plain-text export)."""
    path = CACHE / f"{layout}-{size // MB}mb.txt"
    if path.exists():
        return path
    rng = random.Random(16)
    written = 0
    with open(path.with_suffix(".tmp"), "w", encoding="utf-8", newline="\n") as out:
        number = 0
        while written < size:
            number += 1
            paragraph = " ".join(_sentences(rng, rng.randint(2, 9)))
            if number % 7 == 0:
                paragraph += f" Le café numéro {number} ouvre à huit heures."
            block = "\n".join(_wrapped(paragraph)) + "\n\n" if layout == "book" else paragraph + "\n"
            out.write(block)
            written += len(block.encode())
    path.with_suffix(".tmp").rename(path)
    return path


def pdf_file(size: int) -> Path:
    """A PDF of many pages of text (uncompressed content streams, one standard font), written object by object with
    an exact cross-reference table, as documents/tests/pdfgen.py does for small ones."""
    path = CACHE / f"handbook-{size // MB}mb.pdf"
    if path.exists():
        return path
    rng = random.Random(4)
    pages: list[bytes] = []
    total = 0
    while total < size:
        lines = _wrapped(" ".join(_sentences(rng, 40)), 90)[:48]
        ops = [b"BT", b"/F1 11 Tf", b"14 TL", b"72 740 Td", f"(Page {len(pages) + 1}.) Tj".encode()]
        ops += [b"T* (" + line.encode("ascii").replace(b"(", b"").replace(b")", b"") + b") Tj" for line in lines]
        ops.append(b"ET")
        stream = b"\n".join(ops) + b"\n"
        pages.append(stream)
        total += len(stream) + 200
    count = len(pages)
    offsets: list[int] = []
    with open(path.with_suffix(".tmp"), "wb") as out:

        def obj(body: bytes) -> None:
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % len(offsets) + body + b"\nendobj\n")

        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        obj(b"<< /Type /Catalog /Pages 2 0 R >>")
        kids = b" ".join(b"%d 0 R" % (4 + 2 * k) for k in range(count))
        obj(b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count)
        obj(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
        for k, stream in enumerate(pages):
            obj(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                b"/Contents %d 0 R >>" % (5 + 2 * k)
            )
            obj(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
        out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))
    path.with_suffix(".tmp").rename(path)
    return path


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def child(mode: str, document_id: str | None) -> None:
    """One measurement, in this fresh process; prints one JSON line."""
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("ENV_FILE", "")
    import django

    django.setup()
    import gc

    from config.celery import app  # noqa: F401 - the worker's Celery app, as a worker process has it
    from documents import services, tasks  # noqa: F401 - what a worker imports to run the task

    result: dict[str, object] = {"mode": mode}
    if mode != "baseline":
        from documents.models import Document, DocumentChunk

        started = time.perf_counter()
        outcome = tasks.process_document.apply(args=[document_id])
        result["seconds"] = round(time.perf_counter() - started, 1)
        result["task"] = outcome.result if not outcome.failed() else f"failed: {outcome.result!r}"
        status, error, pages, words = Document.objects.values_list("status", "error", "pages", "word_count").get(
            pk=document_id
        )
        result.update(status=status, error=error, pages=pages, words=words)
        result["chunk_rows"] = DocumentChunk.objects.filter(document_id=document_id).count()  # not the text: its size
    gc.collect()
    result["peak_mb"] = round(_status_mb("VmHWM"), 1)
    result["after_mb"] = round(_status_mb("VmRSS"), 1)
    print(json.dumps(result))


def run_child(mode: str, document_id: str | None, media_root: str) -> dict:
    env = {**os.environ, "MEDIA_ROOT": media_root, "CELERY_BROKER_URL": "", "DJANGO_SETTINGS_MODULE": "config.settings"}
    command = [sys.executable, __file__, "--child", mode] + ([document_id] if document_id else [])
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"the {mode} child failed ({completed.returncode})")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10 MB files instead of 50 MB")
    parser.add_argument("--runs", type=int, default=1, help="measurements of each file (the worst is reported)")
    parser.add_argument(
        "--layout",
        choices=["book", "lines"],
        default="book",
        help="the text file's: blank lines between paragraphs, or one line per paragraph",
    )
    args = parser.parse_args()
    size = (10 if args.quick else 50) * MB
    CACHE.mkdir(exist_ok=True)
    started = time.perf_counter()
    files = {"text": text_file(size, args.layout), "pdf": pdf_file(size)}
    print(
        f"files ready in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{path.name} {path.stat().st_size / MB:.1f} MB" for path in files.values())
    )
    media_root = tempfile.mkdtemp(prefix="voicebot-bench-memory-media-")
    os.environ["MEDIA_ROOT"] = media_root
    setup(DATABASE_URL)

    from django.core.files import File
    from django.core.files.storage import default_storage

    from accounts.models import User
    from bots.models import Bot
    from documents.models import Document

    user, _ = User.objects.get_or_create(id="user_bench_memory", defaults={"email": "bench-memory@example.com"})
    bot, _ = Bot.objects.get_or_create(
        user=user, name="Memory bench", defaults={"welcome_message": "Hi", "system_prompt": "P", "embed_code": ""}
    )
    Document.objects.filter(bot=bot).delete()
    media = {"text": "text/plain", "pdf": "application/pdf"}
    stored = {}
    for kind, path in files.items():
        with open(path, "rb") as original:
            stored[kind] = default_storage.save(f"uploads/{bot.uuid}/{path.name}", File(original, name=path.name))

    baseline = run_child("baseline", None, media_root)
    print(f"baseline (Django and the app imported, idle): peak {baseline['peak_mb']} MB, now {baseline['after_mb']} MB")
    results: dict[str, list[dict]] = {"text": [], "pdf": []}
    for _ in range(args.runs):
        for kind, path in files.items():
            document = Document.objects.create(
                bot=bot, name=path.name, type=media[kind], size=path.stat().st_size, file_path=stored[kind]
            )
            result = run_child(kind, document.pk, media_root)
            results[kind].append(result)
            print(
                f"{kind}: peak {result['peak_mb']} MB, after the task {result['after_mb']} MB "
                f"({result['status']}{', ' + str(result['error']) if result['error'] else ''}; "
                f"{result['chunk_rows']} chunks, {result['words']} words, pages {result['pages']}; "
                f"{result['seconds']} s)"
            )
            assert result["status"] == "READY", result
            document.delete()
    Document.objects.filter(bot=bot).delete()
    for path in stored.values():
        default_storage.delete(path)

    def worst(kind: str, key: str) -> float:
        return max(result[key] for result in results[kind])

    emit(
        "memory",
        text_peak_mb=worst("text", "peak_mb"),
        pdf_peak_mb=worst("pdf", "peak_mb"),
        baseline_mb=baseline["peak_mb"],
        text_after_mb=worst("text", "after_mb"),
        pdf_after_mb=worst("pdf", "after_mb"),
    )


if __name__ == "__main__":
    main()
