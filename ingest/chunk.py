"""Sentence-aware chunking: passages of a few sentences, sized in the model's word pieces."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from newsdesk.ingest.models import Chunk
from newsdesk.text.sentences import split_sentences

TokenCounter = Callable[[str], int]

_WORD = re.compile(r"\S+")


def approx_tokens(text: str) -> int:
    """A tokenizer-free estimate of word pieces (about 1.3 per English word)."""
    return int(len(_WORD.findall(text)) * 1.3) + 1


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
