"""Knowledge-base search at scale: 200,000 chunks in PostgreSQL, p50/p95 of the search VAPI's knowledge-base
requests run, against a baseline measured in the same run.

    python bench/search.py [--chunks 200000] [--bots 10] [--queries 300]

The chunks are spread over ``--bots`` bots (one of them, the one searched, holding a tenth of them plus a share
of the rest, so the scoping filter has work to do) and written with ``COPY``, then indexed as the processing task
indexes them (``to_tsvector`` in the bot's language, GIN index). Queries are callers' questions built from the same
vocabulary. Baseline: the cheapest indexed query the knowledge-base endpoint also runs (the bot by its assistant
id). Target: p95 <= 30 ms.
"""

from __future__ import annotations

import argparse
import random
import time

from _setup import emit, percentile, setup, summary

TOPICS = (
    "breakfast lunch dinner restaurant menu vegetarian vegan gluten allergy wine bar coffee tea "
    "room suite bed pillow towel minibar view balcony shower bath air conditioning heating "
    "parking garage car charger bike shuttle airport train station taxi bus "
    "spa sauna pool gym massage yoga fitness towel robe opening hours weekend holiday "
    "check-in check-out late early luggage reception key card safe wifi password printer "
    "pet dog cat cot baby child family accessible wheelchair elevator stairs "
    "price rate discount refund cancellation deposit invoice payment card cash voucher gift"
).split()
FILLER = "the a to of and in is for on with at by from our your we you it this that are be can will".split()
QUESTIONS = (
    "What time is {0} served?",
    "Do you have {0} and {1}?",
    "How much does the {0} cost?",
    "Can I bring my {0} to the {1}?",
    "Is there a {0} near the {1}?",
    "When does the {0} open on the {1}?",
    "I would like to know about {0}, {1} and {2}",
)


def sentence(rng: random.Random) -> str:
    words = [rng.choice(TOPICS) if rng.random() < 0.35 else rng.choice(FILLER) for _ in range(rng.randint(8, 18))]
    return " ".join(words).capitalize() + "."


def chunk_text(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(6, 10)))  # ~600-1000 characters, like real chunks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=200_000)
    parser.add_argument("--bots", type=int, default=10)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--reuse", action="store_true", help="keep the data of a previous run")
    parser.add_argument("--quick", action="store_true", help="20k chunks, 100 questions: the same measurement")
    args = parser.parse_args()
    if args.quick:
        args.chunks, args.queries = min(args.chunks, 20_000), 100
    setup()

    from django.db import connection

    from accounts.models import User
    from bots.models import Bot, BotStatus
    from documents.models import Document, DocumentChunk, DocumentStatus
    from documents.search import search_chunks

    rng = random.Random(42)
    user, _ = User.objects.get_or_create(id="user_search_bench", defaults={"email": "search-bench@example.com"})
    existing = DocumentChunk.objects.filter(bot__user=user).count()
    if not (args.reuse and existing == args.chunks):
        Bot.objects.filter(user=user).delete()
        bots = [
            Bot.objects.create(
                user=user,
                name=f"Search bench {n}",
                welcome_message="Hi",
                system_prompt="P",
                embed_code="",
                status=BotStatus.ACTIVE,
                rag_enabled=True,
                vapi_assistant_id=f"asst_search_bench_{n}",
            )
            for n in range(args.bots)
        ]
        # The searched bot holds a tenth of all chunks, the others share the rest.
        shares = [args.chunks // 10] + [(args.chunks - args.chunks // 10) // (args.bots - 1)] * (args.bots - 1)
        shares[-1] += args.chunks - sum(shares)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for bot, share in zip(bots, shares, strict=True):
                documents = [
                    Document.objects.create(
                        bot=bot, name=f"doc-{d}.txt", type="text/plain", size=0, status=DocumentStatus.READY
                    )
                    for d in range(max(1, share // 200))
                ]
                with cursor.copy(
                    'COPY document_chunks ("documentId", "botId", "position", "content") FROM STDIN'
                ) as copy:
                    for index in range(share):
                        copy.write_row((documents[index % len(documents)].pk, bot.pk, index, chunk_text(rng)))
            cursor.execute(
                'UPDATE document_chunks SET "searchVector" = to_tsvector(\'english\', content) WHERE "botId" = ANY(%s)',
                [[bot.pk for bot in bots]],
            )
        # As autovacuum would, soon after such a load (this machine's server runs without it): the rows the vectors'
        # UPDATE left behind are cleared, the visibility map and the planner's statistics are up to date.
        for table in ("document_chunks", "documents", "bots"):
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {table}")
        print(f"loaded and indexed {args.chunks} chunks in {time.perf_counter() - started:.0f} s")
    bot = Bot.objects.get(user=user, name="Search bench 0")
    print(
        f"chunks: {DocumentChunk.objects.count()} in the table, {DocumentChunk.objects.filter(bot=bot).count()} "
        "for the searched bot"
    )

    questions = [rng.choice(QUESTIONS).format(*rng.sample(TOPICS, 3)) for _ in range(args.queries)]
    for question in questions[:20]:  # warm the caches, as a running server has them
        search_chunks(bot=bot, query=question, limit=5)

    search_ms, baseline_ms, hits = [], [], 0
    for question in questions:
        started = time.perf_counter()
        Bot.objects.only("id", "language", "rag_enabled", "status").filter(
            vapi_assistant_id=bot.vapi_assistant_id
        ).first()
        baseline_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        results = search_chunks(bot=bot, query=question, limit=5)
        search_ms.append((time.perf_counter() - started) * 1000)
        hits += bool(results)

    print(f"search (top 5):          {summary(search_ms)}")
    print(f"baseline (bot by index): {summary(baseline_ms)}")
    print(
        f"ratio of p50s: {percentile(search_ms, 50) / percentile(baseline_ms, 50):.1f}x; "
        f"questions with results: {hits}/{len(questions)}"
    )
    print("target p95 <= 30 ms:", "met" if percentile(search_ms, 95) <= 30 else "NOT met")
    emit(
        "search",
        p95_ms=round(percentile(search_ms, 95), 2),
        p50_ms=round(percentile(search_ms, 50), 2),
        baseline_p50_ms=round(percentile(baseline_ms, 50), 2),
        chunks=args.chunks,
        with_results=hits,
        questions=len(questions),
    )


if __name__ == "__main__":
    main()
