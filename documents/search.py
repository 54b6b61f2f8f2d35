"""Search over a bot's chunks: ranked PostgreSQL full-text search, always scoped to one bot.

Every chunk's ``tsvector`` is built in the bot's language (stemming, stop words) and sits, with the bot's id, under
one GIN index. A caller's question becomes two queries over its words (the stop words drop out): first the chunks
that contain all of them (AND); only when those are fewer than asked for, the chunks that contain any (OR), ranked
below them. Ranking (cover density, ``ts_rank_cd``, normalised to 0..1 as rank / (rank + 1): VAPI's "similarity")
reads every candidate row, so each query ranks at most ``CANDIDATES`` of them: a question made of words that half
of a big knowledge base contains stays fast (bench/search.py: 200,000 chunks).

On SQLite (the quick start) there is no full-text search: chunks containing any of the words are scored by the
share of the words they contain.

With sentence vectors (issue 17, ``documents.vectors``), the answer fuses two rankings: every chunk's cosine
similarity to the question (exact, over all of the bot's chunks) and its full-text rank (all the words: the rank;
some: half of it). A chunk's score is its similarity plus ``FTS_BOOST`` times its full-text rank, over
1 + ``FTS_BOOST``; the candidates are the ``FUSION_CANDIDATES`` nearest chunks (ranked by their words in one query by
primary key) and full-text search's as many best chunks with every word (a product code, a name: what vectors can
miss). Chosen on a development set (bench/data/django_faq_dev.json, bench/retrieval.py --tune),
never on the set the targets are measured on: full-text search alone answered 69 % / 53 % of the written / spoken
questions in its first five (MRR 0.51 / 0.37), vectors alone 98 % / 89 % (0.87 / 0.74), this fusion 98 % / 89 %
with the right answer first more often (MRR 0.88 / 0.75). Reciprocal rank fusion (``FUSION = "rrf"``, kept for the
comparison) never beat vectors alone there: a rank-one vote for full-text search's best chunk outweighs a clear
difference in meaning. The margin is one question of 45 each way, at a boost of 0.2 (0.1 and 0.3 tie with vectors
alone): small, and measured again on any new development set. A bot without vectors (its language is not the
model's, the engine's weights are missing, its documents are still being embedded) gets full-text search alone, as
before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection, connections, router
from django.db.models import Q

from bots.models import Bot
from documents import vectors
from documents.models import DocumentChunk

# ISO 639-1 codes of a bot's language -> PostgreSQL's built-in text search configurations.
CONFIGS = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "nb": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
MAX_TERMS = 32
# The most rows one query ranks. Past it, the candidates are the first that the index gives (all of them match).
CANDIDATES = 1000
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def search_config(language: str | None) -> str:
    """The text search configuration for a language code (en, pt-BR, …); "simple" when PostgreSQL has none."""
    return CONFIGS.get((language or "").split("-")[0].lower(), "simple")


def query_terms(text: str) -> list[str]:
    """The words of a question, lower-cased, de-duplicated, in order; letters and digits only, so that nothing
    in a caller's words can be read as tsquery syntax."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if len(word) <= 64:
            seen.setdefault(word, None)
    return list(seen)[:MAX_TERMS]


# Fusion (see the module's docstring): chosen on the development set with bench/retrieval.py --tune.
# "linear-any": cosine + FTS_BOOST x full-text rank (all words, then any); "linear": the same with the all-words
# list only; "rrf": reciprocal rank fusion of the nearest chunks and the all-words list (RRF_K, FTS_WEIGHT).
FUSION = "linear-any"
RRF_K = 60
FTS_WEIGHT = 1.0
FTS_BOOST = 0.2
# Nearest chunks, and chunks with all the words, that take part in the fusion.
FUSION_CANDIDATES = 50


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    document_id: str
    document_name: str
    position: int
    content: str
    score: float
    fts_score: float | None = None  # full-text rank (0..1), None when the chunk is not in full-text's list
    vector_score: float | None = None  # cosine similarity to the question, None without vectors


