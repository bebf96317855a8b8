"""Plain data passed between the reading, storing and indexing stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawArticle:
    """An article as read from some input, before it is stored."""

    text: str
    title: str | None = None
    date: str | None = None  # ISO 8601: "2022-10-27" or "2022-10-27T14:03:00+00:00"
    source: str | None = None  # the outlet, e.g. "North Press"
    url: str | None = None
    external_id: str | None = None
    author: str | None = None
    place: str | None = None
    language: str | None = None  # ISO 639-1, detected when not given
    metadata: dict[str, Any] = field(default_factory=dict)
    origin: str = ""  # where it came from: a path, "path:line", a URL or "stdin"
    # The encoding its bytes were read in when not UTF-8 ("windows-1256"), for the ingest report.
    # Not stored, and not part of the article: the same text re-saved as UTF-8 is unchanged.
    encoding: str | None = None


@dataclass
class ReadFailure:
    """An input, or one record of it, that could not be read; `reason` is one line."""

    origin: str
    reason: str


@dataclass(frozen=True)
class Chunk:
    """A passage of an article, with its character offsets in the article text."""

    seq: int
    start: int
    end: int
    text: str


# A named entity: character offsets in its article's text, and the label the model gave it
# (PERSON, GPE, ORG, DATE, CARDINAL, …; ingest/entities.py).
Entity = tuple[int, int, str]
