"""Analytics at scale: one owner with 1,000,000 calls and 1,000,000 sessions over the last year; p50/p95 of
``GET /api/analytics/overview?timeRange=30d`` through the URL and the real view, against a baseline measured in
the same run.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/voicebot_bench_reports \\
        python bench/analytics.py [--calls 1000000] [--sessions 1000000] [--bots 20] [--runs 30] [--reuse] [--quick]

Rows are written with ``COPY`` in time order (as the webhook and the widget write them), with realistic ended
reasons, costs, durations, transcripts, user agents and countries, then ``VACUUM ANALYZE`` (what autovacuum does
after a bulk load). The overview is called through the URL, the whole middleware stack and DRF (authentication
forced, the view, its JSON rendered).

Baseline: the same figures (bots and files; calls in the range, successful, today, this week, this month;
sessions in the range, previous range, active, completed; the five latest bots and sessions) by hand-written SQL,
five statements on a raw cursor, with the same strategy as the selectors (calls grouped by outcome before the
ended reasons are tested), so that the ratio measures what Django and DRF add. Also printed for reference: the
same SQL testing every call's ended reason, as most hand-written SQL would. Targets: overview p50 <= 150 ms and
p50 ratio <= 1.3.
"""

from __future__ import annotations

import argparse
import datetime
import random
import time
import uuid

from _setup import emit, percentile, setup, summary

ENDED_REASONS = [
    ("customer-ended-call", 45),
    ("assistant-ended-call", 25),
    ("silence-timed-out", 9),
    ("exceeded-max-duration", 3),
    ("customer-did-not-answer", 4),
    ("customer-busy", 2),
    ("voicemail", 3),
    ("assistant-error", 2),
    ("pipeline-error-openai-llm-failed", 2),
    ("twilio-failed-to-connect-call", 1),
    ("assistant-not-found", 1),
    ("call.in-progress.error-vapifault-openai-llm-failed", 3),
]
CALL_TYPES = [("webCall", 70), ("inboundPhoneCall", 20), ("outboundPhoneCall", 10)]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 "
    "Edg/124.0.2478.51",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 "
    "OPR/110.0.0.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]
COUNTRIES = [("US", 30), ("GB", 12), ("DE", 10), ("IN", 10), ("FR", 6), ("CA", 6), ("BR", 5), (None, 21)]
WORDS = (
    "hello thanks booking table tonight menu opening hours parking price refund order delivery address account "
    "password appointment tomorrow morning afternoon weekend available sorry help question great perfect"
).split()


def user_agents(rng: random.Random) -> tuple[list[str], list[float]]:
    """Some 2,000 distinct user agents (the browsers' versions vary) and their weights."""
    shares = [30, 8, 10, 8, 20, 15, 4, 3, 2]
    agents: dict[str, float] = {}
    for base, share in zip(USER_AGENTS, shares, strict=True):
        variants = {
            base.replace("124.0.0.0", f"{rng.randint(118, 126)}.0.{rng.randint(6000, 6500)}.{rng.randint(0, 180)}")
            .replace("125.0", f"{rng.randint(115, 126)}.0")
            .replace("17_4", f"{rng.randint(15, 17)}_{rng.randint(0, 6)}")
            .replace("17.4", f"{rng.randint(15, 17)}.{rng.randint(0, 6)}")
            for _ in range(400)
        }
        agents.update(dict.fromkeys(variants, share / len(variants)))
    return list(agents), list(agents.values())


def weighted(rng: random.Random, table: list[tuple[object, int]], count: int) -> list[object]:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights=weights, k=count)


