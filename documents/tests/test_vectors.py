"""Sentence vectors of the chunks and hybrid search (issue 17), with a small deterministic engine in place of the
model: its vectors know a few synonyms, so that a question in other words than the document's is near it, as with
the real model (whose own tests are test_embeddings.py)."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from bots.tests.factories import BotFactory
from documents import search, vectors
from documents.models import Document, DocumentChunk, DocumentStatus
from documents.search import search_chunks
from documents.services import document_delete, document_index_text
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

CONCEPTS = {
    "price": "cost",
    "prices": "cost",
    "cost": "cost",
    "costs": "cost",
    "fee": "cost",
    "much": "cost",
    "pay": "cost",
    "parking": "car",
    "garage": "car",
    "car": "car",
    "park": "car",
    "dog": "pet",
    "dogs": "pet",
    "cats": "pet",
    "puppy": "pet",
    "open": "hours",
    "opens": "hours",
    "reception": "hours",
    "when": "hours",
}


class FakeEngine:
    """The engine's interface (documents.embeddings), with bag-of-concepts vectors in 32 dimensions."""

    class EmbeddingsUnavailable(Exception):
        pass

    def __init__(self, model: str = "fake-minilm@1", available: bool = True) -> None:
        self.model = model
        self.available = available
        self.passages = 0
        self.languages: set[str] | None = {"en"}  # None: every language (a multilingual model)

    def supports_language(self, language: str | None) -> bool:
        return self.languages is None or (language or "").split("-")[0].lower() in self.languages

    def model_id(self) -> str:
        if not self.available:
            raise self.EmbeddingsUnavailable("weights missing")
        return self.model

    def dimensions(self) -> int:
        return 32

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(32, dtype=np.float32)
        for word in re.findall(r"[a-z]+", text.lower()):
            concept = CONCEPTS.get(word)
            if concept:
                vector[int(hashlib.sha256(concept.encode()).hexdigest(), 16) % 32] += 3
            elif len(word) > 3:
                vector[int(hashlib.sha256(word.encode()).hexdigest(), 16) % 32] += 0.2
        vector[0] += 0.01  # never the zero vector
        return vector / np.linalg.norm(vector)

    def embed_passages(self, texts, *, batch_size=None) -> np.ndarray:
        if not self.available:
            raise self.EmbeddingsUnavailable("weights missing")
        self.passages += len(texts)
        return np.stack([self._vector(text) for text in texts])

    def embed_query(self, text: str) -> np.ndarray:
        if not self.available:
            raise self.EmbeddingsUnavailable("weights missing")
        return self._vector(text)


@pytest.fixture
def engine(monkeypatch, settings):
    settings.EMBEDDINGS_ENABLED = True
    fake = FakeEngine()
    monkeypatch.setattr(vectors, "engine", lambda: fake)
    monkeypatch.setattr(vectors, "KNOWLEDGE_CHECK_SECONDS", 0.0)  # every search checks (one test measures the wait)
    vectors.cache_clear()
    yield fake
    vectors.cache_clear()


def indexed(bot, name: str, text: str) -> Document:
    document = DocumentFactory(bot=bot, name=name, content=None, chunks=[])
    with TestCase.captureOnCommitCallbacks(execute=True):  # READY, then (tasks run eagerly) its vectors
        document_index_text(document=document, text=text)
    return Document.objects.get(pk=document.pk)


@pytest.fixture
def hotel(user, engine):
    bot = BotFactory(user=user, active=True, rag_enabled=True, language="en")
    indexed(bot, "hours.txt", "Reception is open every day from 7 am to 11 pm.")
    indexed(bot, "pets.txt", "Dogs are welcome in all rooms for 15 euros per night. Cats stay at home.")
    indexed(bot, "parking.txt", "The garage has 40 spaces; it costs 20 euros per day.")
    return bot