def search_chunks(*, bot: Bot, query: str, limit: int = 5) -> list[Hit]:
    """The ``limit`` best chunks of ``bot``'s knowledge base for ``query``, best first."""
    terms = query_terms(query)
    if not terms or limit <= 0:
        return []
    try:
        nearest = vectors.nearest(bot=bot, query=query, limit=max(FUSION_CANDIDATES, limit))
    except vectors.VectorsUnavailable:
        nearest = None
    if nearest is not None:
        return _fused(bot, terms, nearest, limit)
    rows = _ranked(bot, terms, limit) if connection.vendor == "postgresql" else _substring(bot, terms, limit)
    return [_hit(row, score=float(row["score"]), fts_score=float(row["score"])) for row in rows]


def _hit(row: dict, *, score: float, fts_score: float | None = None, vector_score: float | None = None) -> Hit:
    return Hit(
        chunk_id=row["id"],
        document_id=row["document_id"],
        document_name=row["document__name"],
        position=row["position"],
        content=row["content"],
        score=score,
        fts_score=fts_score,
        vector_score=vector_score,
    )


def _all_words(bot: Bot, terms: list[str], limit: int) -> list[dict]:
    """Full-text search's list of chunks that contain every word, best first (SQLite: every word as a substring)."""
    if connection.vendor == "postgresql":
        any_term = " | ".join(terms)
        return _best(bot, search_config(bot.language), " & ".join(terms), any_term, limit)
    return [row for row in _substring(bot, terms, limit) if row["score"] == 1]


def _fused(bot: Bot, terms: list[str], nearest: vectors.Nearest, limit: int) -> list[Hit]:
    """The nearest chunks and full-text search's all-words list, fused (``FUSION``); the score is 0..1."""
    lexical = _all_words(bot, terms, FUSION_CANDIDATES)
    rows = {row["id"]: row for row in lexical}
    if FUSION == "linear-any" and connection.vendor == "postgresql":
        # The nearest chunks ranked by their words too (any of them at half score), in one query that reads them.
        rows.update(_words_of(bot, terms, [chunk_id for chunk_id, _ in nearest.top if chunk_id not in rows]))
    similarity = dict(nearest.top)
    for chunk_id in rows:
        if chunk_id not in similarity:
            similarity[chunk_id] = nearest.similarity(chunk_id)
    fused: dict[int, float] = {}
    if FUSION in ("linear", "linear-any"):
        for chunk_id, cosine in similarity.items():
            words = float(rows[chunk_id]["score"]) if chunk_id in rows else 0.0
            fused[chunk_id] = ((cosine or 0.0) + FTS_BOOST * words) / (1 + FTS_BOOST)
    else:
        for rank, (chunk_id, _) in enumerate(nearest.top, start=1):
            fused[chunk_id] = 1 / (RRF_K + rank)
        for rank, row in enumerate(lexical, start=1):
            fused[row["id"]] = fused.get(row["id"], 0.0) + FTS_WEIGHT / (RRF_K + rank)
        top = (1 + FTS_WEIGHT) / (RRF_K + 1)
        fused = {chunk_id: score / top for chunk_id, score in fused.items()}
    # A few more than asked for: a chunk deleted since the bot's vectors were cached is no longer there to read.
    best = sorted(fused, key=lambda chunk_id: (-fused[chunk_id], chunk_id))[: limit + 5]
    missing = [chunk_id for chunk_id in best if chunk_id not in rows]
    if missing:
        for row in DocumentChunk.objects.filter(bot=bot, id__in=missing).values(*_FIELDS):
            rows[row["id"]] = row
    return [
        _hit(
            rows[chunk_id],
            score=max(0.0, min(1.0, fused[chunk_id])),
            fts_score=float(rows[chunk_id]["score"]) if rows[chunk_id].get("score") else None,
            vector_score=similarity.get(chunk_id),
        )
        for chunk_id in best
        if chunk_id in rows
    ][:limit]


_FIELDS = ("id", "document_id", "document__name", "position", "content")

_WORDS_OF = """
    SELECT c.id, c."documentId", documents.name, c.position, c.content,
           ts_rank_cd(c."searchVector", to_tsquery(%(config)s::regconfig, %(any)s), 32)
           * CASE WHEN c."searchVector" @@ to_tsquery(%(config)s::regconfig, %(all)s) THEN 1.0 ELSE 0.5 END
    FROM document_chunks AS c JOIN documents ON documents.id = c."documentId"
    WHERE c."botId" = %(bot)s AND c.id = ANY(%(ids)s)
"""


