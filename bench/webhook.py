"""End-of-call reports against gunicorn on loopback, from concurrent clients: throughput, and not one report lost
or doubled.

    python bench/webhook.py [--calls 3000] [--duplicate-every 10] [--concurrency 32] [--workers 4]

Each call id is reported once, and every ``--duplicate-every``-th one a second time at the same moment (VAPI may
deliver twice); afterwards the table must hold exactly one row per call id, each with its report's cost. The
baseline, measured against the same server in the same run, is ``GET /api/health`` (a request and one ``SELECT 1``).
Target: >= 400 reports/s. Then, against the same server: the widget's status route and script, whose p99 at this
concurrency must stay <= 50 ms. The load comes from Debian's ``wrk`` (a C client: on two cores a Python client would
take the CPU the server needs); without it, from an httpx client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time

import httpx
from _setup import ROOT, emit, free_port, setup, wait_for_server

SECRET = "bench-webhook-secret"  # noqa: S105 (a throwaway value for this run)


def report(call_id: str, assistant_id: str, n: int) -> bytes:
    return json.dumps(
        {
            "message": {
                "type": "end-of-call-report",
                "endedReason": "customer-ended-call",
                "cost": round(0.001 * (n % 1000), 4),
                "startedAt": "2026-11-20T10:00:00Z",
                "endedAt": "2026-11-20T10:01:30Z",
                "call": {
                    "id": call_id,
                    "assistantId": assistant_id,
                    "type": "webCall",
                    "status": "ended",
                    "createdAt": "2026-11-20T09:59:59Z",
                },
                "artifact": {"transcript": "AI: Hello!\nUser: Hi.", "messages": [{"role": "user", "message": "Hi."}]},
                "analysis": {"summary": "A greeting."},
            }
        }
    ).encode()


def run_wrk(base: str, path: str, args, *, lua, seconds: int, env: dict | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{args.concurrency}", f"-d{seconds}s", "--latency"]
    if lua is not None:
        command += ["-s", str(lua)]
    else:
        command += ["-s", str(ROOT / "bench" / "get.lua")]
    output = subprocess.run(
        [*command, base + path], capture_output=True, text=True, check=True, env={**os.environ, **(env or {})}
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    per_thread = next((line.split()[1] for line in output.splitlines() if line.startswith("WRKIDS ")), "")
    fields = dict(item.split("=") for item in line.split()[1:])
    result = {key: float(value) for key, value in fields.items()}
    result["rate"] = result["requests"] / result["seconds"]
    result["p99_ms"] = next(
        (_milliseconds(line.split()[1]) for line in output.splitlines() if line.strip().startswith("99%")), None
    )
    result["issued"] = {
        f"wrk-{tid}-{n:07d}"
        for tid, count in (item.split(":") for item in per_thread.split(",") if item)
        for n in range(1, int(count) + 1)
    }
    return {
        key: int(value) if key in ("ids", "requests", "non2xx", "errors") else value for key, value in result.items()
    }


def _milliseconds(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


async def fire(base: str, requests: list[tuple[str, str, bytes | None]], concurrency: int) -> tuple[float, list[int]]:
    queue: asyncio.Queue = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    statuses: list[int] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while not queue.empty():
                method, path, body = queue.get_nowait()
                headers = {"x-vapi-secret": SECRET, "Content-Type": "application/json"}
                response = await client.request(method, path, content=body, headers=headers)
                statuses.append(response.status_code)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--duplicate-every", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--quick", action="store_true", help="5-second runs: the same measurement, shorter")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 5
    setup()
    logging.getLogger("httpx").setLevel(
        logging.WARNING
    )  # a log line per request would cost the client more than the request

    from django.db import connection

    from accounts.models import User
    from analytics.models import Call
    from bots.models import Bot, BotStatus

    user, _ = User.objects.get_or_create(id="user_webhook_bench", defaults={"email": "webhook-bench@example.com"})
    Bot.objects.filter(user=user).delete()
    bot = Bot.objects.create(
        user=user,
        name="Webhook bench",
        welcome_message="Hi",
        system_prompt="P",
        embed_code="",
        status=BotStatus.ACTIVE,
        vapi_assistant_id="asst_webhook_bench",
    )
    connection.close()

    port = free_port()
    # gunicorn's access and error lines go to a file (named at the end), as a platform's collector would take them.
    log = tempfile.NamedTemporaryFile(prefix="bench-webhook-", suffix=".log", delete=False)  # noqa: SIM115
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "SECRET_KEY": "bench",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "VAPI_WEBHOOK_SECRET": SECRET,
        # Sent as it is by the load, for every bot: accepted as the pre-per-bot shared secret (bots/vapi.py).
        "VAPI_WEBHOOK_PREVIOUS_SECRETS": SECRET,
        # The baseline asks /api/health thousands of times a second from one address: far past a probe's limit.
        # (Valid webhook deliveries are never counted: the reports need no such setting.)
        "PROBE_RATE_LIMIT": "10000000/min",
        # The widget's routes from one address, likewise (a visitor's browser asks them a few times a page).
        "WIDGET_RATE_LIMIT": "10000000/min",
        "LOG_LEVEL": "WARNING",
        "ENV_FILE": "",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(base)
        if shutil.which("wrk"):
            tool = "wrk (2 threads)"
            run_wrk(base, "/api/health", args, lua=None, seconds=3)  # warm every worker and connection
            health_rate = run_wrk(base, "/api/health", args, lua=None, seconds=args.seconds)["rate"]
            result = run_wrk(
                base,
                "/api/vapi/webhook",
                args,
                lua=ROOT / "bench" / "webhook.lua",
                seconds=args.seconds,
                env={
                    "LIMIT": str(args.calls // 2),
                    "NEW_IDS_SECONDS": str(max(1, int(args.seconds * 0.6))),
                    "ASSISTANT": bot.vapi_assistant_id,
                    "SECRET": SECRET,
                },
            )
            rate, errors, expected = result["rate"], result["non2xx"] + result["errors"], result["ids"]
            issued = result["issued"]
            sent = result["requests"]
            # The widget's hot routes under the same load: every page view of a customer's site asks both.
            status = run_wrk(base, f"/api/bots/status/{bot.uuid}", args, lua=None, seconds=args.seconds)
            script = run_wrk(base, "/js/external-chatbot-voice.js", args, lua=None, seconds=args.seconds)
            hot = {"status": status, "script": script}
        else:
            tool = "httpx (install Debian's wrk for a lighter client)"
            health = [("GET", "/api/health", None)] * args.calls
            asyncio.run(fire(base, health[:200], args.concurrency))
            health_seconds, _ = asyncio.run(fire(base, health, args.concurrency))
            health_rate = len(health) / health_seconds
            reports: list[tuple[str, str, bytes | None]] = []
            for n in range(1, args.calls + 1):
                body = report(f"wrk-1-{n:07d}", bot.vapi_assistant_id, n)
                reports.append(("POST", "/api/vapi/webhook", body))
                if n % 10 == 0:
                    reports.append(("POST", "/api/vapi/webhook", body))
            seconds, statuses = asyncio.run(fire(base, reports, args.concurrency))
            hot = {}
            rate, errors, expected, sent = (
                len(reports) / seconds,
                sum(s != 200 for s in statuses),
                args.calls,
                len(reports),
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()

    rows = Call.objects.filter(bot=bot).count()
    distinct = Call.objects.filter(bot=bot).values("vapi_call_id").distinct().count()
    wrong_cost = sum(
        1
        for vapi_call_id, cost in Call.objects.filter(bot=bot).values_list("vapi_call_id", "cost")
        if round(0.001 * (int(vapi_call_id.rsplit("-", 1)[1]) % 1000), 4) != round(cost, 4)
    )
    print(f"gunicorn's log: {log.name}")
    print(f"gunicorn: {args.workers} sync workers; client: {tool}, {args.concurrency} connections on loopback")
    print(f"baseline GET /api/health: {health_rate:.0f} requests/s")
    print(f"end-of-call reports:      {rate:.0f} reports/s ({sent} sent, {errors} errors)")
    print(f"ratio reports/health: {rate / health_rate:.2f}")
    print(f"call ids: {expected}; rows: {rows}; distinct call ids: {distinct}; rows with a wrong cost: {wrong_cost}")
    if shutil.which("wrk"):
        missing = sorted(issued - set(Call.objects.filter(bot=bot).values_list("vapi_call_id", flat=True)))
        print(f"issued but missing: {missing[:10]}")
    print("none lost or doubled:", "yes" if rows == distinct == expected and wrong_cost == 0 and not errors else "NO")
    print("target >= 400/s:", "met" if rate >= 400 else "NOT met")
    for name, route in hot.items():
        print(
            f"{name} route: {route['rate']:.0f} requests/s, p99 {route['p99_ms']:.1f} ms "
            f"({route['non2xx'] + route['errors']} errors); target p99 <= 50 ms:",
            "met" if route["p99_ms"] <= 50 and not route["non2xx"] + route["errors"] else "NOT met",
        )
    Bot.objects.filter(user=user).delete()
    emit(
        "webhook",
        reports_per_s=round(rate, 1),
        lost=max(0, expected - distinct),
        doubled=rows - distinct,
        wrong_cost=wrong_cost,
        errors=errors,
        health_per_s=round(health_rate, 1),
        status_p99_ms=round(hot["status"]["p99_ms"], 2) if hot else None,
        script_p99_ms=round(hot["script"]["p99_ms"], 2) if hot else None,
    )


if __name__ == "__main__":
    main()
