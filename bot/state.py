"""What the bot's handlers share: the desk and answerer, limits, and per-chat memory."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from telegram.ext import ContextTypes

from newsdesk.index.answer import Answer, Answerer
from newsdesk.index.desk import Newsdesk

from .limits import QuestionBudget

if TYPE_CHECKING:
    from .app import BotSettings

T = TypeVar("T")
log = logging.getLogger(__name__)
Ctx = ContextTypes.DEFAULT_TYPE
# Answers remembered per chat, for follow-ups, the Sources button and feedback.
MEMORY = 200


@dataclass
class BotState:
    """Loaded once at start-up and kept in bot_data; handlers reach it through `bot_state`.

    The desk guards what its threads share (archive, vector index, model), so answers go on
    while an admin's ingest runs; ingests and deletes get a thread of their own (`changes`),
    one at a time, so they never take the threads that answer questions."""

    settings: BotSettings
    desk: Newsdesk
    answerer: Answerer
    budget: QuestionBudget  # questions asked in chats, per user
    inline_budget: QuestionBudget  # inline queries, per user: one comes per pause in typing
    executor: ThreadPoolExecutor  # answers, searches, listings
    changes: ThreadPoolExecutor  # one thread: uploads, /add and /delete

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Call fn on an answering thread, so blocking work never stalls the event loop."""
        return await _on(self.executor, fn, *args, **kwargs)

    async def change(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Call fn (reading, storing or deleting articles) on the admin thread."""
        return await _on(self.changes, fn, *args, **kwargs)

    def shutdown(self) -> None:
        """Wait for work under way, so the desk is not closed under it; drop queued work."""
        # An admin's upload is finished rather than cut: say why stopping may take a while.
        log.info("stopping: finishing answers and any ingest under way")
        for pool in (self.changes, self.executor):
            pool.shutdown(wait=True, cancel_futures=True)


async def _on(pool: ThreadPoolExecutor, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, functools.partial(fn, *args, **kwargs))


def bot_state(context: Ctx) -> BotState:
    state: BotState = context.bot_data["state"]
    return state


@dataclass
class Remembered:
    """An answer the bot sent, and who has rated it (one vote per person)."""

    answer: Answer
    voters: set[int] = field(default_factory=set)


def _chat_memory(context: Ctx) -> dict[str, Any]:
    if context.chat_data is None:  # only inline queries come without a chat
        raise RuntimeError("no chat for this update")
    return context.chat_data


def remember(context: Ctx, message_ids: list[int], answer: Answer) -> None:
    """Note which question produced these bot messages; the oldest are forgotten past MEMORY."""
    memory = _chat_memory(context)
    answers: dict[int, Remembered] = memory.setdefault("answers", {})
    record = Remembered(answer)
    for message_id in message_ids:
        answers[message_id] = record
    while len(answers) > MEMORY:
        del answers[next(iter(answers))]
    memory["last"] = answer


def recall(context: Ctx, message_id: int) -> Remembered | None:
    """The answer that the bot's message `message_id` in this chat carries, if remembered."""
    answers: dict[int, Remembered] = _chat_memory(context).get("answers", {})
    return answers.get(message_id)


def last_answer(context: Ctx) -> Answer | None:
    """The last answer given in this chat."""
    answer: Answer | None = _chat_memory(context).get("last")
    return answer