def _words_of(bot: Bot, terms: list[str], ids: list[int]) -> dict[int, dict]:
    """The rows of chunks ``ids`` of ``bot`` with their full-text rank for the question: as ``_ranked`` ranks
    (every word: the rank; some: half of it; none: 0), for these chunks only (their primary keys: no search)."""
    if not ids:
        return {}
    params = {
        "config": search_config(bot.language),
        "any": " | ".join(terms),
        "all": " & ".join(terms),
        "bot": bot.pk,
        "ids": ids,
    }
    with connections[router.db_for_read(DocumentChunk)].cursor() as cursor:
        cursor.execute(_WORDS_OF, params)
        return {row[0]: dict(zip((*_FIELDS, "score"), row, strict=True)) for row in cursor.fetchall()}


def _ranked(bot: Bot, terms: list[str], limit: int) -> list[dict]:
    config = search_config(bot.language)
    any_term = " | ".join(terms)
    rows = _best(bot, config, " & ".join(terms), any_term, limit)
    if len(rows) < limit and len(terms) > 1:
        seen = {row["id"] for row in rows}
        for row in _best(bot, config, any_term, any_term, limit + len(rows)):
            if row["id"] not in seen and len(rows) < limit:
                row["score"] /= 2  # a partial match ranks below every chunk that has all the words
                rows.append(row)
    return rows


# The bot's chunks matching the question come from one GIN index over (botId, searchVector) (migration 0008), at
# most CANDIDATES of them; each is ranked as it is read (no second visit by primary key), and only the best few are
# joined to their documents' names. Normalisation 32: rank / (rank + 1). Raw SQL for the plan: the ORM puts the
# rank and the join around every matching row; bench/search.py holds the p95 over 200,000 chunks (target 30 ms).
_BEST = """
    SELECT best.id, best."documentId", documents.name, best.position, best.content, best.score
    FROM (
        SELECT id, "documentId", position, content,
               ts_rank_cd("searchVector", to_tsquery(%(config)s::regconfig, %(ranking)s), 32) AS score
        FROM (
            SELECT id, "documentId", position, content, "searchVector"
            FROM document_chunks
            WHERE "botId" = %(bot)s AND "searchVector" @@ to_tsquery(%(config)s::regconfig, %(matching)s)
            LIMIT %(candidates)s
        ) AS candidates
        ORDER BY score DESC, id
        LIMIT %(limit)s
    ) AS best
    JOIN documents ON documents.id = best."documentId"
    ORDER BY best.score DESC, best.id
"""


def _best(bot: Bot, config: str, matching: str, ranking: str, limit: int) -> list[dict]:
    """The ``limit`` best of (at most ``CANDIDATES``) chunks matching the tsquery ``matching``, ranked by
    ``ranking`` (both made of ``query_terms``' words: nothing else reaches the tsquery syntax)."""
    params = {
        "config": config,
        "ranking": ranking,
        "bot": bot.pk,
        "matching": matching,
        "candidates": CANDIDATES,
        "limit": limit,
    }
    # Where the ORM would read chunks (a read replica for the views that read from one).
    with connections[router.db_for_read(DocumentChunk)].cursor() as cursor:
        cursor.execute(_BEST, params)
        return [dict(zip((*_FIELDS, "score"), row, strict=True)) for row in cursor.fetchall()]


def _substring(bot: Bot, terms: list[str], limit: int, candidates: int = 500) -> list[dict]:
    longest = sorted(terms, key=len, reverse=True)[:8]
    matches = Q()
    for term in longest:
        matches |= Q(content__icontains=term)
    rows = list(DocumentChunk.objects.filter(bot=bot).filter(matches).values(*_FIELDS)[:candidates])
    for row in rows:
        text = row["content"].lower()
        row["score"] = sum(term in text for term in longest) / len(longest)
    rows.sort(key=lambda row: (-row["score"], row["id"]))
    return rows[:limit]
