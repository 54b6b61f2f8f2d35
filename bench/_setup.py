"""Shared start of the benchmarks: Django on a PostgreSQL database of their own, migrated."""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/voicebot_bench"


def setup(database_url: str | None = None) -> None:
    """Create the benchmark database if needed, point Django at it, migrate it."""
    url = database_url or os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ENV_FILE", "")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")  # the test client's host, loopback
    # The benchmarks' test clients force DRF's authentication, which the rate limits (they read Django's user, or
    # count after DRF checked a token) take for an anonymous caller: nothing here may be cut by them.
    os.environ.setdefault("ANONYMOUS_RATE_LIMIT", "10000000/min")
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def summary(samples_ms: list[float]) -> str:
    return (
        f"p50 {percentile(samples_ms, 50):.2f} ms, p95 {percentile(samples_ms, 95):.2f} ms, "
        f"mean {statistics.fmean(samples_ms):.2f} ms, n={len(samples_ms)}"
    )


def emit(bench: str, **figures) -> None:
    """The bench's last line: its figures as one JSON object, for a machine to read (``{"bench": …, …}``)."""
    import json

    print(json.dumps({"bench": bench, **figures}, sort_keys=False))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_server(base: str, seconds: float = 20) -> None:
    """Until ``base`` answers ``/api/health`` (any status): the server has started."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(f"{base}/api/health", timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise SystemExit(f"no server at {base} after {seconds:.0f} s") from None
            time.sleep(0.1)
