"""What a reader gets (retrieved passages and the question) and what it gives back (an Answer).

The Answerer retrieves, handles dates and follow-ups; a Reader turns passages into an answer.
An extractive reader (index/read/extractive.py) is the default; a generative one can sit beside it
and fall back on it, as long as everything it cites is an article of the passages it was given.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol

from newsdesk.index.search.hybrid import Hit
from newsdesk.ingest.store.records import Article

NOTHING = "I found nothing in the archive about that."
REPORTS_DIFFER = "Reports differ:"
UNSURE = "The archive may not answer this; the nearest it has:"
_MARKER = re.compile(r"\s*\[\d+\]")


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
    also: list[str] = field(default_factory=list)  # other outlets that carried the story


@dataclass
class Report:
    """One outlet's value of the fact asked, where outlets report different values."""

    value: str
    source: str | None
    date: str | None
    n: int  # the [n] of its article in the answer

    def __str__(self) -> str:
        said = ", ".join(x for x in (self.source, self.date) if x)
        return f"{self.value} ({said}) [{self.n}]" if said else f"{self.value} [{self.n}]"


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
    # How well the passages support an answer, before any threshold: what abstention is
    # calibrated on (for the extractive reader, the best sentence's score without kind bonus).
    support: float | None = None
    # Answered, but so near the abstention line that the reply says the archive may not hold
    # the answer (index/read/abstain.py, Calibration.doubt).
    unsure: bool = False
    # Set when a language model was asked: "grounded" (its answer is this one), why the
    # extractive answer stands ("declined", "replaced: …" by the check, "failed: …"), or that
    # the model judged an unsure answer off the point ("judged: not in the archive").
    generated: str | None = None
    # Where other outlets report another value of the fact for the same event: each value
    # with its outlet and date, the fact line's first (index/read/differ.py).
    disagreements: list[Report] = field(default_factory=list)

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
        values["disagreements"] = [Report(**r) for r in values.get("disagreements", [])]
        return cls(**values)


@dataclass
class FollowUp:
    """The previous question and answer, for "who else?" or "when was that?"."""

    question: str
    answer: str


@dataclass(frozen=True)
class Reading:
    """One question as a reader sees it, with the passages retrieved for it."""

    question: str  # as asked (markup and date words removed); its own words set the answer kind
    query: str  # what was searched: a follow-up adds the previous question's words (the topic)
    hits: list[Hit]
    context: FollowUp | None = None
    # A follow-up that leans on the previous question ("who else?") needs less support to be
    # answered, its topic being established.
    follow_up: bool = False


class Reader(Protocol):
    """Turns retrieved passages into an answer, or an abstention (answerable False)."""

    def read(self, reading: Reading) -> Answer:
        """The answer; `sources` and `[n]` markers name only articles of `reading.hits`."""
        ...


def strip_markers(text: str) -> str:
    """The answer text without its [n] citation markers."""
    return _MARKER.sub("", text)


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


def ranking(hits: list[Hit]) -> list[Source]:
    """Every retrieved article once, best first, numbered in that order."""
    retrieved: dict[int, Source] = {}
    for hit in hits:
        if hit.article.id not in retrieved:
            retrieved[hit.article.id] = source_of(len(retrieved) + 1, hit.article, hit.score)
    return list(retrieved.values())


def nothing(reading: Reading, support: float | None = None) -> Answer:
    """An abstention that still lists the closest articles."""
    ranked = ranking(reading.hits)
    return Answer(
        reading.question, NOTHING, False, [], 0.0, None, ranked[:3], ranked, support=support
    )
