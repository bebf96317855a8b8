"""Followed feeds kept in the archive: the list, and how each one's polling went."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from newsdesk.errors import FeedError, FeedNotFound
from newsdesk.ingest.models import RawArticle, ReadFailure
from newsdesk.ingest.store.archive import Archive

Outcome = Literal["new", "not modified", "error"]


Clock = Callable[[], float]


@dataclass
class Feed:
    """A followed feed and the state of its polling (times are unix seconds)."""

    id: int
    url: str
    every: float  # seconds between polls, as asked
    source: str | None = None  # outlet name given by the user; else the feed's title
    title: str | None = None
    ttl: float | None = None  # seconds, from the feed's <ttl>
    etag: str | None = None
    last_modified: str | None = None
    next_poll: float = 0.0
    last_poll: float | None = None
    last_ok: float | None = None
    failures: int = 0  # errors in a row
    last_error: str | None = None
    last_status: str | None = None
    articles: int = 0  # stored from this feed so far
    added_at: float = 0.0

    @property
    def name(self) -> str:
        return self.source or self.title or self.url

    @property
    def interval(self) -> float:
        """Seconds between polls: as asked, or longer when the feed's TTL says so."""
        return max(self.every, self.ttl or 0.0)

    def state(self) -> str:
        """One line: how the last poll went."""
        if self.last_poll is None:
            return "not polled yet"
        if self.failures:
            return f"error ({self.failures} in a row): {self.last_error}"
        return self.last_status or "ok"


@dataclass
class FeedFetch:
    """What one poll of one feed found; nothing of it is stored yet."""

    feed: Feed
    outcome: Outcome
    items: list[RawArticle | ReadFailure] = field(default_factory=list)
    error: str | None = None
    title: str | None = None
    ttl: float | None = None
    etag: str | None = None
    last_modified: str | None = None
    note: str = ""  # e.g. how many new items wait for the next poll


class FeedStore:
    """The followed feeds, in the archive's `feeds` table."""

    def __init__(self, archive: Archive, *, clock: Clock = time.time) -> None:
        self.archive, self.clock = archive, clock

    def known_feed(self, url: str) -> bool:
        return bool(self.archive.rows("SELECT 1 FROM feeds WHERE url = ?", [url]))

    def add(self, url: str, *, every: float, source: str | None, title: str | None) -> Feed:
        """Follow a feed, due at once; FeedError when it is followed already."""
        with self.archive.transaction():
            if self.archive.db.execute("SELECT 1 FROM feeds WHERE url = ?", [url]).fetchone():
                raise FeedError(f"the feed {url} is followed already")
            self.archive.db.execute(
                "INSERT INTO feeds (url, source, title, every, added_at) VALUES (?, ?, ?, ?, ?)",
                [url, source, title, every, self.clock()],
            )
        return self.get(url)

    def all(self) -> list[Feed]:
        return self._select("1 ORDER BY id", [])

    def get(self, ref: str | int) -> Feed:
        """A feed by its number or its URL."""
        text = str(ref).strip()
        numeric = re.fullmatch(r"\d{1,18}", text, re.ASCII)
        found = self._select("id = ?", [int(text)]) if numeric else []
        found = found or self._select("url = ?", [text])
        if not found:
            raise FeedNotFound(f"no followed feed {text}")
        return found[0]

    def remove(self, ref: str | int) -> Feed:
        """Stop following a feed; its articles stay in the archive."""
        feed = self.get(ref)
        with self.archive.transaction():
            self.archive.db.execute("DELETE FROM feeds WHERE id = ?", [feed.id])
        return feed

    def due(self) -> list[Feed]:
        return self._select("next_poll <= ? ORDER BY next_poll, id", [self.clock()])

    def next_due(self) -> float | None:
        """When the next feed is due (unix time), None when no feed is followed."""
        rows = self.archive.rows("SELECT min(next_poll) FROM feeds")
        return rows[0][0] if rows and rows[0][0] is not None else None

    def known(self, uids: Collection[str]) -> set[str]:
        """Which of these article identities the archive holds."""
        if not uids:
            return set()
        marks = ",".join("?" * len(uids))
        rows = self.archive.rows(f"SELECT uid FROM articles WHERE uid IN ({marks})", list(uids))
        return {r[0] for r in rows}

    def record(self, fetched: FeedFetch, added: int, max_backoff: float) -> Feed:
        """Note how a poll went and when the feed is due next (later after errors)."""
        feed, now = fetched.feed, self.clock()
        values: dict[str, Any] = {"last_poll": now}
        if fetched.outcome == "error":
            failures = feed.failures + 1
            # Doubling waits after errors in a row: a broken server is not hammered.
            wait = min(feed.interval * 2 ** (failures - 1), max(max_backoff, feed.interval))
            values |= {"failures": failures, "last_error": fetched.error, "next_poll": now + wait}
        else:
            ttl = fetched.ttl if fetched.outcome == "new" else feed.ttl
            status = (
                f"{added} new" + (f" ({fetched.note})" if fetched.note else "")
                if fetched.outcome == "new"
                else "not modified"
            )
            values |= {
                "failures": 0,
                "last_error": None,
                "last_ok": now,
                "last_status": status,
                "ttl": ttl,
                "title": fetched.title or feed.title,
                # After a 304 the old validators still hold, unless the server sent new ones.
                "etag": fetched.etag or (None if fetched.outcome == "new" else feed.etag),
                "last_modified": fetched.last_modified
                or (None if fetched.outcome == "new" else feed.last_modified),
                "articles": feed.articles + added,
                "next_poll": now + max(feed.every, ttl or 0.0),
            }
        columns = ", ".join(f"{name} = ?" for name in values)
        with self.archive.transaction():
            # A feed removed while it was being polled stays removed.
            self.archive.db.execute(
                f"UPDATE feeds SET {columns} WHERE id = ?", [*values.values(), feed.id]
            )
        return replace(feed, **values)

    def _select(self, where: str, params: list[Any]) -> list[Feed]:
        names = [f.name for f in fields(Feed)]
        rows = self.archive.rows(f"SELECT {', '.join(names)} FROM feeds WHERE {where}", params)
        return [Feed(**dict(zip(names, row, strict=True))) for row in rows]
