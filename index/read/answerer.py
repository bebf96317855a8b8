"""Questions in, cited answers out: retrieval and dates here, the answer itself from a Reader."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Protocol

from newsdesk.errors import QueryError
from newsdesk.index.read.abstain import Frequencies
from newsdesk.index.read.dates import DateRange, parse_dates
from newsdesk.index.read.extractive import (
    WEIGHTS,
    Candidate,
    EntityLookup,
    ExtractiveReader,
    Weights,
)
from newsdesk.index.read.model import ReaderModel
from newsdesk.index.read.types import (
    NOTHING,
    UNSURE,
    Answer,
    FollowUp,
    Reader,
    Reading,
    Source,
    strip_markers,
)
from newsdesk.index.search.hybrid import Hit
from newsdesk.ingest.store.records import Filters
from newsdesk.text.terms import STOPWORDS, clean_query, query_terms

__all__ = [
    "NOTHING",
    "UNSURE",
    "Answer",
    "Answerer",
    "Candidate",
    "FollowUp",
    "Reader",
    "Source",
    "Weights",
    "check_question",
    "format_answer_text",
    "narrow",
    "strip_markers",
]

MAX_QUESTION_CHARS = 2000
# Markup pasted into a question: scripts and styles go whole, other tags leave their text.
_TAG = re.compile(
    r"<(script|style)\b[^>]*>.*?</\1\s*>|<[^>]{0,200}>|&[a-z]{2,8};|[\x00-\x08\x0b-\x1f\x7f]",
    re.I | re.S,
)
_WORD = re.compile(r"\w+")
# Words that only make sense as a follow-up ("who else?"), never as a whole question.
_FOLLOW_WORDS = frozenset("else another others more that it this them they those".split())


class Retriever(Protocol):
    """What answering needs to find passages: hybrid search, and names spelled otherwise."""

    def search(
        self,
        query: str,
        k: int = ...,
        *,
        filters: Filters = ...,
        per_story: int = ...,
        names: Sequence[str] | None = ...,
    ) -> list[Hit]: ...

    def names(self, query: str) -> list[str]:
        """The archive's spellings of the query's names: Latin ones of its Arabic names, and
        those of names it spells otherwise (Searcher.names)."""
        ...


def check_question(question: str, context: FollowUp | None = None) -> str:
    """The question without markup; QueryError when nothing askable is left."""
    if len(question) > MAX_QUESTION_CHARS:
        raise QueryError(
            f"the question is too long ({len(question):,} characters): ask it in a sentence "
            f"or two (at most {MAX_QUESTION_CHARS:,} characters)"
        )
    question = clean_query(_TAG.sub(" ", question))
    words = _WORD.findall(question.lower())
    if not [w for w in words if w not in STOPWORDS and w not in _FOLLOW_WORDS] and not (
        context and words
    ):
        raise QueryError(
            "the question has only common words (what, is, the …): ask about something "
            "specific, e.g. “who was killed in Jassim?”"
        )
    return question


class Answerer:
    """Answers questions from what a retriever finds; holds no per-question state, so threads
    may share it."""

    def __init__(
        self,
        retriever: Retriever,
        term_frequencies: Frequencies,
        *,
        k: int = 12,
        per_story: int = 2,
        max_sentences: int = 3,
        max_chars: int = 600,
        weights: Weights = WEIGHTS,
        reader: Reader | None = None,
        entities: EntityLookup | None = None,
        model: ReaderModel | None = None,
    ) -> None:
        """`entities` (the archive's) and `model` (the learned reader's weights) choose the
        fact line; without them the rules do (ExtractiveReader)."""
        self.retriever, self.k, self.per_story = retriever, k, per_story
        # A generative reader falls back on this one, so it is always at hand.
        self.extractive = ExtractiveReader(
            term_frequencies,
            max_sentences=max_sentences,
            max_chars=max_chars,
            weights=weights,
            entities=entities,
            model=model,
        )
        self.reader: Reader = reader or self.extractive

    def ask(
        self,
        question: str,
        *,
        filters: Filters = Filters(),
        as_of: date | None = None,
        context: FollowUp | None = None,
    ) -> Answer:
        """A cited answer to `question`, or a plain "found nothing" with the closest articles."""
        return self.read(question, filters=filters, as_of=as_of, context=context)[0]

    def read(
        self,
        question: str,
        *,
        filters: Filters = Filters(),
        as_of: date | None = None,
        context: FollowUp | None = None,
        reader: Reader | None = None,
    ) -> tuple[Answer, Reading]:
        """The answer by `reader` (default: this answerer's), and what it was read from."""
        began = time.perf_counter()
        question = check_question(question, context)
        dates = parse_dates(question, as_of or date.today())
        asked = dates.question if dates.strict else question
        query = self.query(asked, context)
        # The reader looks for an Arabic name's Latin spelling in English passages (search
        # adds it to the keyword query itself; a multilingual embedding of it reads worse).
        spellings = self.retriever.names(query)
        names = [n for n in spellings if n not in query.lower()]
        attempts = [narrow(filters, dates)] if not dates.empty else []
        # A bare year ("in 2005") may be the event's, not the article's: try without it too.
        if dates.empty or not dates.strict:
            attempts.append(filters)
        answer: Answer | None = None
        reading: Reading | None = None
        for attempt in attempts:
            hits = self.retriever.search(
                query, self.k, filters=attempt, per_story=self.per_story, names=spellings
            )
            # Only spellings the passages hold: the others are mostly other words of the same
            # consonants (قتل: "Kotula"), and a word the reader looks for in vain counts against.
            held = [n for n in names if any(n in h.text.lower() for h in hits)]
            named = " ".join([query, *held])
            reading = Reading(asked, named, hits, context, bool(context and _leans_on(question)))
            answer = (reader or self.reader).read(reading)
            if answer.answerable:
                break
        assert answer is not None and reading is not None  # there is always one attempt
        answer.question = question
        answer.period = _period(dates) if dates.strict and not dates.empty else None
        if not answer.answerable and answer.period:
            answer.text = f"I found nothing in the archive about that from {answer.period}."
        answer.latency_ms = round((time.perf_counter() - began) * 1000, 1)
        return answer, reading

    def query(self, question: str, context: FollowUp | None) -> str:
        """The retrieval query: a follow-up borrows the previous question's words."""
        if context is None:
            return question
        own = set(query_terms(question))
        borrowed = [t for t in query_terms(context.question) if t not in own]
        return " ".join([question, *borrowed])


def _leans_on(question: str) -> bool:
    """Whether a question needs the previous one ("who else?", "when was that?").

    A reply that asks something new ("who won the 2018 World Cup?") keeps the full threshold.
    """
    words = [w for w in _WORD.findall(question.lower()) if w not in STOPWORDS]
    return len([w for w in words if w not in _FOLLOW_WORDS]) <= 2


def narrow(filters: Filters, dates: DateRange) -> Filters:
    """The caller's filters narrowed to the question's dates."""
    since = (
        max(d for d in (filters.since, dates.since) if d) if filters.since or dates.since else None
    )
    until = (
        min(d for d in (filters.until, dates.until) if d) if filters.until or dates.until else None
    )
    return replace(filters, since=since, until=until)


def _period(dates: DateRange) -> str:
    if dates.since and dates.until:
        span = dates.since if dates.since == dates.until else f"{dates.since} to {dates.until}"
    else:
        span = f"since {dates.since}" if dates.since else f"until {dates.until}"
    return f"{dates.phrase} ({span})"


def format_answer_text(answer: Answer) -> str:
    """The answer and its numbered sources as plain text."""
    lines = [UNSURE, answer.text] if answer.answerable and answer.unsure else [answer.text]
    listed = answer.sources if answer.answerable else answer.closest
    if listed:
        lines.append("" if answer.answerable else "\nClosest articles:")
    for s in listed:
        facts = [s.source or "unknown outlet", s.title, s.date or "undated"]
        facts += [f"also reported by {', '.join(s.also)}"] if s.also else []
        facts += [s.url] if s.url else []
        lines.append(f"[{s.n}] " + " — ".join(facts))
    return "\n".join(lines)