def text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def load(user, bots, *, calls: int, sessions: int, rng: random.Random, now: datetime.datetime, vacuum: bool) -> None:
    from django.db import connection

    year = 365 * 24 * 3600
    transcripts = [
        "\n".join(f"{'AI' if n % 2 else 'User'}: {text(rng, rng.randint(6, 20))}" for n in range(rng.randint(4, 16)))
        for _ in range(64)
    ]
    summaries = [text(rng, rng.randint(12, 30)).capitalize() + "." for _ in range(32)]
    bot_weights = [rng.randint(1, 20) for _ in bots]

    started = time.perf_counter()
    with connection.cursor() as cursor:
        offsets = sorted(rng.random() * year for _ in range(calls))
        reasons = weighted(rng, ENDED_REASONS, calls)
        types = weighted(rng, CALL_TYPES, calls)
        owners = rng.choices(bots, weights=bot_weights, k=calls)
        with cursor.copy(
            'COPY calls (id, "vapiCallId", "assistantId", "userId", "botId", status, "endedReason", "phoneNumber", '
            'type, cost, duration, transcript, recording, summary, "messageCount", "createdAt", "startedAt", '
            '"endedAt", "updatedAt") FROM STDIN'
        ) as copy:
            for n in range(calls):
                created = now - datetime.timedelta(seconds=year - offsets[n])
                bot = owners[n]
                ongoing = created > now - datetime.timedelta(minutes=15) and rng.random() < 0.5
                duration = None if ongoing else max(1, int(rng.gammavariate(2.0, 60.0)))
                started_at = created + datetime.timedelta(seconds=2)
                ended_at = started_at + datetime.timedelta(seconds=duration) if duration is not None else None
                call_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                copy.write_row(
                    (
                        f"c{n:024d}",
                        call_id,
                        bot.vapi_assistant_id,
                        user.pk,
                        bot.pk,
                        "IN_PROGRESS" if ongoing else "ENDED",
                        None if ongoing else reasons[n],
                        f"+1555{rng.randint(1000000, 9999999)}" if types[n] != "webCall" else None,
                        types[n],
                        0.0 if ongoing else round(rng.uniform(0.01, 0.6), 4),
                        duration,
                        None if ongoing else rng.choice(transcripts),
                        None if ongoing else f"https://storage.vapi.ai/{call_id}-mono.wav",
                        None if ongoing else rng.choice(summaries),
                        0 if ongoing else rng.randint(2, 40),
                        created,
                        started_at,
                        ended_at,
                        ended_at or created,
                    )
                )
        print(f"calls: {calls} copied in {time.perf_counter() - started:.0f} s")

        started = time.perf_counter()
        offsets = sorted(rng.random() * year for _ in range(sessions))
        agents = rng.choices(*user_agents(rng), k=sessions)
        countries = weighted(rng, COUNTRIES, sessions)
        owners = rng.choices(bots, weights=bot_weights, k=sessions)
        with cursor.copy(
            'COPY sessions (id, "sessionId", "userId", "botId", "startTime", "endTime", "userAgent", "ipAddress", '
            "interactions, country) FROM STDIN"
        ) as copy:
            for n in range(sessions):
                start = now - datetime.timedelta(seconds=year - offsets[n])
                recent = start > now - datetime.timedelta(minutes=30)
                # The visitors of the last half hour are mostly still there; a few in every hundred leave silently.
                is_open = (recent and rng.random() < 0.7) or rng.random() < 0.03
                end = None if is_open else start + datetime.timedelta(seconds=rng.randint(10, 900))
                copy.write_row(
                    (
                        f"s{n:024d}",
                        f"session_{int(start.timestamp() * 1000)}_{n:09x}",
                        user.pk,
                        owners[n].pk,
                        start,
                        end,
                        agents[n],
                        f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                        rng.randint(0, 20),
                        countries[n],
                    )
                )
        print(f"sessions: {sessions} copied in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    command = "VACUUM ANALYZE" if vacuum else "ANALYZE"
    with connection.cursor() as cursor:
        for table in ("bots", "documents", "calls", "sessions"):
            cursor.execute(f"{command} {table}")
    print(f"{command} in {time.perf_counter() - started:.0f} s")


BASELINE_SQL = [
    # bots created in the range and before it, online, with RAG; the owner's uploaded files
    """
    SELECT count(DISTINCT b.id) FILTER (WHERE b."createdAt" >= %(start)s),
           count(DISTINCT b.id) FILTER (WHERE b."createdAt" >= %(previous)s AND b."createdAt" < %(start)s),
           count(DISTINCT b.id) FILTER (WHERE b."createdAt" >= %(start)s AND b.status = 'ACTIVE'),
           count(DISTINCT b.id) FILTER (WHERE b."createdAt" >= %(start)s AND b.status <> 'ACTIVE'),
           count(DISTINCT b.id) FILTER (WHERE b."createdAt" >= %(start)s AND b."ragEnabled"),
           count(DISTINCT b.id) FILTER (WHERE b."createdAt" >= %(start)s AND NOT b."ragEnabled"),
           count(DISTINCT b.id) FILTER (WHERE b.status = 'ACTIVE'),
           count(DISTINCT b.id),
           count(d.id) FILTER (WHERE d."filePath" IS NOT NULL),
           coalesce(sum(d.size) FILTER (WHERE d."filePath" IS NOT NULL), 0),
           count(DISTINCT b.id) FILTER (WHERE d."filePath" IS NOT NULL)
      FROM bots b LEFT JOIN documents d ON d."botId" = b.id
     WHERE b."userId" = %(user)s
    """,
    # calls in the range, successful ones, and in the last 1, 7, 30 days: grouped by outcome first, so the string
    # tests run once per (status, reason) instead of once per call
    """
    SELECT coalesce(sum(n), 0),
           coalesce(sum(n) FILTER (WHERE status = 'ENDED'
                                   AND NOT coalesce(reason LIKE ANY (ARRAY['%%error%%', '%%failed%%', '%%fault%%'])
                                                    OR reason = ANY(%(reasons)s), false)), 0),
           coalesce(sum(today), 0), coalesce(sum(week), 0), coalesce(sum(month), 0)
      FROM (SELECT status, "endedReason" AS reason,
                   count(*) FILTER (WHERE "createdAt" >= %(start)s) AS n,
                   count(*) FILTER (WHERE "createdAt" >= %(today)s) AS today,
                   count(*) FILTER (WHERE "createdAt" >= %(week)s) AS week,
                   count(*) FILTER (WHERE "createdAt" >= %(month)s) AS month
              FROM calls
             WHERE "userId" = %(user)s AND "createdAt" >= least(%(start)s, %(month)s)
             GROUP BY 1, 2) AS per_outcome
    """,
    # sessions in the range and the previous one, active, completed
    """
    SELECT count(*) FILTER (WHERE "startTime" >= %(start)s),
           count(*) FILTER (WHERE "startTime" < %(start)s),
           count(*) FILTER (WHERE "startTime" >= %(start)s AND "endTime" IS NULL AND "startTime" >= %(active)s),
           count(*) FILTER (WHERE "startTime" >= %(start)s AND NOT ("endTime" IS NULL AND "startTime" >= %(active)s))
      FROM sessions
     WHERE "userId" = %(user)s AND "startTime" >= %(previous)s
    """,
    """
    SELECT uuid, name, status, "createdAt", "ragEnabled", "documentsProcessed" FROM bots
     WHERE "userId" = %(user)s AND "createdAt" >= %(start)s ORDER BY "createdAt" DESC, id DESC LIMIT 5
    """,
    """
    SELECT s.id, b.uuid, s."startTime", s."endTime" FROM sessions s JOIN bots b ON b.id = s."botId"
     WHERE s."userId" = %(user)s AND s."startTime" >= %(start)s ORDER BY s."startTime" DESC, s.id DESC LIMIT 5
    """,
]


# For reference: the calls counted as most hand-written SQL would, testing every call's ended reason.
ROW_BY_ROW_CALLS_SQL = """
    SELECT count(*) FILTER (WHERE "createdAt" >= %(start)s),
           count(*) FILTER (WHERE "createdAt" >= %(start)s AND status = 'ENDED'
                            AND NOT coalesce("endedReason" ILIKE ANY (ARRAY['%%error%%', '%%failed%%', '%%fault%%'])
                                             OR "endedReason" = ANY(%(reasons)s), false)),
           count(*) FILTER (WHERE "createdAt" >= %(today)s),
           count(*) FILTER (WHERE "createdAt" >= %(week)s),
           count(*) FILTER (WHERE "createdAt" >= %(month)s)
      FROM calls
     WHERE "userId" = %(user)s AND "createdAt" >= least(%(start)s, %(month)s)
"""
ROW_BY_ROW_SQL = [BASELINE_SQL[0], ROW_BY_ROW_CALLS_SQL, *BASELINE_SQL[2:]]


def baseline(user, statements: list[str] = BASELINE_SQL) -> list[list[tuple]]:
    from django.db import connection
    from django.utils import timezone

    from analytics.selectors import ERROR_ENDED_REASONS

    now = timezone.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    params = {
        "user": user.pk,
        "start": now - datetime.timedelta(days=30),
        "previous": now - datetime.timedelta(days=60),
        "today": midnight,
        "week": midnight - datetime.timedelta(days=6),
        "month": midnight - datetime.timedelta(days=29),
        "active": now - datetime.timedelta(minutes=30),
        "reasons": list(ERROR_ENDED_REASONS),
    }
    results = []
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, params)
            results.append(cursor.fetchall())
    return results


