"""Fairness between users: question budgets."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

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
