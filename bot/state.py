"""What the bot's handlers share: the desk, its threads, and a typed context to reach them."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from telegram.ext import Application, CallbackContext, ExtBot

from newsdesk import Answer, Newsdesk
from newsdesk.config import BotSettings

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class BotState:
    """Loaded once at start-up and kept in bot_data; handlers reach it as `context.state`.

    The desk guards what its threads share (archive, vector index, model), so answers go on
    while an admin's ingest runs; ingests and deletes get a thread of their own (`changes`),
    one at a time, so they never take the threads that answer questions."""

    settings: BotSettings
    desk: Newsdesk
    executor: ThreadPoolExecutor  # answers, searches, listings, the chat memory
    changes: ThreadPoolExecutor  # one thread: uploads, /add and /delete
    feeds: ThreadPoolExecutor  # one thread: polling feeds and matching follows, on a schedule
    writer: ThreadPoolExecutor  # one thread: generated answers, one at a time (CPU-bound)
    rounds: asyncio.Lock = field(default_factory=asyncio.Lock)  # one feeds-and-alerts round
    writing: int = 0  # generated answers running or waiting for the writer

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Call fn on an answering thread, so blocking work never stalls the event loop."""
        return await _on(self.executor, fn, *args, **kwargs)

    async def change(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Call fn (reading, storing or deleting articles) on the admin thread."""
        return await _on(self.changes, fn, *args, **kwargs)

    async def feed(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Call fn (polling feeds, matching follows) on the feeds thread: a slow feed holds
        up neither answers nor an admin's upload."""
        return await _on(self.feeds, fn, *args, **kwargs)

    def shutdown(self) -> None:
        """Wait for work under way, so the desk is not closed under it; drop queued work."""
        # An admin's upload is finished rather than cut: say why stopping may take a while.
        log.info("stopping: finishing answers and any ingest under way")
        for pool in (self.writer, self.feeds, self.changes, self.executor):
            pool.shutdown(wait=True, cancel_futures=True)


async def _on(pool: ThreadPoolExecutor, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, functools.partial(fn, *args, **kwargs))


Data = dict[Any, Any]


class BotContext(CallbackContext[ExtBot[None], Data, Data, Data]):
    """The context every handler gets: the bot's state, and what it remembers of each chat
    (kept in the archive, so follow-ups, Sources and 👍/👎 work across restarts)."""

    @property
    def state(self) -> BotState:
        state: BotState = self.bot_data["state"]
        return state

    @property
    def settings(self) -> BotSettings:
        return self.state.settings

    @property
    def desk(self) -> Newsdesk:
        return self.state.desk

    async def remember(self, chat_id: int, message_ids: Sequence[int], answer: Answer) -> None:
        """Note which answer these bot messages carry."""
        await self.state.run(self.desk.memory.remember, chat_id, message_ids, answer.to_dict())

    async def recall(self, chat_id: int, message_id: int) -> Answer | None:
        """The answer the bot's message `message_id` carries, if remembered."""
        data = await self.state.run(self.desk.memory.recall, chat_id, message_id)
        return Answer.from_dict(data) if data else None

    async def last_answer(self, chat_id: int) -> Answer | None:
        """The last answer given in a chat."""
        data = await self.state.run(self.desk.memory.last, chat_id)
        return Answer.from_dict(data) if data else None

    async def spend_question(self, user_id: int, scope: str, per_minute: int) -> float:
        """Take one of a user's questions: 0.0 when allowed, else seconds to wait."""
        return await self.state.run(self.desk.memory.take, scope, user_id, per_minute)


App = Application[Any, BotContext, Data, Data, Data, Any]
