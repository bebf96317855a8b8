"""What the bot remembers between restarts, kept in the archive's database."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from newsdesk.ingest.store.archive import Archive

DAY = 86400.0


class ChatMemory:
    """Answers the bot sent (by the messages that carried them), votes on them, and when each
    user asked (question budgets). Answers older than `keep_days`, and beyond the newest
    `per_chat` messages of a chat, are forgotten."""

    def __init__(
        self,
        archive: Archive,
        *,
        keep_days: float = 30.0,
        per_chat: int = 200,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.archive, self.keep_days, self.per_chat = archive, keep_days, per_chat
        self.clock = clock

    def remember(self, chat_id: int, message_ids: Sequence[int], answer: dict[str, Any]) -> None:
        """Note the answer these messages carry; drops what has expired."""
        now, text = self.clock(), json.dumps(answer, ensure_ascii=False)
        db = self.archive.db
        with self.archive.transaction():
            db.conn.executemany(
                "INSERT OR REPLACE INTO bot_answers VALUES (?, ?, ?, ?)",
                [(chat_id, m, text, now) for m in message_ids],
            )
            db.execute(
                "DELETE FROM bot_answers WHERE created_at < ? OR (chat_id = ? AND message_id "
                "NOT IN (SELECT message_id FROM bot_answers WHERE chat_id = ? "
                "ORDER BY created_at DESC, message_id DESC LIMIT ?))",
                [now - self.keep_days * DAY, chat_id, chat_id, self.per_chat],
            )
            db.execute(
                "DELETE FROM bot_votes WHERE NOT EXISTS (SELECT 1 FROM bot_answers a "
                "WHERE a.chat_id = bot_votes.chat_id AND a.message_id = bot_votes.message_id)"
            )

    def recall(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The answer a message of the bot's carries, if it is remembered."""
        return self._one(
            "SELECT answer FROM bot_answers WHERE chat_id = ? AND message_id = ? "
            "AND created_at >= ?",
            [chat_id, message_id, self._horizon()],
        )

    def last(self, chat_id: int) -> dict[str, Any] | None:
        """The last answer given in a chat."""
        return self._one(
            "SELECT answer FROM bot_answers WHERE chat_id = ? AND created_at >= ? "
            "ORDER BY created_at DESC, message_id DESC LIMIT 1",
            [chat_id, self._horizon()],
        )

    def vote(self, chat_id: int, message_id: int, user_id: int) -> bool:
        """Count one vote per person on a message: False when this user has voted on it."""
        with self.archive.transaction():
            cursor = self.archive.db.execute(
                "INSERT OR IGNORE INTO bot_votes VALUES (?, ?, ?)", [chat_id, message_id, user_id]
            )
            return cursor.rowcount == 1

    def feedback(
        self, *, chat_id: int | None, user_id: int | None, question: str, answer: str, rating: int
    ) -> None:
        """Keep a 👍 (1) or 👎 (-1) on an answer, with the question and the answer it rates."""
        row = {"chat_id": chat_id, "user_id": user_id, "question": question, "answer": answer}
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self.archive.transaction():
            self.archive.db.table("feedback").insert(
                row | {"rating": rating, "created_at": created}
            )

    def take(self, scope: str, user_id: int, per_window: int, window: float = 60.0) -> float:
        """Spend one question of a sliding-window budget: 0.0 when allowed, else the seconds
        until one is free again."""
        now = self.clock()
        db = self.archive.db
        with self.archive.transaction():
            db.execute("DELETE FROM bot_questions WHERE at <= ?", [now - window])
            asked = db.execute(
                "SELECT at FROM bot_questions WHERE scope = ? AND user_id = ? ORDER BY at",
                [scope, user_id],
            ).fetchall()
            if len(asked) >= per_window:
                return float(asked[0][0]) + window - now
            db.execute("INSERT INTO bot_questions VALUES (?, ?, ?)", [scope, user_id, now])
        return 0.0

    def _horizon(self) -> float:
        return self.clock() - self.keep_days * DAY

    def _one(self, sql: str, params: Sequence[Any]) -> dict[str, Any] | None:
        rows = self.archive.rows(sql, params)
        return json.loads(rows[0][0]) if rows else None
