"""Chunking of extracted text: sizes, overlap, and boundaries that keep paragraphs, sentences and words whole."""

from __future__ import annotations

import itertools
import random
import re
import time

import pytest

from documents import chunking
from documents.chunking import chunk_text, word_count

WORDS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "pi")


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(3, 15))]
    return " ".join(words).capitalize() + rng.choice(".!?")


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def document(seed: int = 7, paragraphs: int = 60) -> str:
    rng = random.Random(seed)
    return "\n\n".join(paragraph(rng, rng.randint(1, 25)) for _ in range(paragraphs))


def shared_context(previous: str, following: str) -> str:
    """The longest end of `previous` that `following` starts with."""
    for start in range(len(previous)):
        if following.startswith(previous[start:]):
            return previous[start:]
    return ""


def words_of(text: str) -> list[str]:
    return text.split()


def test_empty_text_has_no_chunks() -> None:
    assert chunk_text("") == []
    assert chunk_text(" \n\n \t\n") == []


def test_short_text_is_one_chunk() -> None:
    assert chunk_text("  One short paragraph.  \n\n  And another.  ") == ["One short paragraph.\n\nAnd another."]


@pytest.mark.parametrize(("size", "overlap"), [(1000, 150), (300, 60), (120, 0), (80, 40)])
def test_chunks_respect_the_size(size: int, overlap: int) -> None:
    chunks = chunk_text(document(), size=size, overlap=overlap)

    assert len(chunks) > 1
    assert all(0 < len(chunk) <= size for chunk in chunks)
    assert all(chunk == chunk.strip() for chunk in chunks)


@pytest.mark.parametrize(("size", "overlap"), [(1000, 150), (300, 60), (120, 30)])
def test_consecutive_chunks_share_context_of_whole_words(size: int, overlap: int) -> None:
    chunks = chunk_text(document(), size=size, overlap=overlap)

    pairs = list(itertools.pairwise(chunks))
    shared = [shared_context(previous, following) for previous, following in pairs]

    assert sum(1 for context in shared if context) >= len(pairs) * 0.6
    for (previous, following), context in zip(pairs, shared, strict=True):
        assert len(context) <= overlap
        if context:
            assert previous[-len(context) - 1].isspace()  # starts at a word
            assert following[len(context)].isspace()  # ends at one


def test_overlap_is_whole_sentences_when_they_fit() -> None:
    rng = random.Random(5)
    sentences = [" ".join(rng.choice(WORDS) for _ in range(4)).capitalize() + "." for _ in range(300)]
    text = " ".join(sentences)  # one long paragraph of ~30-character sentences

    chunks = chunk_text(text, size=1000, overlap=150)

    for previous, following in itertools.pairwise(chunks):
        context = shared_context(previous, following)
        assert 100 < len(context) <= 150
        assert context.startswith(tuple(sentences))
        assert context.endswith(tuple(sentences))


def test_overlap_falls_back_to_words_when_a_sentence_is_too_long() -> None:
    text = "\n".join(f"Line {n} is a rather long sentence of words without any final stop" for n in range(50))

    chunks = chunk_text(text, size=200, overlap=30)

    for previous, following in itertools.pairwise(chunks):
        context = shared_context(previous, following)
        assert 0 < len(context) <= 30
        assert previous.endswith(" " + context)
        assert following.startswith(context + "\n")


def test_no_overlap_when_asked_for_none() -> None:
    text = document()
    chunks = chunk_text(text, size=300, overlap=0)

    assert words_of(" ".join(chunks)) == words_of(text)


def test_nothing_is_lost_or_reordered() -> None:
    text = document()
    chunks = chunk_text(text, size=250, overlap=80)

    rebuilt = words_of(chunks[0])
    for previous, following in itertools.pairwise(chunks):
        rebuilt += words_of(following[len(shared_context(previous, following)) :])

    assert rebuilt == words_of(text)


def test_paragraphs_that_fit_are_not_split() -> None:
    rng = random.Random(3)
    paragraphs = [paragraph(rng, 3) for _ in range(30)]
    assert all(len(p) < 400 for p in paragraphs)

    chunks = chunk_text("\n\n".join(paragraphs), size=400, overlap=0)

    assert [p for chunk in chunks for p in chunk.split("\n\n")] == paragraphs


def test_paragraphs_are_packed_together() -> None:
    chunks = chunk_text("First.\n\nSecond.\n\nThird one is longer.", size=25, overlap=0)

    assert chunks == ["First.\n\nSecond.", "Third one is longer."]


def test_long_paragraphs_are_split_between_sentences() -> None:
    rng = random.Random(11)
    sentences = [sentence(rng) for _ in range(40)]
    text = " ".join(sentences)

    chunks = chunk_text(text, size=300, overlap=0)

    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.startswith(tuple(sentences))
        assert chunk.endswith(tuple(sentences))


def test_abbreviations_do_not_end_sentences() -> None:
    text = (
        "Dr. Smith met Mr. Jones, e.g. at the U.S. office on Main St. downtown. "
        "They talked about J. R. R. Tolkien. Then they left!"
    )

    chunks = chunk_text(text, size=80, overlap=0)

    assert chunks == [
        "Dr. Smith met Mr. Jones, e.g. at the U.S. office on Main St. downtown.",
        "They talked about J. R. R. Tolkien. Then they left!",
    ]


