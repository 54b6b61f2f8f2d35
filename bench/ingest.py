"""Ingestion of a 200-page PDF: our whole processing pipeline against raw pypdf text extraction, same run.

    python bench/ingest.py [--pages 200] [--rounds 31] [--load N] [--quick]

Our pipeline = what the processing task does to a stored upload: open it through the storage API, extract the
text page by page, normalise it, cut it into chunks, store content and chunks, write the chunk rows and their
full-text vectors (PostgreSQL), recount the bot's documents. The baseline = ``PdfReader(path)`` and
``page.extract_text()`` for every page, nothing else. Target: median ratio <= 1.2.

``--load N`` runs N busy processes (a Python loop each, as another program on the machine would be) for the whole
measurement: "under load" defined by the bench itself, the same from run to run. With one, a core is taken; with
one per core, the machine is saturated and every process gets its share of CPU time, so the ratio tends to the
ratio of CPU time used: the database's work (the full-text vectors above all) no longer runs beside the reading.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

from _setup import emit, setup


def _busy() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=200)
    # This machine's speed wanders by 10% or more from one second to the next (the same extraction takes 450 to
    # 850 ms): many interleaved rounds, and the median of their ratios, for a figure that holds from run to run.
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--quick", action="store_true", help="11 rounds: the same median ratio, wider spread")
    parser.add_argument("--load", type=int, default=0, help="busy processes running meanwhile (see above)")
    args = parser.parse_args()
    if args.quick:
        args.rounds = 11
    setup()

    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from pypdf import PdfReader

    from accounts.models import User
    from bots.models import Bot
    from documents import services
    from documents.extract import extract
    from documents.models import Document, DocumentStatus
    from documents.tests.pdfgen import make_pdf

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="voicebot-bench-")
    # The chunks' sentence vectors are computed by another task once the document is READY (issue 17), in a worker:
    # queued here as to a broker, not run in this process (bench/embed.py measures that task).
    from documents import tasks

    queued: list[tuple] = []
    tasks.embed_document.apply_async = lambda args=(), **options: queued.append(args)
    words = (
        "The guest services team answers questions about rooms, breakfast, parking, the spa and late check-out. "
        "Reservations can be changed online until two days before arrival without any fee. "
    )
    pages = [f"Page {n}. " + words * 12 for n in range(1, args.pages + 1)]
    pdf = make_pdf(pages)
    user, _ = User.objects.get_or_create(id="user_bench", defaults={"email": "bench@example.com"})
    bot, _ = Bot.objects.get_or_create(
        user=user, name="Ingest bench", defaults={"welcome_message": "Hi", "system_prompt": "P", "embed_code": ""}
    )
    path = default_storage.save(f"uploads/{bot.uuid}/handbook.pdf", ContentFile(pdf))
    local = Path(default_storage.path(path))

    def baseline() -> int:
        reader = PdfReader(local)
        return sum(len(page.extract_text()) for page in reader.pages)

    def extraction_stage() -> int:
        # extract(): pypdf plus our page handling and text normalisation, no chunking, no database.
        with default_storage.open(path, "rb") as original:
            return len(extract(original, "pdf").text)

    def stored_upload() -> Document:
        # What the upload made (not part of processing): the row of a stored original, claimed by a worker.
        return Document.objects.create(
            bot=bot,
            name="handbook.pdf",
            type="application/pdf",
            size=len(pdf),
            file_path=path,
            status=DocumentStatus.PROCESSING,
        )

    def pipeline(document: Document) -> Document:
        services.document_process(document_id=document.pk)
        return document

    def check(document: Document) -> int:
        # After the clock stops: reading the stored megabyte back is not part of processing.
        status, error, chunks = Document.objects.values_list("status", "error", "chunks").get(pk=document.pk)
        assert status == DocumentStatus.READY, error
        return len(chunks)

    baseline(), check(pipeline(stored_upload())), extraction_stage()  # warm up imports and caches
    # Started after Django and the database connection: forked, they hold neither open.
    load = [multiprocessing.get_context("fork").Process(target=_busy, daemon=True) for _ in range(args.load)]
    for process in load:
        process.start()

    def timed(step, *args) -> float:
        gc.collect()
        start = time.perf_counter()
        step(*args)
        return time.perf_counter() - start

    ratios, ours, raw, stage, stage_ratios = [], [], [], [], []
    for round_number in range(args.rounds):
        # The baseline in the middle of each round, next to both measurements it is compared with, and their order
        # reversed every other round: a drift of the machine's speed within a round falls on both sides alike.
        document = stored_upload()
        if round_number % 2:
            ours.append(timed(pipeline, document))
            raw.append(timed(baseline))
            stage.append(timed(extraction_stage))
        else:
            stage.append(timed(extraction_stage))
            raw.append(timed(baseline))
            ours.append(timed(pipeline, document))
        ratios.append(ours[-1] / raw[-1])
        stage_ratios.append(stage[-1] / raw[-1])
        chunk_count = check(document)
    for process in load:
        process.kill()
    Document.objects.filter(bot=bot).delete()
    default_storage.delete(path)

    print(f"PDF: {args.pages} pages, {len(pdf) / 1e6:.2f} MB; chunks per run: {chunk_count}; load: {args.load} busy")
    print(f"embedding tasks queued for after READY: {len(queued)} (one per document processed)")
    print(f"raw pypdf extraction: median {statistics.median(raw) * 1000:.0f} ms")
    print(
        f"our extraction stage: median {statistics.median(stage) * 1000:.0f} ms, "
        f"ratio {statistics.median(stage_ratios):.3f}"
    )
    print(f"our pipeline:         median {statistics.median(ours) * 1000:.0f} ms")
    quartiles = statistics.quantiles(ratios, n=4)
    print(
        f"ratio (ours / raw):   median {statistics.median(ratios):.3f} over {args.rounds} rounds "
        f"(quartiles {quartiles[0]:.3f}-{quartiles[2]:.3f}, min {min(ratios):.3f}, max {max(ratios):.3f})"
    )
    print("target <= 1.2:", "met" if statistics.median(ratios) <= 1.2 else "NOT met")
    emit(
        "ingest",
        ratio=round(statistics.median(ratios), 3),
        ratio_q1=round(quartiles[0], 3),
        ratio_q3=round(quartiles[2], 3),
        extraction_ratio=round(statistics.median(stage_ratios), 3),
        pages=args.pages,
        rounds=args.rounds,
        load=args.load,
    )


if __name__ == "__main__":
    main()
