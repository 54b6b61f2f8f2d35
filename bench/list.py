"""The bot lists against a bare Django view of the same rows, in one gunicorn run: requests per second, as a ratio.

    python bench/list.py [--bots 200] [--rounds 5] [--seconds 5] [--workers 4] [--concurrency 16] [--quick]

The server is the project as production runs it (gunicorn with gunicorn.conf.py, DEBUG off, PostgreSQL) plus one
route that only this bench mounts (bench/list_site.py): ``GET /bench/bare-bots``, the owner's rows straight from
``values()`` into ``JsonResponse`` — no authentication, no serializer. Against it, signed in with a Clerk-style
token: the legacy ``GET /api/bots/list`` and the REST ``GET /api/bots?limit=<bots>``, both answering the same
rows. Rounds interleave the three (bare, legacy, REST, bare, …) so that the machine's drift touches all alike;
each round's ratio is the endpoint's rate over the bare view's in that round, and the figure is the median.
Target: >= 0.7 for both. Load: Debian's ``wrk``.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import statistics
import subprocess
import sys
import tempfile

import httpx
from _setup import ROOT, emit, free_port, setup, wait_for_server

USER_ID = "user_list_bench"
KEY_ID = "bench-key"


def wrk(url: str, *, seconds: int, concurrency: int, token: str | None) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) of one wrk run; non-2xx answers stop the bench."""
    command = ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", str(ROOT / "bench" / "get.lua")]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    summary = next(line for line in output.splitlines() if line.startswith("WRK "))
    fields = {key: float(value) for key, value in (item.split("=") for item in summary.split()[1:])}
    if fields["non2xx"] or fields["errors"]:
        raise SystemExit(f"{url}: {fields['non2xx']:.0f} non-2xx answers, {fields['errors']:.0f} errors\n{output}")
    p99 = next(line.split()[1] for line in output.splitlines() if line.strip().startswith("99%"))
    return fields["requests"] / fields["seconds"], _milliseconds(p99)


def _milliseconds(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bots", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 3 s: the same ratios, in about a minute")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds = 3, 3
    setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request is not the bench's output

    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from django.db import connection

    from accounts.models import User
    from bots.models import Bot, BotStatus

    user, _ = User.objects.get_or_create(id=USER_ID, defaults={"email": "list-bench@example.com"})
    Bot.objects.filter(user=user).delete()
    Bot.objects.bulk_create(
        Bot(
            user=user,
            name=f"Bench bot {n}",
            welcome_message="Hello! How can I help you today?",
            system_prompt="You answer questions about our opening hours, prices and bookings. " * 4,
            embed_code=f'<script defer src="https://bots.example.com/js/external-chatbot-voice.js" data-n="{n}">'
            "</script>",
            status=BotStatus.ACTIVE,
            vapi_assistant_id=f"asst_list_bench_{n}",
        )
        for n in range(args.bots)
    )
    connection.close()

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    now = datetime.datetime.now(tz=datetime.UTC)
    # Valid for the whole run (Clerk's last a minute; the server checks the signature and the times, not the span).
    token = jwt.encode(
        {"sub": USER_ID, "sid": "sess_bench", "iat": now, "nbf": now, "exp": now + datetime.timedelta(hours=2)},
        key,
        algorithm="RS256",
        headers={"kid": KEY_ID},
    )

    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "list_site",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
        "BENCH_USER_ID": USER_ID,
        "SECRET_KEY": "bench",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CLERK_JWT_KEY": public,
        "CLERK_JWKS_URL": "",
        "CLERK_SECRET_KEY": "",
        "PROBE_RATE_LIMIT": "10000000/min",
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": str(args.workers),
        "PORT": str(port),
        "ENV_FILE": "",
    }
    log = tempfile.NamedTemporaryFile(prefix="bench-list-", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    targets = {
        "bare": (f"{base}/bench/bare-bots", None),
        "legacy": (f"{base}/api/bots/list", token),
        "drf": (f"{base}/api/bots?limit={args.bots}", token),
    }
    rates: dict[str, list[float]] = {name: [] for name in targets}
    p99s: dict[str, list[float]] = {name: [] for name in targets}
    try:
        wait_for_server(base)
        for name, (url, bearer) in targets.items():  # each answers the same rows, signed in
            headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
            body = httpx.get(url, headers=headers, timeout=10)
            body.raise_for_status()
            assert len(body.json()["bots"]) == args.bots, name  # the same rows, each answer under "bots"
            wrk(url, seconds=1, concurrency=args.concurrency, token=bearer)  # warm every worker
        for round_number in range(1, args.rounds + 1):
            for name, (url, bearer) in targets.items():
                rate, p99 = wrk(url, seconds=args.seconds, concurrency=args.concurrency, token=bearer)
                rates[name].append(rate)
                p99s[name].append(p99)
            print(
                f"round {round_number}: bare {rates['bare'][-1]:.0f}/s, legacy {rates['legacy'][-1]:.0f}/s "
                f"({rates['legacy'][-1] / rates['bare'][-1]:.2f}x), REST {rates['drf'][-1]:.0f}/s "
                f"({rates['drf'][-1] / rates['bare'][-1]:.2f}x)",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
        Bot.objects.filter(user=user).delete()
    print(f"gunicorn's log: {log.name}")

    ratios = {
        name: [rate / bare for rate, bare in zip(rates[name], rates["bare"], strict=True)] for name in ("legacy", "drf")
    }
    legacy, drf = statistics.median(ratios["legacy"]), statistics.median(ratios["drf"])
    print(f"{args.bots} bots; gunicorn {args.workers} workers; wrk 2 threads, {args.concurrency} connections")
    for name in targets:
        print(
            f"{name:>6}: median {statistics.median(rates[name]):.0f} requests/s, "
            f"p99 median {statistics.median(p99s[name]):.1f} ms"
        )
    print(f"legacy / bare: median {legacy:.2f} (rounds {min(ratios['legacy']):.2f}-{max(ratios['legacy']):.2f})")
    print(f"REST / bare:   median {drf:.2f} (rounds {min(ratios['drf']):.2f}-{max(ratios['drf']):.2f})")
    print("target >= 0.7:", "met" if min(legacy, drf) >= 0.7 else "NOT met")
    emit(
        "list",
        legacy_ratio=round(legacy, 3),
        drf_ratio=round(drf, 3),
        bare_rps=round(statistics.median(rates["bare"]), 1),
        legacy_rps=round(statistics.median(rates["legacy"]), 1),
        drf_rps=round(statistics.median(rates["drf"]), 1),
        rounds=args.rounds,
    )


if __name__ == "__main__":
    main()