def test_a_ready_document_gets_a_vector_per_chunk(hotel, engine):
    document = Document.objects.get(bot=hotel, name="parking.txt")

    assert document.embedding_model == "fake-minilm@1"
    assert document.embedded_at is not None
    stored = DocumentChunk.objects.filter(document=document).values_list("embedding", flat=True)
    assert stored
    assert all(len(bytes(vector)) == 32 * 4 for vector in stored)
    assert np.allclose(np.frombuffer(bytes(stored[0]), dtype="<f4"), engine._vector(document.content), atol=1e-6)


def test_a_question_in_other_words_is_found_by_meaning(hotel):
    """No chunk has all of "how much do I pay to leave my car": full-text search alone ranks by shared words."""
    hits = search_chunks(bot=hotel, query="how much do I pay to leave my car", limit=3)

    assert hits[0].document_name == "parking.txt"
    assert hits[0].vector_score is not None
    assert hits[0].vector_score > 0.5
    assert hits[0].fts_score is None  # not in full-text search's all-words list
    assert 0 < hits[0].score <= 1
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_a_chunk_in_both_lists_ranks_first(hotel):
    hits = search_chunks(bot=hotel, query="garage", limit=3)

    assert hits[0].document_name == "parking.txt"
    assert hits[0].fts_score is not None
    assert hits[0].vector_score is not None


def test_without_the_models_weights_full_text_search_answers(hotel, engine):
    fts = search_chunks(bot=hotel, query="parking euros per day", limit=3)
    engine.available = False
    vectors.cache_clear()

    hits = search_chunks(bot=hotel, query="parking euros per day", limit=3)

    assert [hit.chunk_id for hit in hits] == [hit.chunk_id for hit in fts] or hits[0].document_name == "parking.txt"
    assert all(hit.vector_score is None for hit in hits)


def test_a_document_processed_without_weights_is_embedded_later_by_the_command(user, engine):
    bot = BotFactory(user=user, language="en")
    engine.available = False
    document = indexed(bot, "parking.txt", "The garage costs 20 euros per day.")
    assert document.embedding_model is None
    assert not DocumentChunk.objects.filter(document=document, embedding__isnull=False).exists()

    engine.available = True
    call_command("embeddings_rebuild", stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))  # noqa: SIM115

    document.refresh_from_db()
    assert document.embedding_model == "fake-minilm@1"
    assert search_chunks(bot=bot, query="what does it cost to park", limit=1)[0].vector_score is not None


def test_a_new_model_is_not_searched_until_the_rebuild(hotel, engine):
    engine.model = "fake-minilm@2"  # deployed with other weights

    hits = search_chunks(bot=hotel, query="how much do I pay to leave my car", limit=3)
    assert all(hit.vector_score is None for hit in hits)  # full-text search, not the old model's vectors

    call_command("embeddings_rebuild", stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))  # noqa: SIM115

    assert set(Document.objects.filter(bot=hotel).values_list("embedding_model", flat=True)) == {"fake-minilm@2"}
    assert search_chunks(bot=hotel, query="how much do I pay to leave my car", limit=1)[0].vector_score is not None


def test_a_bot_in_another_language_keeps_full_text_search(user, engine):
    bot = BotFactory(user=user, language="es")
    document = indexed(bot, "aparcamiento.txt", "El garaje cuesta 20 euros al día.")

    assert document.embedding_model is None
    assert engine.passages == 0
    assert search_chunks(bot=bot, query="garaje", limit=1)[0].vector_score is None


def test_a_multilingual_model_reads_every_language(user, engine):
    engine.languages = None
    bot = BotFactory(user=user, language="es")

    assert indexed(bot, "aparcamiento.txt", "El garaje cuesta 20 euros al día.").embedding_model == "fake-minilm@1"


