"""Inline keyboard buttons under answers (Sources, 👍, 👎) and inline mode (@bot question)."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    Update,
)

from newsdesk.errors import EmptyArchiveError, QueryError
from newsdesk.index.answer import Answer

from .format import answer_html, esc, link, sources_html, split_html
from .replies import reply_pieces
from .state import Ctx, bot_state, recall


async def button(update: Update, context: Ctx) -> None:
    """The Sources, 👍 and 👎 buttons under an answer."""
    query = update.callback_query
    assert query is not None
    message = query.message
    if not isinstance(message, Message):  # too old for Telegram to send it along
        await query.answer("That message is too old; please ask again.")
        return
    record = recall(context, message.message_id)
    if query.data == "src":
        if record is None:
            await query.answer("I no longer remember that answer; please ask again.")
            return
        await query.answer()
        await reply_pieces(message, sources_html(record.answer))
        return
    if not (query.data or "").startswith("fb:"):
        await query.answer()
        return
    if record is not None and query.from_user.id in record.voters:
        await query.answer("Already noted, thank you!")
        return
    if record is not None:
        record.voters.add(query.from_user.id)  # before the await, so a double tap counts once
    # After a restart the answer is forgotten, but the message and its question remain.
    question, text = _rated(record.answer if record else None, message)
    state = bot_state(context)
    await state.run(
        state.desk.archive.add_feedback,
        chat_id=message.chat_id,
        user_id=query.from_user.id,
        question=question,
        answer=text,
        rating=int((query.data or "").removeprefix("fb:")),
    )
    await query.answer("Thanks for the feedback!")


def _rated(answer: Answer | None, message: Message) -> tuple[str, str]:
    if answer is not None:
        return answer.question, answer.text
    asked = message.reply_to_message
    return (asked.text or "" if asked else ""), message.text or ""


# ------------------------------------------------------------------------------- inline mode


@dataclass
class _Inline:
    title: str
    description: str
    html: str
    url: str | None = None


INLINE_OFF = "Inline answers are off here: ask me in a chat"


async def inline_query(update: Update, context: Ctx) -> None:
    """@thisbot question, in any chat: the answer and its top articles as results."""
    query = update.inline_query
    assert query is not None
    state = bot_state(context)
    question = query.query.strip()
    if state.settings.allowed_chats:
        # An inline query names no chat, and its results can be posted in any chat: with
        # NEWSDESK_ALLOWED_CHATS set, inline mode is off. The button opens a private chat
        # with the bot, which answers there if that chat is allowed.
        off = InlineQueryResultsButton(INLINE_OFF, start_parameter="inline")
        await query.answer([], cache_time=0, is_personal=True, button=off)
        return
    # Inline queries have a budget of their own (BotSettings.inline_queries_per_minute):
    # Telegram sends one at each pause in typing, and a half-typed question should not use
    # up the questions the user may ask in chats.
    if not question or state.inline_budget.take(query.from_user.id):
        await query.answer([], cache_time=0, is_personal=True)
        return
    try:
        answer = await state.run(state.answerer.ask, question)
    except (QueryError, EmptyArchiveError):
        await query.answer([], cache_time=0, is_personal=True)
        return
    first = answer.short or answer.text
    entries = [_Inline(first[:100], answer.text[:200], split_html(answer_html(answer))[0])]
    for s in (answer.sources or answer.closest)[:5]:
        facts = f"{s.source or 'unknown outlet'} · {s.date or 'undated'}"
        html = f"{link(s.title, s.url)}\n{esc(facts)}"
        entries.append(_Inline(s.title[:100], facts, html, s.url))
    results = [
        InlineQueryResultArticle(
            id=str(i),
            title=e.title,
            description=e.description,
            input_message_content=InputTextMessageContent(e.html),
            url=e.url if e.url and e.url.startswith(("http://", "https://")) else None,
        )
        for i, e in enumerate(entries)
    ]
    # Results depend on who asks (allowed chats, budgets): Telegram may cache them for that
    # user only, never hand them to another user typing the same query.
    await query.answer(results, cache_time=60, is_personal=True)
