"""Short extractive answers with numbered citations, built from retrieved passages."""

from __future__ import annotations

import math
import re
import time
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from itertools import pairwise
from typing import Any, Protocol

import numpy as np

from newsdesk.errors import QueryError
from newsdesk.ingest.archive import Article, Filters
from newsdesk.ingest.chunk import split_sentences

from .dates import DateRange, parse_dates
from .embedder import Embedder
from .search import STOPWORDS, Hit, clean_query, query_terms
from .spans import Kind, best_span, norm, question_kind, stem, stems

NOTHING = "I found nothing in the archive about that."
NEARBY_CHARS = 400  # about two sentences of news copy
MAX_QUESTION_CHARS = 2000
# Markup pasted into a question: scripts and styles go whole, other tags leave their text.
_TAG = re.compile(
    r"<(script|style)\b[^>]*>.*?</\1\s*>|<[^>]{0,200}>|&[a-z]{2,8};|[\x00-\x08\x0b-\x1f\x7f]",
    re.I | re.S,
)
_WORD = re.compile(r"\w+")
_MARKER = re.compile(r"\s*\[\d+\]")
# Words that only make sense as a follow-up ("who else?"), never as a whole question.
_FOLLOW_WORDS = frozenset("else another others more that it this them they those".split())
_ELSE = re.compile(r"\b(?:else|other|others|another|more)\b", re.I)
# "(CNN) -- ", "DARAA, Syria (North Press) – ": a dateline is not part of the answer.
_DATELINE = re.compile(
    r"^\([A-Z][\w .'’-]{1,40}\)\s*(?:--|–|—|-)?\s*"
    r"|^[A-Z][\w ,.'’-]{0,60}\([A-Z][\w .'’-]{1,40}\)\s*(?:--|–|—|-)\s*"
)


@dataclass
class Source:
    """An article an answer cites, numbered as its [n] marker."""

    n: int
    article_id: int
    external_id: str | None
    title: str
    source: str | None
    date: str | None
    url: str | None
    score: float