def test_deleted_and_added_documents_are_seen_by_the_next_search(hotel, engine):
    assert search_chunks(bot=hotel, query="can I bring my puppy", limit=1)[0].document_name == "pets.txt"

    with TestCase.captureOnCommitCallbacks(execute=True):
        document_delete(document=Document.objects.get(bot=hotel, name="pets.txt"))
    assert all(hit.document_name != "pets.txt" for hit in search_chunks(bot=hotel, query="my puppy", limit=5))

    indexed(hotel, "animals.txt", "Dogs stay free of charge.")
    assert search_chunks(bot=hotel, query="can I bring my puppy", limit=1)[0].document_name == "animals.txt"


def test_reprocessing_replaces_the_vectors(hotel, engine):
    document = Document.objects.get(bot=hotel, name="hours.txt")
    first = document.embedded_at

    with TestCase.captureOnCommitCallbacks(execute=True):
        document_index_text(document=document, text="Reception opens at 6 am.")

    document.refresh_from_db()
    assert document.embedding_model == "fake-minilm@1"
    assert document.embedded_at > first
    assert not DocumentChunk.objects.filter(document=document, embedding__isnull=True).exists()


def test_chunks_replaced_while_embedding_leave_the_document_unmarked(hotel, engine, monkeypatch):
    document = Document.objects.get(bot=hotel, name="hours.txt")
    Document.objects.filter(pk=document.pk).update(embedding_model=None, embedded_at=None)
    DocumentChunk.objects.filter(document=document).update(embedding=None)  # as just processed
    store = vectors._store

    def replaced_meanwhile(ids, stored):
        store(ids, stored)
        DocumentChunk.objects.filter(document=document).update(embedding=None)  # new chunks, as a reprocess makes

    monkeypatch.setattr(vectors, "_store", replaced_meanwhile)
    assert vectors.document_embed(document_id=document.pk) == "1 chunks, chunks replaced meanwhile"
    document.refresh_from_db()
    assert document.embedding_model is None  # searched by full-text until its own task gives them vectors


def test_vector_search_never_leaves_the_bot(hotel, engine, other_user):
    other = BotFactory(user=other_user, language="en")
    indexed(other, "secret.txt", "The garage of the other hotel costs 5 euros.")

    for bot in (hotel, other):
        hits = search_chunks(bot=bot, query="how much to park my car", limit=10)
        assert {hit.document_id for hit in hits} <= set(Document.objects.filter(bot=bot).values_list("id", flat=True))


def test_a_warm_search_reads_a_few_small_queries(hotel, engine):
    search_chunks(bot=hotel, query="how much to park my car", limit=3)  # loads the bot's matrix

    with CaptureQueriesContext(connection) as queries:
        hits = search_chunks(bot=hotel, query="how much to park my car", limit=3)

    assert hits
    # The bot's knowledge key (documents), full-text search (all words, then any), the chunks found by vectors alone.
    assert len(queries) <= 4
    assert not any('"document_chunks"."embedding"' in query["sql"] for query in queries)  # no vector read again


def test_the_cache_stays_within_its_budget(user, engine, settings):
    settings.VECTOR_CACHE_MB = 0  # one matrix at most
    bots = [BotFactory(user=user, language="en") for _ in range(3)]
    for bot in bots:
        indexed(bot, "parking.txt", "The garage costs 20 euros per day.")
        search_chunks(bot=bot, query="what does parking cost", limit=1)

    assert len(vectors._cache) == 1


def test_the_retrieval_tester_shows_both_scores(client_for, user, hotel):
    response = client_for(user).get(f"/api/bots/{hotel.uuid}/search", {"q": "how much to park my car", "k": 2})

    assert response.status_code == 200
    first = response.json()["results"][0]
    assert first["documentName"] == "parking.txt"
    assert first["vectorScore"] > 0.5
    assert first["ftsScore"] is None
    assert set(first) == {"content", "score", "ftsScore", "vectorScore", "documentId", "documentName", "position"}


def test_the_document_says_whether_its_vectors_are_there(client_for, user, hotel):
    response = client_for(user).get(f"/api/bots/{hotel.uuid}/documents")

    assert response.status_code == 200
    assert all(document["embeddedAt"] for document in response.json()["documents"])