def test_a_line_break_ends_a_sentence() -> None:
    text = "Monday 9-17\nTuesday 9-17\nWednesday closed\nThursday 9-17"

    assert chunk_text(text, size=30, overlap=0) == ["Monday 9-17\nTuesday 9-17", "Wednesday closed\nThursday 9-17"]


def test_a_sentence_longer_than_the_size_is_split_between_words() -> None:
    text = " ".join(f"word{n}" for n in range(200))

    chunks = chunk_text(text, size=100, overlap=20)

    assert all(len(chunk) <= 100 for chunk in chunks)
    assert all(re.fullmatch(r"word\d+( word\d+)*", chunk) for chunk in chunks)  # no word cut
    assert all(shared_context(a, b) for a, b in itertools.pairwise(chunks))


def test_only_a_word_longer_than_the_size_is_cut() -> None:
    text = "short words " + "x" * 250 + " more words"

    chunks = chunk_text(text, size=100, overlap=20)

    assert chunks == ["short words", "x" * 100, "x" * 100, "x" * 50 + " more words"]


def test_chunking_is_deterministic() -> None:
    text = document(seed=99)

    assert chunk_text(text, size=500, overlap=100) == chunk_text(text, size=500, overlap=100)


def test_a_hundred_kilobytes_are_chunked_fast() -> None:
    text = document(seed=5, paragraphs=2000)[:100_000]
    one_paragraph = text.replace("\n\n", " ")

    started = time.perf_counter()
    chunks = chunk_text(text)
    more_chunks = chunk_text(one_paragraph)
    elapsed = time.perf_counter() - started

    assert len(text) == 100_000
    assert elapsed < 1
    assert 100 < len(chunks) < 150
    assert 100 < len(more_chunks) < 150


@pytest.mark.parametrize(("size", "overlap"), [(100, 100), (100, 150), (0, 0), (100, -1), (-5, -10)])
def test_size_must_exceed_overlap(size: int, overlap: int) -> None:
    with pytest.raises(ValueError, match="overlap"):
        chunk_text("Some text.", size=size, overlap=overlap)


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("one", 1),
        ("  Hello,   world!\n\nSecond\tline. ", 4),
        ("- item — 42 % & x", 3),
        ("e-mail: ada@example.com", 2),
        ("Grüße aus Köln", 3),
        ("价格 100", 2),
        ("__ _ a_b -_-", 1),
    ],
)
def test_word_count(text: str, count: int) -> None:
    assert word_count(text) == count


def test_word_count_of_ascii_text_is_the_regular_expression_definition() -> None:
    """The ASCII fast form (punctuation deleted, then split) against the definition, controls included."""
    definition = re.compile(r"[^\W_]\S*")
    rng = random.Random(11)
    alphabet = ("a", "Z", "9", "_", "-", ".", ",", "'", " ", "  ", "\n", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x00")
    alphabet += ("\x7f", "x_y", "__", "a-", "-a", "@", "~")
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        assert word_count(text) == len(definition.findall(text)), repr(text)


# Pieces of text where the rules of sentence ends meet: abbreviations, initials, dotted words, quotes, brackets,
# runs of punctuation, line breaks, lowercase and non-ASCII letters, digits.
EDGES = (
    *("Mr.", "Mrs.", "Dr.", "approx.", "al.", "vs.", "No.", "no.", "St.", "Univ.", "(Dr.", "x-Dr.", "xMr.", "Mr"),
    *("e.g.", "i.e.", "U.S.", "J.", "(J.", "A.", "a.", "é.", "x.", "3.", "3.14", "42", "a_b.", "__.", "ABC."),
    *("final.", "total.", "piano.", "hello", "World", "über", "Élan", "ÄBC", "ß", "İ", "word", "Word", "—", "-"),
    *(".", "..", "...", "!", "?", "?!", "!!", "\u2026", "\u201d", '"', "'", ")", "(", "[", "\u00ab", "\u00bb"),
    *("\n", "\n\n", " ", "  ", "\t", "\r\n", ".\n", "!\n", "\u2028"),
)


def test_the_shortcut_for_plain_sentence_ends_decides_as_the_full_rules(monkeypatch) -> None:
    """``_PLAIN_END`` recognises most sentence ends without ``_ends_sentence``; it must never decide otherwise."""
    rng = random.Random(11)
    texts = [
        "".join(rng.choice(EDGES) + rng.choice(("", " ", " ")) for _ in range(rng.randint(1, 40))) for _ in range(3000)
    ]
    texts += [document(seed=3, paragraphs=20)]
    fast = [chunking._sentence_spans(text) for text in texts]
    fast_chunks = [chunk_text(text, size=60, overlap=25) for text in texts[::10]]

    monkeypatch.setattr(chunking, "_PLAIN_END", re.compile(r"(?!)"))  # every candidate to the full rules

    assert [chunking._sentence_spans(text) for text in texts] == fast
    assert [chunk_text(text, size=60, overlap=25) for text in texts[::10]] == fast_chunks