@dataclass
class Answer:
    """What the assistant replies: text with [n] markers, its sources, and whether it knew."""

    question: str
    text: str
    answerable: bool
    sources: list[Source]
    latency_ms: float
    short: str | None = None  # the name / date / number asked for, when one was found
    closest: list[Source] = field(default_factory=list)  # the nearest articles when abstaining
    retrieved: list[Source] = field(default_factory=list)  # every retrieved article, best first
    period: str | None = None  # the publication dates the question was limited to
    # Set when a language model was asked: "grounded" (its answer is this one), or why the
    # extractive answer stands ("declined", "replaced: …" by the check, "failed: …").
    generated: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for JSON (the bot keeps its answers across restarts)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        """The answer `to_dict` gave, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)} & set(data)
        values = {key: data[key] for key in known}
        for key in ("sources", "closest", "retrieved"):
            values[key] = [Source(**s) for s in values.get(key, [])]
        return cls(**values)


class Retriever(Protocol):
    """What answering needs from the desk: passages and the model that embedded them."""

    @property
    def embedder(self) -> Embedder: ...

    def search(
        self, query: str, k: int | None = None, *, filters: Filters = ..., per_story: int = ...
    ) -> list[Hit]: ...


@dataclass
class FollowUp:
    """The previous question and answer, for "who else?" or "when was that?"."""

    question: str
    answer: str


@dataclass(frozen=True)
class Weights:
    """How sentence features add up to a score; tuned on the dev set (see bench/README.md)."""

    cos: float = 1.0  # embedding similarity of sentence and question
    keyword: float = 0.3  # share of the question's words in the sentence
    kind: float = 0.25  # holds the kind of answer asked for (name, date, number)
    passage: float = 0.3  # the passage's own similarity: context the sentence lacks
    # Abstain when no sentence's support (the score without the kind bonus, which unrelated
    # sentences earn as easily) reaches this; calibrated on withheld dev articles.
    threshold: float = 0.80
    margin: float = 0.25  # further sentences must score within this of the best one
    # ... and cover at least this share of the best one's (weighted) question words, so a
    # sentence that only shares the place name ("Jassim") does not ride along.
    coverage: float = 0.5
    nearby: float = 0.1  # bonus for sentences near the best one in its article: the same story
    follow_up: float = 0.6  # threshold factor for follow-ups: the topic is already established


@dataclass
class Candidate:
    """A sentence of a retrieved passage with the features that score it."""

    text: str
    article: Article
    start: int  # offset in the article text: overlapping passages repeat sentences
    cos: float
    keyword: float
    kind: float
    passage: float
    vector: np.ndarray
    score: float = 0.0


def strip_markers(text: str) -> str:
    """The answer text without its [n] citation markers."""
    return _MARKER.sub("", text)


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


def source_of(n: int, article: Article, score: float) -> Source:
    return Source(
        n,
        article.id,
        article.external_id,
        article.title,
        article.source,
        article.date[:10] if article.date else None,
        article.url,
        round(float(score), 4),
    )


class Answerer:
    """Answers questions from one desk; holds no per-question state, so threads may share it."""

    def __init__(
        self,
        desk: Retriever,
        *,
        k: int = 12,
        per_story: int = 2,
        max_sentences: int = 3,
        max_chars: int = 600,
        weights: Weights = Weights(),
    ) -> None:
        self.desk, self.k, self.per_story = desk, k, per_story
        self.max_sentences, self.max_chars, self.weights = max_sentences, max_chars, weights

    def ask(
        self,
        question: str,
        *,
        filters: Filters = Filters(),
        as_of: date | None = None,
        context: FollowUp | None = None,
    ) -> Answer:
        """A cited answer to `question`, or a plain "found nothing" with the closest articles."""
        began = time.perf_counter()
        question = check_question(question, context)
        dates = parse_dates(question, as_of or date.today())
        query = self.query(dates.question if dates.strict else question, context)
        exclude = norm(strip_markers(context.answer)) if context and _ELSE.search(question) else ""
        attempts = [_within(filters, dates)] if not dates.empty else []
        # A bare year ("in 2005") may be the event's, not the article's: try without it too.
        if dates.empty or not dates.strict:
            attempts.append(filters)
        hits: list[Hit] = []
        chosen: list[Candidate] = []
        for attempt in attempts:
            hits = self.desk.search(query, self.k, filters=attempt, per_story=self.per_story)
            candidates = self.candidates(query, hits, exclude)
            threshold = self.weights.threshold * (
                self.weights.follow_up if context and _leans_on(question) else 1.0
            )
            chosen = self.choose(candidates, threshold)
            if chosen:
                break
        answer = self.compose(question, query, hits, chosen)
        answer.period = _period(dates) if dates.strict and not dates.empty else None
        if not chosen and answer.period:
            answer.text = f"I found nothing in the archive about that from {answer.period}."
        answer.latency_ms = round((time.perf_counter() - began) * 1000, 1)
        return answer

    def query(self, question: str, context: FollowUp | None) -> str:
        """The retrieval query: a follow-up borrows the previous question's words."""
        if context is None:
            return question
        own = set(query_terms(question))
        borrowed = [t for t in query_terms(context.question) if t not in own]
        return " ".join([question, *borrowed])

    def candidates(self, query: str, hits: list[Hit], exclude: str = "") -> list[Candidate]:
        """Every distinct sentence of the passages, with its features and score."""
        kind: Kind | None = question_kind(query)
        terms = {stem(t) for t in query_terms(query)}
        seen: set[tuple[int, int]] = set()
        found: list[tuple[str, Article, int, float]] = []
        for hit in hits:
            for s, e in split_sentences(hit.text):
                key = (hit.article.id, hit.start + s)
                text = _DATELINE.sub("", " ".join(hit.text[s:e].split()))
                # Headings and bylines are too short to answer anything.
                if key in seen or len(text.split()) < 5:
                    continue
                if exclude and norm(text) in exclude:
                    continue  # "who else?": not what the previous answer already said
                seen.add(key)
                found.append((text, hit.article, hit.start + s, hit.dense or 0.0))
        if not found:
            return []
        vectors = self.desk.embedder.encode([query] + [f[0] for f in found])
        words_of = [stems(f[0]) for f in found]
        # A word found in most retrieved sentences ("Jassim" in an article about Jassim) tells
        # them apart less than a rare one ("killed"): weight terms by their local rarity.
        idf = {t: math.log(1 + len(found) / (1 + sum(t in s for s in words_of))) for t in terms}
        total = sum(idf.values()) or 1.0
        w = self.weights
        out = []
        for (text, article, start, passage), vector, words in zip(
            found, vectors[1:], words_of, strict=True
        ):
            c = Candidate(
                text,
                article,
                start,
                cos=float(vector @ vectors[0]),
                keyword=sum(idf[t] for t in terms & words) / total,
                kind=1.0 if kind and best_span(text, kind, query) else 0.0,
                passage=passage,
                vector=vector,
            )
            c.score = w.cos * c.cos + w.keyword * c.keyword + w.kind * c.kind + w.passage * passage
            out.append(c)
        return out

    def choose(self, candidates: list[Candidate], threshold: float) -> list[Candidate]:
        """The best sentences: within a margin of the best, no repeats, a few hundred chars."""
        w = self.weights
        if not candidates:
            return []
        support = max(c.score - w.kind * c.kind for c in candidates)
        if support < threshold:
            return []
        top = max(candidates, key=lambda c: c.score)

        def rank(c: Candidate) -> float:
            near = c.article.id == top.article.id and abs(c.start - top.start) < NEARBY_CHARS
            return c.score + (w.nearby if near else 0.0)

        chosen = [top]
        for c in sorted((c for c in candidates if c is not top), key=rank, reverse=True):
            if len(chosen) >= self.max_sentences or rank(c) < top.score - w.margin:
                break
            if c.keyword < w.coverage * top.keyword or any(_repeats(c, o) for o in chosen):
                continue
            # Another article's sentence must name at least as much of what was asked as the
            # best one: one that only shares the topic ("a quake in Taiwan") is off the point.
            if c.article.id != top.article.id and c.keyword < top.keyword:
                continue
            if sum(len(o.text) for o in chosen) + len(c.text) > self.max_chars:
                continue
            chosen.append(c)
        return chosen

    def compose(
        self, question: str, query: str, hits: list[Hit], chosen: list[Candidate]
    ) -> Answer:
        """The answer text with [n] markers, numbered in order of first citation."""
        retrieved: dict[int, Source] = {}
        for hit in hits:
            if hit.article.id not in retrieved:
                retrieved[hit.article.id] = source_of(len(retrieved) + 1, hit.article, hit.score)
        ranking = list(retrieved.values())
        if not chosen:
            return Answer(question, NOTHING, False, [], 0.0, None, ranking[:3], ranking)
        # The span asked for, from the best sentence holding one.
        kind = question_kind(query)
        short = next(
            (s for c in chosen if (s := best_span(c.text, kind, query, c.article.source))), None
        )
        numbers: dict[int, Source] = {}
        parts = []
        chosen = _in_reading_order(chosen)
        for i, c in enumerate(chosen):
            if c.article.id not in numbers:
                numbers[c.article.id] = source_of(len(numbers) + 1, c.article, c.score)
            # A run of sentences from one article carries its marker once, at the end.
            last_of_run = i + 1 == len(chosen) or chosen[i + 1].article.id != c.article.id
            parts.append(f"{c.text} [{numbers[c.article.id].n}]" if last_of_run else c.text)
        return Answer(
            question, " ".join(parts), True, list(numbers.values()), 0.0, short, [], ranking
        )


