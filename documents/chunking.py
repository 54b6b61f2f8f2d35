"""Splitting extracted text into the chunks that are indexed and searched during calls.

A chunk should read as a whole: paragraphs are kept together when they fit, long ones are cut between sentences,
and each chunk repeats the last sentences of the one before, so an answer that straddles a boundary is still found
with its context.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
# Sentence-ending punctuation (with any closing quotes or brackets) before whitespace, or a line break.
_SENTENCE_END = re.compile(r"""[.!?\u2026]+["'\u201d\u2019\u00bb)\]]*(?=\s|$)|\n""")
_ABBREVIATIONS = frozenset(
    {"Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "St.", "Jr.", "Sr.", "No.", "Nr.", "Fig.", "Inc.", "Ltd.", "Co.", "vs."}
    | {"cf.", "al.", "approx.", "ca.", "Mt.", "Ave.", "Dept.", "Univ."}
)
_LONGEST_ABBREVIATION = 16
_INITIAL = re.compile(r"[A-Z]\.")  # "J. R. R. Tolkien"
_DOTTED = re.compile(r"(?:\w\.){2,}")  # "e.g.", "i.e.", "U.S.", "a.m."
_TOKEN_BEFORE = re.compile(r"\S+$")
_NEXT_CHAR = re.compile(r"\s*(\S)")
_WORD = re.compile(r"[^\W_]")
_WHITESPACE = re.compile(r"\s")


def chunk_text(text: str, *, size: int = 1000, overlap: int = 150) -> list[str]:
    """Paragraph- and sentence-aware chunks of about `size` characters, consecutive chunks sharing about `overlap`
    characters of context (whole sentences where possible, never cutting a word).

    No chunk is longer than `size`: a single word longer than that is the only thing ever cut. The overlap shrinks
    when the piece that starts a chunk leaves less room than `overlap`.
    """
    if not size > overlap >= 0:
        raise ValueError(f"size must be greater than overlap, and overlap at least 0 (got {size=}, {overlap=})")
    chunks: list[str] = []
    parts: list[str] = []
    length = 0
    for separator, piece in _pieces(text, size):
        if not parts:
            parts, length = [piece], len(piece)
        elif length + len(separator) + len(piece) <= size:
            parts += [separator, piece]
            length += len(separator) + len(piece)
        else:
            chunk = "".join(parts)
            chunks.append(chunk)
            # A piece with no separator continues a word cut hard: there is no whole sentence or word to repeat.
            budget = min(overlap, size - len(separator) - len(piece)) if separator else 0
            tail = _tail(chunk, budget)
            parts = [tail, separator, piece] if tail else [piece]
            length = sum(map(len, parts))
    if parts:
        chunks.append("".join(parts))
    return chunks


def word_count(text: str) -> int:
    """Whitespace-separated tokens with at least one letter or digit (a lone dash or bullet is not a word)."""
    return sum(1 for token in text.split() if _WORD.search(token))


def _pieces(text: str, size: int) -> Iterator[tuple[str, str]]:
    """(separator, piece) pairs, each piece at most `size` long: whole paragraphs when they fit, else their
    sentences, else a too-long sentence's words, else a too-long word's slices."""
    first = True
    for paragraph in _PARAGRAPH_BREAK.split(text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        separator = "" if first else "\n\n"
        first = False
        if len(paragraph) <= size:
            yield separator, paragraph
            continue
        previous_end = 0
        for index, (start, end) in enumerate(_sentence_spans(paragraph)):
            if index:
                separator = "\n" if "\n" in paragraph[previous_end:start] else " "
            previous_end = end
            sentence = paragraph[start:end]
            if len(sentence) <= size:
                yield separator, sentence
                continue
            for position, word in enumerate(sentence.split()):
                word_separator = separator if position == 0 else " "
                for cut in range(0, len(word), size):
                    yield (word_separator if cut == 0 else ""), word[cut : cut + size]


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, surrounding whitespace excluded."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group() != "\n" and not _ends_sentence(text, match):
            continue
        _add_span(spans, text, start, match.end())
        start = match.end()
    _add_span(spans, text, start, len(text))
    return spans


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    """Whether punctuation ends a sentence: not after an abbreviation or an initial, not before a lowercase word."""
    following = _NEXT_CHAR.match(text, match.end())
    if following and following.group(1).islower():
        return False
    if not match.group().startswith(".") or match.group().startswith(".."):
        return True
    # Abbreviations are short: looking a few characters back keeps this linear on a long paragraph.
    token_match = _TOKEN_BEFORE.search(text, max(0, match.start() - _LONGEST_ABBREVIATION), match.start() + 1)
    token = token_match.group().lstrip("([{\"'\u201c\u2018\u00ab") if token_match else ""
    return not (token in _ABBREVIATIONS or _INITIAL.fullmatch(token) or _DOTTED.fullmatch(token))


def _add_span(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def _tail(chunk: str, budget: int) -> str:
    """The end of `chunk` to repeat at the start of the next one: its last whole sentences that fit in `budget`
    characters, else its last whole words that do."""
    if budget <= 0:
        return ""
    start = None
    for sentence_start, _ in reversed(_sentence_spans(chunk)):
        if len(chunk) - sentence_start > budget:
            break
        start = sentence_start
    if start is not None:
        return chunk[start:]
    cut = len(chunk) - budget
    tail = chunk[cut:]
    if not chunk[cut - 1].isspace():  # the cut fell inside a word: drop that word's end
        space = _WHITESPACE.search(tail)
        tail = tail[space.end() :] if space else ""
    return tail.strip()
