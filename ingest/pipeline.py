"""Ingest: read inputs, chunk each article and store it, one transaction per article."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from newsdesk.config import Settings
from newsdesk.ingest.chunk import TokenCounter, approx_tokens, chunk_text
from newsdesk.ingest.entities import NER_MODEL, entities_of
from newsdesk.ingest.models import Chunk, RawArticle, ReadFailure
from newsdesk.ingest.normalize import EMPTY_REASON, normalize
from newsdesk.ingest.store.archive import Archive
from newsdesk.ingest.store.records import StoreResult


@dataclass
class Outcome:
    """What happened to one input article."""

    origin: str
    status: str  # added, updated, unchanged, duplicate
    article_id: int
    title: str
    duplicate_of: int | None = None
    encoding: str | None = None  # the encoding the input was read in, when not UTF-8


@dataclass
class IngestReport:
    """Counts and per-input outcomes of one ingest run."""

    outcomes: list[Outcome] = field(default_factory=list)
    failures: list[ReadFailure] = field(default_factory=list)
    chunks: int = 0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def summary(self) -> dict[str, int]:
        return {
            "added": self.count("added"),
            "updated": self.count("updated"),
            "unchanged": self.count("unchanged"),
            "duplicates": self.count("duplicate"),
            "failed": len(self.failures),
            "chunks": self.chunks,
        }


def chunk_article(
    article: RawArticle, settings: Settings, count_tokens: TokenCounter = approx_tokens
) -> list[Chunk]:
    """The article's passages, sized as the settings say (headers are added when embedding)."""
    return chunk_text(
        article.text,
        sentences=settings.chunk_sentences,
        max_tokens=settings.chunk_max_tokens,
        overlap=settings.chunk_overlap_sentences,
        min_words=settings.min_chunk_words,
        count_tokens=count_tokens,
    )


def prepared(item: RawArticle | ReadFailure) -> RawArticle | ReadFailure:
    """An article as it is stored: normalized, and a failure when no text is left."""
    if isinstance(item, ReadFailure):
        return item
    article = normalize(item)
    return article if article.text else ReadFailure(article.origin, EMPTY_REASON)


def ingest(
    items: Iterable[RawArticle | ReadFailure],
    archive: Archive,
    settings: Settings,
    *,
    count_tokens: TokenCounter = approx_tokens,
    entities: bool = False,
    on_stored: Callable[[RawArticle, StoreResult], object] | None = None,
    on_failure: Callable[[ReadFailure], object] | None = None,
) -> IngestReport:
    """Store every article read; failures are collected, never raised. Every article is
    normalized here, whoever read it (files, feeds, a library caller's own RawArticles).
    With `entities`, each is stored with its named entities (ingest/entities.py)."""
    report = IngestReport()
    for item in map(prepared, items):
        if isinstance(item, ReadFailure):
            report.failures.append(item)
            if on_failure:
                on_failure(item)
            continue
        chunks = chunk_article(item, settings, count_tokens)
        found = (NER_MODEL, entities_of(item.text, item.language)) if entities else None
        result = archive.store(item, chunks, found)
        status = "duplicate" if result.duplicate_of else result.status
        if result.status != "unchanged":
            report.chunks += len(chunks)
        report.outcomes.append(
            Outcome(
                item.origin,
                status,
                result.article_id,
                item.title or "",
                result.duplicate_of,
                item.encoding,
            )
        )
        if on_stored:
            on_stored(item, result)
    return report