def _in_reading_order(chosen: list[Candidate]) -> list[Candidate]:
    """Sentences grouped by article (best article first); a run of nearby sentences of one
    article in the order the article tells them, so "he" follows the name it refers to."""
    groups: dict[int, list[Candidate]] = {}
    for c in chosen:
        groups.setdefault(c.article.id, []).append(c)
    out = []
    for group in groups.values():
        ordered = sorted(group, key=lambda c: c.start)
        adjacent = all(b.start - a.start < NEARBY_CHARS for a, b in pairwise(ordered))
        out += ordered if adjacent else group
    return out


def _leans_on(question: str) -> bool:
    """Whether a question needs the previous one ("who else?", "when was that?").

    A reply that asks something new ("who won the 2018 World Cup?") keeps the full threshold.
    """
    words = [w for w in _WORD.findall(question.lower()) if w not in STOPWORDS]
    return len([w for w in words if w not in _FOLLOW_WORDS]) <= 2


def _repeats(a: Candidate, b: Candidate) -> bool:
    """Near-identical sentences: the same fact told by two outlets, or twice by one."""
    wa, wb = set(norm(a.text).split()), set(norm(b.text).split())
    overlap = len(wa & wb) / max(len(wa | wb), 1)
    return overlap > 0.6 or float(a.vector @ b.vector) > 0.9


def _within(filters: Filters, dates: DateRange) -> Filters:
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
    lines = [answer.text]
    listed = answer.sources if answer.answerable else answer.closest
    if listed:
        lines.append("" if answer.answerable else "\nClosest articles:")
    for s in listed:
        facts = [s.source or "unknown outlet", s.title, s.date or "undated"] + (
            [s.url] if s.url else []
        )
        lines.append(f"[{s.n}] " + " — ".join(facts))
    return "\n".join(lines)