def test_a_failed_document_is_not_embedded(user, engine):
    bot = BotFactory(user=user, language="en")
    document = DocumentFactory(bot=bot, status=DocumentStatus.FAILED)

    assert vectors.document_embed(document_id=document.pk) == "not ready"


@pytest.mark.parametrize("fusion", ["linear-any", "linear", "rrf"])
def test_every_fusion_ranks_the_chunk_that_is_best_both_ways_first(hotel, monkeypatch, fusion):
    monkeypatch.setattr(search, "FUSION", fusion)
    hits = search_chunks(bot=hotel, query="garage", limit=3)

    assert hits[0].document_name == "parking.txt"
    assert all(0 <= hit.score <= 1 for hit in hits)


def test_the_fused_score_is_similarity_plus_a_share_of_the_full_text_rank(hotel, monkeypatch):
    monkeypatch.setattr(search, "FTS_BOOST", 0.2)
    hits = search_chunks(bot=hotel, query="garage costs", limit=3)

    for hit in hits:
        expected = (hit.vector_score + 0.2 * (hit.fts_score or 0.0)) / 1.2
        assert hit.score == pytest.approx(max(0.0, expected), abs=1e-6)
    assert hits[0].document_name == "parking.txt"
    assert hits[0].fts_score is not None


def test_without_the_engine_installed_search_answers_by_full_text(user, settings):
    """documents.embeddings (or ONNX Runtime) missing: full-text search, never a 500."""
    import sys

    settings.EMBEDDINGS_ENABLED = True
    vectors.cache_clear()
    bot = BotFactory(user=user, language="en")
    document = DocumentFactory(bot=bot, name="parking.txt", content=None, chunks=[])
    saved = sys.modules.get("documents.embeddings")
    sys.modules["documents.embeddings"] = None  # import fails
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            document_index_text(document=document, text="The garage costs 20 euros per day.")
        hits = search_chunks(bot=bot, query="garage", limit=1)
    finally:
        if saved is None:
            sys.modules.pop("documents.embeddings", None)
        else:
            sys.modules["documents.embeddings"] = saved
    assert hits[0].document_name == "parking.txt"
    assert hits[0].vector_score is None
    document.refresh_from_db()
    assert document.embedding_model is None


def test_the_dashboard_shows_both_scores_and_which_documents_have_vectors(client, user, hotel):
    client.force_login(user)

    tester = client.get(f"/dashboard/bots/{hotel.uuid}/search", {"q": "how much to park my car"})
    table = client.get(f"/dashboard/bots/{hotel.uuid}/documents")

    assert tester.status_code == 200
    assert "meaning 0." in tester.content.decode()
    assert table.content.decode().count("Found by meaning and words") == 3


def test_the_dashboard_says_when_vectors_are_pending(client, user, engine):
    bot = BotFactory(user=user, language="en")
    engine.available = False
    indexed(bot, "parking.txt", "The garage costs 20 euros per day.")
    client.force_login(user)

    assert "meaning being indexed" in client.get(f"/dashboard/bots/{bot.uuid}/documents").content.decode()


def test_a_busy_bot_checks_its_knowledge_once_a_second(hotel, monkeypatch):
    monkeypatch.setattr(vectors, "KNOWLEDGE_CHECK_SECONDS", 60.0)
    search_chunks(bot=hotel, query="how much to park my car", limit=3)
    with CaptureQueriesContext(connection) as queries:
        search_chunks(bot=hotel, query="how much to park my car", limit=3)
    assert not any('"documents"."embeddingModel"' in query["sql"] for query in queries)  # no knowledge check

    monkeypatch.setattr(vectors, "KNOWLEDGE_CHECK_SECONDS", 0.0)
    with CaptureQueriesContext(connection) as queries:
        search_chunks(bot=hotel, query="how much to park my car", limit=3)
    assert any('"documents"."embeddingModel"' in query["sql"] for query in queries)
