"""Embedding a 200-page PDF's chunks: chunks per second and peak memory of the process, per batch size.

    python bench/embed.py [--pages 200] [--batch-sizes 1,4,32] [--threads N] [--quick]

The chunks are those of bench/ingest.py's PDF (made by documents/tests/pdfgen, extracted and cut by our own
pipeline's extract() and chunk_text()). Each batch size runs in a process of its own (peak memory only grows in a
process): Django's settings loaded as in a worker, then the model loaded (time, resident memory after), then every
chunk embedded once through ``embed_passages`` (chunks per second; peak resident memory while embedding, the
peak having been reset after the load, and of the whole process). The process of the configured batch size
(``EMBEDDINGS_BATCH_SIZE``) also times single-query embeddings (p50, p95). Target: a worker under 400 MB.
``--quick``: 50 pages, the configured batch size and 4, well under two minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _setup import emit, percentile

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "um hi yeah so like when can i get breakfast in the morning",
    "can i change my booking online",
    "is there somewhere to park the car",
    "do you have a spa and how much is it",
    "what time do i have to leave the room on the last day",
    "i want to cancel two days before is that free",
    "can i bring my dog",
    "how late is the reception open tonight",
]


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(field)


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM, the peak resident memory (Linux)


def chunks_of_pdf(pages: int) -> list[str]:
    from documents.chunking import chunk_text
    from documents.extract import extract
    from documents.tests.pdfgen import make_pdf

    words = (
        "The guest services team answers questions about rooms, breakfast, parking, the spa and late check-out. "
        "Reservations can be changed online until two days before arrival without any fee. "
    )
    pdf = make_pdf([f"Page {n}. " + words * 12 for n in range(1, pages + 1)])
    import io

    return chunk_text(extract(io.BytesIO(pdf), "pdf").text)


def child(args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("ENV_FILE", "")
    os.environ["EMBEDDINGS_THREADS"] = str(args.threads)
    import django

    django.setup()
    from documents import embeddings

    chunks = chunks_of_pdf(args.pages)
    before = rss_mb()
    start = time.perf_counter()
    embeddings.embed_query("load")
    load_s = time.perf_counter() - start
    after_load, load_peak = rss_mb(), rss_mb("VmHWM")
    reset_peak()
    start = time.perf_counter()
    vectors = embeddings.embed_passages(chunks, batch_size=args.batch_size)
    seconds = time.perf_counter() - start
    assert vectors.shape == (len(chunks), embeddings.dimensions())
    result = {
        "batch_size": args.batch_size,
        "chunks": len(chunks),
        "chunks_per_s": round(len(chunks) / seconds, 1),
        "peak_rss_mb": round(max(load_peak, rss_mb("VmHWM")), 1),
        "peak_rss_embedding_mb": round(rss_mb("VmHWM"), 1),
        "rss_before_load_mb": round(before, 1),
        "rss_after_load_mb": round(after_load, 1),
        "rss_after_mb": round(rss_mb(), 1),
        "load_s": round(load_s, 2),
    }
    if args.queries:
        for query in QUERIES:
            embeddings.embed_query(query)
        samples = []
        for _ in range(args.queries // len(QUERIES)):
            for query in QUERIES:
                start = time.perf_counter()
                embeddings.embed_query(query)
                samples.append((time.perf_counter() - start) * 1000)
        result |= {"query_p50_ms": round(percentile(samples, 50), 2), "query_p95_ms": round(percentile(samples, 95), 2)}
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--batch-sizes", default="", help="comma-separated (default: the configured one, 1, 4, 32)")
    parser.add_argument("--threads", type=int, default=None, help="ONNX Runtime threads (default: the setting)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, default=8, help=argparse.SUPPRESS)
    parser.add_argument("--queries", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child:
        child(args)
        return

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("ENV_FILE", "")
    import django

    django.setup()
    from django.conf import settings

    configured = settings.EMBEDDINGS_BATCH_SIZE
    threads = args.threads or settings.EMBEDDINGS_THREADS
    if args.quick:
        args.pages = 50
    sizes = [int(size) for size in args.batch_sizes.split(",") if size] or (
        sorted({configured, 4}) if args.quick else sorted({configured, 1, 4, 32})
    )
    runs = []
    for size in sizes:
        command = [sys.executable, __file__, "--child", "--pages", str(args.pages), "--batch-size", str(size)]
        command += ["--threads", str(threads)]
        if size == configured:
            command += ["--queries", str(200 if args.quick else 800)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(output.strip().splitlines()[-1]))
        run = runs[-1]
        print(
            f"batch {size:>3}: {run['chunks']} chunks, {run['chunks_per_s']:.1f} chunks/s, peak RSS "
            f"{run['peak_rss_mb']:.0f} MB (while embedding {run['peak_rss_embedding_mb']:.0f} MB; after load "
            f"{run['rss_after_load_mb']:.0f} MB, before {run['rss_before_load_mb']:.0f} MB; load {run['load_s']:.2f} s)"
            + (f"; query p50 {run['query_p50_ms']} ms, p95 {run['query_p95_ms']} ms" if "query_p50_ms" in run else "")
        )
    chosen = next((run for run in runs if run["batch_size"] == configured), runs[0])
    print("worker under 400 MB:", "met" if chosen["peak_rss_mb"] < 400 else "NOT met")
    emit(
        "embed",
        chunks_per_s=chosen["chunks_per_s"],
        peak_rss_mb=chosen["peak_rss_mb"],
        batch_size=chosen["batch_size"],
        threads=threads,
        chunks=chosen["chunks"],
        pages=args.pages,
        load_s=chosen["load_s"],
        rss_after_load_mb=chosen["rss_after_load_mb"],
        query_p50_ms=chosen.get("query_p50_ms"),
        query_p95_ms=chosen.get("query_p95_ms"),
        by_batch_size={
            run["batch_size"]: {"chunks_per_s": run["chunks_per_s"], "peak_rss_mb": run["peak_rss_mb"]} for run in runs
        },
    )


if __name__ == "__main__":
    main()
