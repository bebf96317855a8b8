"""A generated answer streamed into the chat after the extractive one.

The extractive answer is sent at once. The language model then writes on a thread of its own,
one answer at a time; its text is shown as it comes — as a draft in private chats
(sendMessageDraft), as edits of the sent answer in groups — no faster than Telegram allows.
The final message keeps the Sources and 👍/👎 buttons; when generation fails, times out or its
answer does not hold against the passages, the extractive answer stays as it was. An answer
marked unsure that the model judges off the point is edited into "I found nothing"."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ChatType
from telegram.error import TelegramError

from newsdesk import JUDGED_OUT, Writing
from newsdesk.bot.format import answer_html, esc, split_html
from newsdesk.bot.state import BotContext

log = logging.getLogger(__name__)
DRAFT_EVERY = 1.0  # seconds between drafts in a private chat
EDIT_EVERY = 3.5  # between edits in a group: Telegram allows a bot 20 messages a minute there


async def stream_generated(
    context: BotContext,
    sent: list[Message],
    writing: Writing,
    buttons: InlineKeyboardMarkup,
    lang: str,
) -> None:
    """Show the generated answer as it is written, then put the checked one in its place
    (newsdesk's own words in `lang`)."""
    state, last = context.state, sent[-1]
    if state.writing >= context.settings.generation_queue:
        log.info("generation queue full: the extractive answer stands")
        return
    state.writing += 1
    try:
        shown = await _stream(context, last, writing, private=last.chat.type == ChatType.PRIVATE)
    finally:
        state.writing -= 1
    answer = await context.state.run(context.desk.reported, writing.answer())
    if answer.generated == JUDGED_OUT:  # the unsure answer gives way to "I found nothing"
        final = await _edit(last, split_html(answer_html(answer, lang))[0], buttons) or last
        await context.remember(final.chat_id, [final.message_id], answer)
        return
    if answer.generated != "grounded":
        if shown and last.chat.type != ChatType.PRIVATE:  # put the extractive answer back
            await _edit(last, split_html(answer_html(writing.extractive, lang))[-1], buttons)
        return
    html = split_html(answer_html(answer, lang))[0]
    if last.chat.type == ChatType.PRIVATE:
        # A draft is only a preview: the final text must be sent to stay in the chat.
        final = await last.reply_html(html, reply_markup=buttons, do_quote=False)
    else:
        final = await _edit(last, html, buttons) or last
    await context.remember(final.chat_id, [final.message_id], answer)


async def _stream(context: BotContext, last: Message, writing: Writing, *, private: bool) -> bool:
    """Show the text as it comes; whether any was shown."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def produce() -> None:
        try:
            for piece in writing.pieces():
                loop.call_soon_threadsafe(queue.put_nowait, piece)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    done = loop.run_in_executor(context.state.writer, produce)
    every = DRAFT_EVERY if private else EDIT_EVERY
    text, shown_at, shown = "", 0.0, False
    while (piece := await queue.get()) is not None:
        text += piece
        if time.monotonic() - shown_at < every or not text.strip():
            continue
        shown_at, shown = time.monotonic(), True
        partial = esc(text.strip()[:4000]) + " …"
        # A lost preview is cosmetic: the final answer still comes.
        with contextlib.suppress(TelegramError):
            if private:
                await context.bot.send_message_draft(last.chat_id, last.message_id, partial)
            else:
                await last.edit_text(partial)
    await done
    return shown


async def _edit(message: Message, html: str, buttons: InlineKeyboardMarkup) -> Message | None:
    try:
        edited = await message.edit_text(html, reply_markup=buttons)
    except TelegramError as e:
        log.warning("could not put the answer in place: %s", e)
        return None
    return edited if isinstance(edited, Message) else None
