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

from newsdesk import Answer
from newsdesk.bot.format import answer_html, esc, link, sources_html, split_html
from newsdesk.bot.replies import reply_pieces
from newsdesk.bot.state import BotContext
from newsdesk.errors import EmptyArchiveError, QueryError


async def button(update: Update, context: BotContext) -> None:
    """The Sources, 👍 and 👎 buttons under an answer."""
    query = update.callback_query
    assert query is not None
    message = query.message
    if not isinstance(message, Message):  # too old for Telegram to send it along
        await query.answer("That message is too old; please ask again.")
        return
    answer = await context.recall(message.chat_id, message.message_id)
    if query.data == "src":
        if answer is None:
            await query.answer("I no longer remember that answer; please ask again.")
            return
        await query.answer()
        await reply_pieces(message, sources_html(answer))
        return
    if not (query.data or "").startswith("fb:"):
        await query.answer()
        return
    state = context.state
    first = await state.run(
        context.desk.memory.vote, message.chat_id, message.message_id, query.from_user.id
    )
    if not first:
        await query.answer("Already noted, thank you!")
        return
    # An answer forgotten (expired) still has its message and the question it replies to.
    question, text = _rated(answer, message)
    await state.run(
        context.desk.feedback,
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


async def inline_query(update: Update, context: BotContext) -> None:
    """@thisbot question, in any chat: the answer and its top articles as results."""
    query = update.inline_query
    assert query is not None
    state, settings = context.state, context.settings
    question = query.query.strip()
    if settings.allowed_chats:
        # An inline query names no chat, and its results can be posted in any chat: with
        # NEWSDESK_ALLOWED_CHATS set, inline mode is off. The button opens a private chat
        # with the bot, which answers there if that chat is allowed.
        off = InlineQueryResultsButton(INLINE_OFF, start_parameter="inline")
        await query.answer([], cache_time=0, is_personal=True, button=off)
        return
    # Inline queries have a budget of their own (BotSettings.inline_queries_per_minute):
    # Telegram sends one at each pause in typing, and a half-typed question should not use
    # up the questions the user may ask in chats.
    if not question or await context.spend_question(
        query.from_user.id, "inline", settings.inline_queries_per_minute
    ):
        await query.answer([], cache_time=0, is_personal=True)
        return
    try:
        answer = await state.run(context.desk.ask, question)
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
