"""Stories followed in chats, and the alerts they raise, kept in the archive.

Matching (index/stories/matching.py) queues alerts here together with how far through the archive it
has read (one transaction), so every article is judged once; the bot sends what is queued
within each chat's hourly budget and marks it sent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from newsdesk.errors import ArticleNotFound, FollowNotFound
from newsdesk.ingest.store.archive import Archive
from newsdesk.ingest.store.records import Article

HOUR = 3600.0
CHECKED_KEY = "follows_checked_article"  # meta: the last article matched against follows


@dataclass
class Follow:
    """A story followed in a chat: alerts fire for articles newer than `after_article`."""

    id: int
    chat_id: int
    topic: str
    user_id: int | None
    after_article: int
    created_at: float


@dataclass
class QueuedAlert:
    """An article that matched a follow, for one chat."""

    chat_id: int
    story: int
    article_id: int
    follow_id: int
    score: float


@dataclass
class AlertMessage:
    """What one message to a chat carries: one alert, or a batch beyond the hourly budget."""

    chat_id: int
    alerts: list[tuple[Article, str]]  # the article and the topic it matched
    keys: list[tuple[int, int]]  # (chat id, story) of each, to mark sent


class FollowStore:
    """The `follows` and `alerts` tables."""

    def __init__(self, archive: Archive, *, clock: Callable[[], float] = time.time) -> None:
        self.archive, self.clock = archive, clock

    def add(self, chat_id: int, topic: str, user_id: int | None) -> Follow:
        """Follow a topic in a chat (again: the existing follow); alerts start from now."""
        topic = " ".join(topic.split())
        with self.archive.transaction():
            newest = self.archive.db.execute("SELECT coalesce(max(id), 0) FROM articles")
            self.archive.db.execute(
                "INSERT OR IGNORE INTO follows (chat_id, topic, user_id, after_article, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                [chat_id, topic, user_id, newest.fetchone()[0], self.clock()],
            )
        return self._select("chat_id = ? AND topic = ?", [chat_id, topic])[0]

    def of_chat(self, chat_id: int) -> list[Follow]:
        return self._select("chat_id = ? ORDER BY id", [chat_id])

    def all(self) -> list[Follow]:
        return self._select("1 ORDER BY id", [])

    def remove(self, chat_id: int, ref: str) -> Follow:
        """Stop a chat's follow, given by its number or its topic."""
        ref = " ".join(ref.split())
        by_id = re.fullmatch(r"\d{1,18}", ref, re.ASCII)
        found = self._select("chat_id = ? AND id = ?", [chat_id, int(ref)]) if by_id else []
        found = found or self._select("chat_id = ? AND topic = ? COLLATE NOCASE", [chat_id, ref])
        if not found:
            raise FollowNotFound(f"this chat follows nothing called {ref!r}")
        with self.archive.transaction():
            self.archive.db.execute("DELETE FROM follows WHERE id = ?", [found[0].id])
        return found[0]

    # -- matching ----------------------------------------------------------------------------

    def unchecked(self, limit: int = 500) -> list[Article]:
        """Articles not yet matched against the follows, oldest first, stopping before the
        first one still waiting for its vectors (it is matched once they are there)."""
        checked = int(self.archive.get_meta(CHECKED_KEY) or 0)
        rows = self.archive.rows(
            "SELECT a.id, (SELECT count(*) FROM chunks c WHERE c.article_id = a.id "
            "AND c.embedded = 0) FROM articles a WHERE a.id > ? ORDER BY a.id LIMIT ?",
            [checked, limit],
        )
        articles = []
        for article_id, pending in rows:
            if pending:
                break
            try:
                articles.append(self.archive.get(article_id))
            except ArticleNotFound:  # deleted meanwhile
                continue
        return articles

    def queue(self, alerts: Sequence[QueuedAlert], checked_up_to: int) -> int:
        """Queue alerts (one per chat and story) and note how far matching got."""
        with self.archive.transaction():
            before = self.archive.db.conn.total_changes
            self.archive.db.conn.executemany(
                "INSERT OR IGNORE INTO alerts (chat_id, story, article_id, follow_id, score, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (a.chat_id, a.story, a.article_id, a.follow_id, a.score, self.clock())
                    for a in alerts
                ],
            )
            added = self.archive.db.conn.total_changes - before
            self.archive.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [CHECKED_KEY, str(checked_up_to)],
            )
        return added

    # -- sending -----------------------------------------------------------------------------

    def due(self, per_hour: int) -> list[AlertMessage]:
        """The messages to send now: queued alerts one by one while a chat's hourly budget
        lasts, the rest folded into its last message; nothing for a chat that spent it."""
        now = self.clock()
        rows = self.archive.rows(
            "SELECT al.chat_id, al.story, al.article_id, coalesce(f.topic, '') FROM alerts al "
            "JOIN articles a ON a.id = al.article_id "  # an article deleted since: no alert
            "LEFT JOIN follows f ON f.id = al.follow_id WHERE al.sent_at IS NULL "
            "ORDER BY al.chat_id, al.created_at, al.article_id"
        )
        by_chat: dict[int, list[tuple[int, int, str]]] = {}
        for chat_id, story, article_id, topic in rows:
            by_chat.setdefault(chat_id, []).append((story, article_id, topic))
        messages = []
        for chat_id, queued in by_chat.items():
            sent = self.archive.rows(
                "SELECT count(DISTINCT message) FROM alerts WHERE chat_id = ? AND sent_at > ?",
                [chat_id, now - HOUR],
            )[0][0]
            budget = per_hour - sent
            if budget <= 0:
                continue
            singles = queued if len(queued) <= budget else queued[: budget - 1]
            groups = [[q] for q in singles]
            if len(queued) > budget:
                groups.append(queued[budget - 1 :])
            for group in groups:
                alerts = [(self.archive.get(a), topic) for _, a, topic in group]
                keys = [(chat_id, story) for story, _, _ in group]
                messages.append(AlertMessage(chat_id, alerts, keys))
        return messages

    def sent(self, message: AlertMessage) -> None:
        """Mark a message's alerts sent (or given up on: a chat that blocked the bot)."""
        now = self.clock()
        with self.archive.transaction():
            db = self.archive.db
            number = db.execute("SELECT coalesce(max(message), 0) + 1 FROM alerts").fetchone()[0]
            db.conn.executemany(
                "UPDATE alerts SET sent_at = ?, message = ? WHERE chat_id = ? AND story = ?",
                [(now, number, chat_id, story) for chat_id, story in message.keys],
            )

    def _select(self, where: str, params: list[Any]) -> list[Follow]:
        names = [f.name for f in fields(Follow)]
        rows = self.archive.rows(f"SELECT {', '.join(names)} FROM follows WHERE {where}", params)
        return [Follow(**dict(zip(names, row, strict=True))) for row in rows]
