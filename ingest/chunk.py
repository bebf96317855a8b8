"""Sentence-aware chunking: passages of a few sentences, sized in the model's word pieces."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

TokenCounter = Callable[[str], int]

# Abbreviations whose trailing period does not end a sentence in news copy.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sen rep gov gen col lt sgt capt st jr sr inc corp co ltd no vs etc "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m".split()
)
# A sentence ends at . ! ? … or the Arabic question mark / full stop, optionally followed by
# closing quotes or brackets, then whitespace.
# Sentence ends, Arabic ones (؟ question mark, ؛ semicolon, ۔ full stop) included.
_BOUNDARY = re.compile(r"[.!?…؟؛۔]+[\"'”’»)\]]*(?=\s)")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Chunk:
    """A passage of an article, with its character offsets in the article text."""

    seq: int
    start: int
    end: int
    text: str


def approx_tokens(text: str) -> int:
    """A tokenizer-free estimate of word pieces (about 1.3 per English word)."""
    return int(len(_WORD.findall(text)) * 1.3) + 1


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences in `text`; paragraph breaks always end one."""
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", text):
        start = para.start()
        for m in _BOUNDARY.finditer(para.group()):
            end = para.start() + m.end()
            if _is_abbreviation(text, start, end) or not _next_starts_sentence(text, end):
                continue
            spans.append(_strip_span(text, start, end))
            start = end
        if text[start : para.end()].strip():
            spans.append(_strip_span(text, start, para.end()))
    return [s for s in spans if s[1] > s[0]]


def _is_abbreviation(text: str, start: int, end: int) -> bool:
    if text[end - 1] != ".":
        return False
    words = text[start:end].split()
    last = words[-1].rstrip(".").lower() if words else ""
    # Single capitals are initials ("John F. Kennedy"); known abbreviations don't end sentences.
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def _next_starts_sentence(text: str, end: int) -> bool:
    rest = text[end : end + 3].lstrip()
    # A lower-case continuation ("3 p.m. on Monday") means the period did not end the sentence.
    return not rest or not rest[0].islower()


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _split_long(
    text: str, start: int, end: int, max_tokens: int, count: TokenCounter
) -> Iterator[tuple[int, int]]:
    """Cut a sentence longer than the model's window at word boundaries."""
    words = [(m.start() + start, m.end() + start) for m in _WORD.finditer(text[start:end])]
    piece_start = 0
    for i in range(1, len(words) + 1):
        if i == len(words) or count(text[words[piece_start][0] : words[i][1]]) > max_tokens:
            yield words[piece_start][0], words[i - 1][1]
            piece_start = i


def chunk_text(
    text: str,
    *,
    sentences: int = 3,
    max_tokens: int = 200,
    overlap: int = 1,
    min_words: int = 12,
    count_tokens: TokenCounter = approx_tokens,
) -> list[Chunk]:
    """Windows of up to `sentences` sentences and `max_tokens` pieces, overlapping by `overlap`.

    A short tail (fewer than `min_words` new words) is merged into the chunk before it: a lone
    "Reporting by …" line otherwise ranks above real passages.
    """
    units: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        if count_tokens(text[start:end]) > max_tokens:
            units.extend(_split_long(text, start, end, max_tokens, count_tokens))
        else:
            units.append((start, end))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j = i + 1
        while (
            j < len(units)
            and j - i < sentences
            and count_tokens(text[units[i][0] : units[j][1]]) <= max_tokens
        ):
            j += 1
        spans.append((units[i][0], units[j - 1][1]))
        if j >= len(units):
            break
        i = max(j - overlap, i + 1)
    # Only the words the last window adds beyond its neighbour count: with overlap, a tail
    # chunk is often one repeated sentence plus a short line.
    if len(spans) > 1 and len(_WORD.findall(text[spans[-2][1] : spans[-1][1]])) < min_words:
        tail = spans.pop()
        spans[-1] = (spans[-1][0], tail[1])
    return [Chunk(seq, s, e, text[s:e]) for seq, (s, e) in enumerate(spans)]
