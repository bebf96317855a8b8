"""Sentences of a text as character offsets, in English and Arabic news copy."""

from __future__ import annotations

import re

# Abbreviations whose trailing period does not end a sentence in news copy.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sen rep gov gen col lt sgt capt st jr sr inc corp co ltd no vs etc "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m".split()
)


# A sentence ends at . ! ? … or the Arabic question mark / full stop, optionally followed by
# closing quotes or brackets, then whitespace.
# Sentence ends, Arabic ones (؟ question mark, ؛ semicolon, ۔ full stop) included.
_BOUNDARY = re.compile(r"[.!?…؟؛۔]+[\"'”’»)\]]*(?=\s)")


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


# "(CNN) -- ", "DARAA, Syria (North Press) – ": a dateline is not part of the answer, nor is
# an "Editor's note:" label.
_DATELINE = re.compile(
    r"^(?i:editor['’]s note)\s*:\s*"
    r"|^\([A-Z][\w .'’-]{1,40}\)\s*(?:--|–|—|-)?\s*"
    r"|^[A-Z][\w ,.'’-]{0,60}\([A-Z][\w .'’-]{1,40}\)\s*(?:--|–|—|-)\s*"
)


def quoted(text: str) -> str:
    """A sentence as an answer quotes it: whitespace collapsed, no dateline."""
    return _DATELINE.sub("", " ".join(text.split()))
