"""Fairness between users and safety between threads: question budgets and a desk lock."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

_MAX_TRACKED = 1024  # users remembered before idle ones are dropped


class QuestionBudget:
    """At most `per_window` questions per user in any `window` seconds (a sliding window)."""

    def __init__(
        self,
        per_window: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_window, self.window, self.clock = per_window, window, clock
        self._asked: dict[int, deque[float]] = {}

    def take(self, user_id: int) -> float:
        """Spend one question: 0.0 when allowed, else the seconds until one is free again."""
        if len(self._asked) > _MAX_TRACKED:
            self.forget_idle()
        now = self.clock()
        asked = self._asked.setdefault(user_id, deque())
        while asked and asked[0] <= now - self.window:
            asked.popleft()
        if len(asked) >= self.per_window:
            return asked[0] + self.window - now
        asked.append(now)
        return 0.0

    def forget_idle(self) -> None:
        """Drop users with nothing left in their window, so memory stays bounded."""
        horizon = self.clock() - self.window
        for user_id in [u for u, asked in self._asked.items() if not asked or asked[-1] <= horizon]:
            del self._asked[user_id]


class ReadWriteLock:
    """Many readers (answers) at once, or one writer (ingest, delete) alone.

    The vector index is not safe to search while it is being changed; writers wait for
    readers to finish and new readers wait for a waiting writer, so ingest cannot starve."""

    def __init__(self) -> None:
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._writer and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            async with self._changed:
                self._readers -= 1
                self._changed.notify_all()

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        async with self._changed:
            self._writers_waiting += 1
            try:
                await self._changed.wait_for(lambda: not self._writer and not self._readers)
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            async with self._changed:
                self._writer = False
                self._changed.notify_all()
