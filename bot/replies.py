"""Shared ways of replying: chat admission, the typing action, split HTML replies, usage."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from telegram import Chat, InlineKeyboardMarkup, Message
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError

from newsdesk.bot.format import esc, split_html
from newsdesk.bot.i18n import say
from newsdesk.bot.state import BotContext

TYPING_EVERY = 4.5  # seconds; Telegram shows "typing…" for about five


@contextlib.asynccontextmanager
async def typing(context: BotContext, chat: Chat) -> AsyncIterator[None]:
    """Show "typing…" in the chat until the block is done.

    In a group, once: Telegram allows a bot about 20 requests a minute per group and counts
    chat actions among them, so repeats would delay the answers themselves."""
    repeat = chat.type == ChatType.PRIVATE

    async def keep_typing() -> None:
        while True:
            # A lost chat action is cosmetic; it must never fail the answer.
            with contextlib.suppress(TelegramError):
                await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
            if not repeat:
                return
            await asyncio.sleep(TYPING_EVERY)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        # The answer is ready: it must not wait for a chat action still queued behind the
        # rate limiter, nor for the next round. Not awaited: the loop finishes the task.
        task.cancel()


async def reply_pieces(
    message: Message, html: str, *, markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Reply with html, split into messages Telegram accepts; markup goes under the last."""
    pieces = split_html(html)
    return [
        await message.reply_html(
            piece, do_quote=True, reply_markup=markup if i == len(pieces) - 1 else None
        )
        for i, piece in enumerate(pieces)
    ]


def usage(error: Exception, lang: str = "en") -> str:
    """A user mistake as a reply: what was wrong, then how to ask."""
    text = str(error)
    return f"{esc(text[:1].upper() + text[1:])}\n\n{say('ask_usage', lang)}"


def command_argument(message: Message) -> str:
    """The text after the command, line breaks kept (context.args would lose them)."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""
