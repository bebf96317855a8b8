"""What the archive hands out and takes: articles, chunks, what storing did, stats, filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["added", "updated", "unchanged"]


@dataclass
class Article:
    """An article as stored in the archive."""

    id: int
    uid: str
    title: str
    text: str
    external_id: str | None = None
    url: str | None = None
    date: str | None = None
    source: str | None = None
    place: str | None = None
    author: str | None = None
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    origin: str | None = None
    cluster_id: int | None = None
    ingested_at: str = ""
    updated_at: str = ""


@dataclass
class StoreResult:
    """What storing one article did; `removed_chunk_ids` are vectors to drop from the index."""

    status: Status
    article_id: int
    duplicate_of: int | None = None
    removed_chunk_ids: list[int] = field(default_factory=list)


@dataclass
class ChunkHit:
    """A chunk joined with the article it belongs to."""

    chunk_id: int
    text: str
    start: int
    end: int
    article: Article


@dataclass
class ArchiveStats:
    """What the archive holds."""

    articles: int
    outlets: int
    earliest: str | None  # publication dates, ISO
    latest: str | None
    last_ingest: str | None
    stories: int  # articles with their near-copies counted once
    chunks: int
    unindexed_chunks: int
    top_outlets: dict[str, int]

    @property
    def dates(self) -> str:
        """ "2022-10-01 to 2022-10-27", one date, or "no dates known"."""
        if not self.earliest:
            return "no dates known"
        if self.latest and self.latest[:10] != self.earliest[:10]:
            return f"{self.earliest[:10]} to {self.latest[:10]}"
        return self.earliest[:10]


@dataclass(frozen=True)
class Filters:
    """Restrictions on which articles a search may return."""

    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date, inclusive
    source: str | None = None  # outlet, case-insensitive
    language: str | None = None

    def sql(self, alias: str = "a") -> tuple[str, list[Any]]:
        """A SQL condition (always valid, "1" when empty) and its parameters."""
        clauses, params = ["1"], []
        if self.since:
            clauses.append(f"{alias}.date >= ?")
            params.append(self.since)
        if self.until:
            # Dates may carry a time; anything on the `until` day is still inside the range.
            clauses.append(f"substr({alias}.date, 1, 10) <= ?")
            params.append(self.until)
        if self.source:
            clauses.append(f"{alias}.source = ? COLLATE NOCASE")
            params.append(self.source)
        if self.language:
            clauses.append(f"{alias}.language = ?")
            params.append(self.language)
        return " AND ".join(clauses), params
