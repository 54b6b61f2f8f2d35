"""Splitting extracted text into the chunks that are indexed and searched during calls.

A chunk should read as a whole: paragraphs are kept together when they fit, long ones are cut between sentences,
and each chunk repeats the last sentences of the one before, so an answer that straddles a boundary is still found
with its context.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_ABBREVIATIONS = frozenset(
    {"Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "St.", "Jr.", "Sr.", "No.", "Nr.", "Fig.", "Inc.", "Ltd.", "Co.", "vs."}
    | {"cf.", "al.", "approx.", "ca.", "Mt.", "Ave.", "Dept.", "Univ."}
)
_PUNCTUATION = "[.!?\u2026]"
_CLOSERS = """["'\u201d\u2019\u00bb)\\]]*"""
# Sentence-ending punctuation (with any closing quotes or brackets) before whitespace, or a line break: a candidate
# end, for ``_ends_sentence`` to decide. (Written to start with one character class, which the engine scans for
# quickly: "[.!?…]+closers(?=\s|$)|\n" matches the same, three times slower.)
# A candidate followed by a lowercase ASCII letter is left out at once (``_ends_sentence`` would say no): the line
# breaks that PDFs put inside sentences are half of all candidates.
_SENTENCE_END = re.compile(rf"[.!?\u2026\n](?:(?<=\n)|{_PUNCTUATION}*{_CLOSERS}(?=\s|$))(?!\s*[a-z])")
# Most candidates plainly end their sentence, and this recognises them in one call, a few times faster than
# ``_ends_sentence``: "!", "?", "…" or "..", or one "." after two word characters that do not end an abbreviation
# (looked behind once the "." is matched, so only at full stops), then an ASCII capital or a digit starts the next
# sentence (or the text ends); or a line break before one. Matched at a candidate's start, it spans the same
# characters as the candidate. Whatever it does not recognise goes to ``_ends_sentence``.
_NOT_AFTER_ABBREVIATION = "".join(rf"(?<!\b{re.escape(abbreviation)})" for abbreviation in sorted(_ABBREVIATIONS))
_PLAIN_END = re.compile(
    rf"(?:(?:[!?\u2026]{_PUNCTUATION}*|\.\.{_PUNCTUATION}*|\.(?<=\w\w\.){_NOT_AFTER_ABBREVIATION}(?!{_PUNCTUATION}))"
    rf"{_CLOSERS}(?=\s|$)|\n)(?=\s*(?:[A-Z0-9]|$))"
)
_LONGEST_ABBREVIATION = 16
_INITIAL = re.compile(r"[A-Z]\.")  # "J. R. R. Tolkien"
_DOTTED = re.compile(r"(?:\w\.){2,}")  # "e.g.", "i.e.", "U.S.", "a.m."
_TOKEN_BEFORE = re.compile(r"\S+$")
_NEXT_CHAR = re.compile(r"\s*(\S)")
# A word: from its first letter or digit to the end of its whitespace-separated token (one match per word).
_WORD = re.compile(r"[^\W_]\S*")
_WHITESPACE = re.compile(r"\s")
_ASCII_PUNCTUATION = string.punctuation.encode("ascii")
# Neither letters, digits, punctuation nor whitespace to both str and bytes (which differ on \x1c-\x1f).
_ASCII_CONTROLS = tuple(chr(code) for code in (*range(0, 9), *range(14, 32), 127))


def chunk_text(text: str, *, size: int = 1000, overlap: int = 150) -> list[str]:
    """Paragraph- and sentence-aware chunks of about `size` characters, consecutive chunks sharing about `overlap`
    characters of context (whole sentences where possible, never cutting a word).

    No chunk is longer than `size`: a single word longer than that is the only thing ever cut. The overlap shrinks
    when the piece that starts a chunk leaves less room than `overlap`.
    """
    chunker = Chunker(size=size, overlap=overlap)
    return chunker.feed(text) + chunker.finish()


# What a chunk is built of: separators, runs of whole sentences (a paragraph, a sentence), and words (or slices of
# a word) of a sentence too long for a chunk. Knowing which is which lets the overlap be found without scanning
# the chunk for sentences again.
_SEPARATOR, _SENTENCES, _WORD_PIECE = 0, 1, 2


class Chunker:
    """``chunk_text`` fed piece by piece: ``feed`` takes the next part of a text (a PDF page, say; each part starts
    a new paragraph) and returns the chunks it completed, ``finish`` the last one. Feeding a text in parts gives the
    chunks that ``chunk_text`` gives for the parts joined by blank lines."""

    def __init__(self, *, size: int = 1000, overlap: int = 150) -> None:
        if not size > overlap >= 0:
            raise ValueError(f"size must be greater than overlap, and overlap at least 0 (got {size=}, {overlap=})")
        self.size = size
        self.overlap = overlap
        self._parts: list[tuple[int, str]] = []
        self._length = 0
        self._started = False
        self._resuming = False

    def feed(self, text: str, *, paragraph_continues: bool = False) -> list[str]:
        """``paragraph_continues``: the text's last paragraph goes on in the next part, after a line break that ends
        a sentence (a very long paragraph fed in parts: extract.UnfinishedPart); the parts then give the chunks of
        the whole paragraph."""
        done: list[str] = []
        pieces = _pieces(
            text, self.size, continuing=self._started, resuming=self._resuming, unfinished=paragraph_continues
        )
        for separator, piece, kind in pieces:
            self._started = True
            self._add(separator, piece, kind, done)
        self._resuming = paragraph_continues
        return done

    def finish(self) -> list[str]:
        if not self._parts:
            return []
        chunk = "".join(text for _, text in self._parts)
        self._parts, self._length = [], 0
        return [chunk]

    def _add(self, separator: str, piece: str, kind: int, done: list[str]) -> None:
        if not self._parts:
            self._parts, self._length = [(kind, piece)], len(piece)
            return
        if self._length + len(separator) + len(piece) <= self.size:
            self._parts += [(_SEPARATOR, separator), (kind, piece)]
            self._length += len(separator) + len(piece)
            return
        chunk = "".join(text for _, text in self._parts)
        done.append(chunk)
        # A piece with no separator continues a word cut hard: there is no whole sentence or word to repeat.
        budget = min(self.overlap, self.size - len(separator) - len(piece)) if separator else 0
        tail, tail_kind = self._tail(chunk, budget)
        if tail:
            self._parts = [(tail_kind, tail), (_SEPARATOR, separator), (kind, piece)]
        else:
            self._parts = [(kind, piece)]
        self._length = sum(len(text) for _, text in self._parts)

    def _tail(self, chunk: str, budget: int) -> tuple[str, int]:
        """The end of `chunk` to repeat at the start of the next one: its last whole sentences that fit in `budget`
        characters, else its last whole words that do."""
        if budget <= 0:
            return "", _WORD_PIECE
        taken = 0  # length of the suffix of `chunk` made of the parts walked so far
        best = None  # the longest suffix that starts a sentence and fits
        for kind, text in reversed(self._parts):
            if kind == _SEPARATOR:
                taken += len(text)
                continue
            if kind == _WORD_PIECE:
                break
            if taken + len(text) <= budget:
                taken += len(text)
                best = taken
                continue
            for start, _ in reversed(_sentence_spans(text)):
                if taken + len(text) - start > budget:
                    break
                best = taken + len(text) - start
            break
        if best:
            return chunk[len(chunk) - best :], _SENTENCES
        return _word_tail(chunk, budget), _WORD_PIECE


def word_count(text: str) -> int:
    """Whitespace-separated tokens with at least one letter or digit (a lone dash or bullet is not a word)."""
    if text.isascii() and not any(char in text for char in _ASCII_CONTROLS):
        # ASCII: without its punctuation, a token with no letter or digit is empty, and split() drops it. Three
        # times faster than the regular expression, in C from end to end.
        return len(text.encode("ascii").translate(None, _ASCII_PUNCTUATION).split())
    # subn counts the matches in C, without making a string of each (twice as fast as a loop over the tokens).
    return _WORD.subn("", text)[1]


def _pieces(
    text: str, size: int, *, continuing: bool = False, resuming: bool = False, unfinished: bool = False
) -> Iterator[tuple[str, str, int]]:
    """(separator, piece, kind) triples, each piece at most `size` long: whole paragraphs when they fit, else their
    sentences, else a too-long sentence's words, else a too-long word's slices. ``continuing``: the text follows
    earlier ones, so its first paragraph is separated from them by a blank line; ``resuming``: its first paragraph
    goes on with the last one of the earlier text, after a line break; ``unfinished``: its last paragraph goes on
    in the next text. The paragraph cut so was longer than `size`: its parts are cut into sentences, as it was."""
    first = not continuing
    paragraphs = [paragraph for paragraph in (p.strip() for p in _PARAGRAPH_BREAK.split(text)) if paragraph]
    for number, paragraph in enumerate(paragraphs):
        resumed = resuming and number == 0
        separator = "\n" if resumed else "" if first else "\n\n"
        first = False
        if len(paragraph) <= size and not resumed and not (unfinished and number == len(paragraphs) - 1):
            yield separator, paragraph, _SENTENCES
            continue
        previous_end = 0
        for index, (start, end) in enumerate(_sentence_spans(paragraph)):
            if index:
                separator = "\n" if "\n" in paragraph[previous_end:start] else " "
            previous_end = end
            sentence = paragraph[start:end]
            if len(sentence) <= size:
                yield separator, sentence, _SENTENCES
                continue
            for position, word in enumerate(sentence.split()):
                word_separator = separator if position == 0 else " "
                for cut in range(0, len(word), size):
                    yield (word_separator if cut == 0 else ""), word[cut : cut + size], _WORD_PIECE


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, surrounding whitespace excluded."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if not (_PLAIN_END.match(text, match.start()) or _ends_sentence(text, match)):
            continue
        _add_span(spans, text, start, match.end())
        start = match.end()
    _add_span(spans, text, start, len(text))
    return spans


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    """Whether punctuation or a line break ends a sentence: not after an abbreviation or an initial, not before a
    lowercase word (a line break before one is where a PDF or an e-mail wrapped a sentence, not where it ended)."""
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


def _word_tail(chunk: str, budget: int) -> str:
    """The last whole words of `chunk` that fit in `budget` characters."""
    cut = len(chunk) - budget
    tail = chunk[cut:]
    if cut > 0 and not chunk[cut - 1].isspace():  # the cut fell inside a word: drop that word's end
        space = _WHITESPACE.search(tail)
        tail = tail[space.end() :] if space else ""
    return tail.strip()