def overview_caller(user):
    """A function that GETs the overview as ``user`` through the URL, the whole middleware stack and DRF (the
    authentication forced), and returns the parsed JSON."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)

    def call():
        # secure: as behind the TLS-terminating proxy (production settings redirect plain HTTP)
        response = client.get("/api/analytics/overview", {"timeRange": "30d"}, secure=True)
        assert response.status_code == 200, (response.status_code, response.content)
        return response.json()

    return call


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--bots", type=int, default=20)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run")
    parser.add_argument(
        "--no-vacuum",
        dest="vacuum",
        action="store_false",
        help="ANALYZE only after loading: no visibility map yet, the worst case for index-only scans",
    )
    # The ratio is Django's fixed cost over the database's time, which grows with the rows: a smaller data set
    # would give another ratio (2.8 at 100k rows). The million rows load in under a minute (COPY): --quick keeps
    # them and takes fewer runs, reusing a previous run's rows when they are there.
    parser.add_argument("--quick", action="store_true", help="the same million rows (reused if loaded), 10 runs")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.reuse = 10, True
    setup()

    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from analytics.models import Call, Session
    from bots.models import Bot, BotStatus
    from documents.models import Document, DocumentStatus

    rng = random.Random(7)
    now = timezone.now()
    # One data set per size (--calls, --sessions): a smaller run does not replace the million rows (kept with --reuse).
    suffix = "" if (args.calls, args.sessions) == (1_000_000, 1_000_000) else f"_{args.calls}_{args.sessions}"
    user, _ = User.objects.get_or_create(
        id=f"user_analytics_bench{suffix}", defaults={"email": f"analytics-bench{suffix}@example.com"}
    )
    loaded = (
        Call.objects.filter(user=user).count() == args.calls
        and Session.objects.filter(user=user).count() == args.sessions
    )
    if not (args.reuse and loaded):
        Bot.objects.filter(user=user).delete()  # cascades to calls, sessions, documents
        with connection.cursor() as cursor:
            for table in ("calls", "sessions"):
                cursor.execute(f"VACUUM {table}")  # a previous run's rows: gone, not dead weight in the scans
        bots = [
            Bot.objects.create(
                user=user,
                name=f"Analytics bench {n}",
                welcome_message="Hi",
                system_prompt="P",
                embed_code="",
                status=BotStatus.ACTIVE if n % 5 else BotStatus.PENDING,
                rag_enabled=n % 2 == 0,
                vapi_assistant_id=f"asst_analytics_bench_{n}",
                created_at=now - datetime.timedelta(days=rng.randint(0, 365)),
            )
            for n in range(args.bots)
        ]
        Document.objects.bulk_create(
            Document(
                bot=bot,
                name=f"file-{d}.pdf",
                type="application/pdf",
                size=rng.randint(10_000, 5_000_000),
                file_path=f"uploads/{bot.uuid}/file-{d}.pdf",
                status=DocumentStatus.READY,
            )
            for bot in bots
            if bot.rag_enabled
            for d in range(rng.randint(1, 6))
        )
        load(user, bots, calls=args.calls, sessions=args.sessions, rng=rng, now=now, vacuum=args.vacuum)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('calls')), pg_size_pretty(pg_total_relation_size('sessions'))"
        )
        calls_size, sessions_size = cursor.fetchone()
    print(
        f"calls: {Call.objects.filter(user=user).count()} ({calls_size} with indexes), "
        f"sessions: {Session.objects.filter(user=user).count()} ({sessions_size})"
    )

    overview = overview_caller(user)
    for _ in range(3):  # warm the caches, as a running server has them
        overview()
        baseline(user)

    overview_ms, baseline_ms, row_by_row_ms = [], [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        body = overview()
        overview_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        figures = baseline(user)
        baseline_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        baseline(user, ROW_BY_ROW_SQL)
        row_by_row_ms.append((time.perf_counter() - started) * 1000)

    breakdown = body["overview"]["breakdown"]
    calls_row, sessions_row = figures[1][0], figures[2][0]
    same = (breakdown["vapi"]["callsThisMonth"], body["overview"]["quickStats"][1]["value"]) == (
        calls_row[4],
        calls_row[0],
    ) and (breakdown["sessions"]["total"], breakdown["sessions"]["completed"]) == (sessions_row[0], sessions_row[3])
    print(
        f"30 days: {body['overview']['quickStats'][1]['value']} calls ({body['overview']['quickStats'][1]['change']}), "
        f"{breakdown['sessions']['total']} sessions, {breakdown['sessions']['active']} active; "
        f"same figures as the baseline: {same}"
    )
    print(f"overview (view, 30d):     {summary(overview_ms)}")
    print(f"baseline (raw SQL, 30d):  {summary(baseline_ms)}")
    print(f"reference, row by row:    {summary(row_by_row_ms)} (raw SQL testing every call's ended reason)")
    ratio = percentile(overview_ms, 50) / percentile(baseline_ms, 50)
    print(f"ratio of p50s: {ratio:.2f}x")
    print("target p50 <= 150 ms:", "met" if percentile(overview_ms, 50) <= 150 else "NOT met")
    print("target ratio <= 1.3:", "met" if ratio <= 1.3 else "NOT met")
    emit(
        "analytics",
        ratio=round(ratio, 3),
        p50_ms=round(percentile(overview_ms, 50), 2),
        baseline_p50_ms=round(percentile(baseline_ms, 50), 2),
        calls=args.calls,
        sessions=args.sessions,
        same_figures=same,
    )


if __name__ == "__main__":
    main()
