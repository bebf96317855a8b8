"""The bot's handlers for everyone: questions (private and group), commands, and errors."""

from __future__ import annotations

import contextlib
import logging
import math
import re

from telegram import (
    MessageEntity,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from newsdesk import FollowUp
from newsdesk.bot.format import (
    answer_html,
    bullet_list,
    count,
    esc,
    latest_html,
    link,
    sources_html,
    stats_html,
)
from newsdesk.bot.i18n import answer_buttons, language, say
from newsdesk.bot.replies import command_argument, reply_pieces, typing, usage
from newsdesk.bot.state import BotContext
from newsdesk.bot.stream import stream_generated
from newsdesk.errors import EmptyArchiveError, NewsdeskError, QueryError, SearchIndexError

log = logging.getLogger(__name__)

LATEST_DEFAULT, LATEST_MAX = 5, 30

INLINE_HELP = "Anywhere, type my username and a question to get an answer inline."
# Library errors in a chat user's terms: how to fix them is the owner's business.
CHAT_WORDS: list[tuple[type[NewsdeskError], str]] = [(SearchIndexError, "index")]
HELP = "\n".join(
    [
        "<b>How to ask</b>",
        "In a private chat, send any question. In a group, use <code>/ask …</code>, "
        "mention me, or reply to one of my answers. Replying to an answer asks a follow-up "
        "(“who else?”, “when was that?”).",
        INLINE_HELP,
        "",
        "<b>Commands</b>",
        "/ask &lt;question&gt; — ask a question",
        "/sources — every source of the last answer in this chat",
        "/latest [n] — the newest articles (5 unless you say)",
        "/stats — what the archive holds",
        "/follow &lt;topic&gt; — an alert here when new articles about it come in",
        "/following, /unfollow &lt;number&gt; — what this chat follows; stop one",
        "/timeline &lt;topic&gt; — its articles, oldest first",
        "/who &lt;name&gt; — the articles that name a person, group or place",
        "/help — this message",
        "",
        "Under each answer: <b>Sources</b> lists its articles, 👍 / 👎 tell us if it helped.",
    ]
)


async def gate(update: Update, context: BotContext) -> None:
    """Every update passes here first: a chat the bot may not serve gets one polite refusal,
    then silence. Admins pass everywhere: they look after the archive."""
    allowed = context.settings.allowed_chats
    chat, user = update.effective_chat, update.effective_user
    if chat is None or not allowed or chat.id in allowed:
        return
    if user is not None and user.id in context.settings.admins:
        return
    if context.chat_data is not None and not context.chat_data.get("refused"):
        context.chat_data["refused"] = True
        await context.bot.send_message(chat.id, say("not_allowed", language(update)))
    raise ApplicationHandlerStop


async def respond(update: Update, context: BotContext, question: str) -> None:
    """Answer a question in its chat, as a follow-up when it replies to one of our answers."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lang = language(update)
    if not question.strip():
        await message.reply_html(say("ask_usage", lang), do_quote=True)
        return
    per_minute = context.settings.questions_per_minute
    wait = await context.spend_question(user.id, "chat", per_minute)
    if wait:
        await message.reply_html(
            say("budget", lang, n=per_minute, wait=math.ceil(wait)), do_quote=True
        )
        return
    replied = message.reply_to_message
    previous = await context.recall(message.chat_id, replied.message_id) if replied else None
    follow_up = FollowUp(previous.question, previous.text) if previous else None
    try:
        async with typing(context, message.chat):
            answer, writing = await context.state.run(
                context.desk.ask_then_write, question, context=follow_up
            )
    except QueryError as error:
        await message.reply_html(usage(error, lang), do_quote=True)
        return
    except EmptyArchiveError:
        await message.reply_html(say("empty", lang), do_quote=True)
        return
    buttons = answer_buttons(lang)
    sent = await reply_pieces(message, answer_html(answer, lang), markup=buttons)
    await context.remember(message.chat_id, [m.message_id for m in sent], answer)
    if writing is not None:
        await stream_generated(context, sent, writing, buttons, lang)


# ---------------------------------------------------------------------------------- questions


async def private_text(update: Update, context: BotContext) -> None:
    """Any text in a private chat is a question."""
    assert update.effective_message is not None  # the handler's filters guarantee it
    await respond(update, context, update.effective_message.text or "")


async def ask(update: Update, context: BotContext) -> None:
    """/ask <question>, in any chat."""
    assert update.effective_message is not None
    await respond(update, context, command_argument(update.effective_message))


async def group_text(update: Update, context: BotContext) -> None:
    """In groups, a message that mentions the bot or replies to one of its messages."""
    message = update.effective_message
    assert message is not None
    me = f"@{context.bot.username}".lower()
    mentions = message.parse_entities([MessageEntity.MENTION])
    author = message.reply_to_message.from_user if message.reply_to_message else None
    to_me = author is not None and author.id == context.bot.id
    if not to_me and me not in (m.lower() for m in mentions.values()):
        return  # chatter, or a mention of someone else
    # By text, not entity offsets: those count UTF-16 units, and an emoji would shift them.
    question = re.sub(rf"{re.escape(me)}\b", " ", message.text or "", flags=re.IGNORECASE)
    await respond(update, context, " ".join(question.split()))


# ----------------------------------------------------------------------------------- commands


async def start(update: Update, context: BotContext) -> None:
    """/start: what the bot is, what the archive holds, example questions."""
    message = update.effective_message
    if message is None:
        return
    stats = await context.state.run(context.desk.stats)
    newest = await context.state.run(context.desk.articles, limit=3)
    holds = (
        f"The archive holds {count(stats.articles, 'article')} "
        f"from {count(stats.outlets, 'outlet')} "
        f"({esc(stats.dates)})."
        if stats.articles
        else "The archive is empty for now."
    )
    text = [
        "<b>Newsdesk</b> answers questions about the news from an archive of articles, "
        "and cites the articles each answer comes from.",
        holds,
        "",
        "Send me a question, for example:",
        bullet_list(
            [
                "<i>Who was killed in the clashes?</i>",
                "<i>When did the fighting start?</i>",
                "<i>What did the local leader say?</i>",
            ]
        ),
    ]
    if newest:
        text += ["", "Newest headlines:", bullet_list(link(a.title, a.url) for a in newest)]
    text += ["", "/help shows every command."]
    await message.reply_html("\n".join(text))


async def help_command(update: Update, context: BotContext) -> None:
    """/help: how to ask, and the commands."""
    if update.effective_message:
        # With NEWSDESK_ALLOWED_CHATS set, inline mode is off (see callbacks.inline_query).
        off = bool(context.settings.allowed_chats)
        await update.effective_message.reply_html(
            HELP.replace(f"{INLINE_HELP}\n", "") if off else HELP
        )


async def sources(update: Update, context: BotContext) -> None:
    """/sources: every source of the last answer in this chat."""
    message = update.effective_message
    if message is None:
        return
    answer = await context.last_answer(message.chat_id)
    if answer is None:
        await message.reply_html(
            "No answer yet in this chat. " + say("ask_usage", language(update))
        )
        return
    await reply_pieces(message, sources_html(answer))


async def latest(update: Update, context: BotContext) -> None:
    """/latest [n]: the newest articles."""
    message = update.effective_message
    if message is None:
        return
    arg = command_argument(message)
    # ASCII digits only: str.isdigit() takes "²", which int() then refuses.
    if arg and not (re.fullmatch(r"\d{1,3}", arg, re.ASCII) and 1 <= int(arg) <= LATEST_MAX):
        await message.reply_html(f"Usage: /latest [n], with n from 1 to {LATEST_MAX}.")
        return
    articles = await context.state.run(context.desk.articles, limit=int(arg or LATEST_DEFAULT))
    await reply_pieces(message, latest_html(articles))


async def stats(update: Update, context: BotContext) -> None:
    """/stats: articles, outlets, date range, last ingest."""
    message = update.effective_message
    if message is None:
        return
    await message.reply_html(stats_html(await context.state.run(context.desk.stats)))


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not know, in a private chat."""
    if update.effective_message:
        await update.effective_message.reply_html("I don't know that command; see /help.")


# ------------------------------------------------------------------------------------- errors


async def on_error(update: object, context: BotContext) -> None:
    """Log any unexpected error with its traceback, and tell the user briefly."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    error = context.error
    key = next((key for kind, key in CHAT_WORDS if isinstance(error, kind)), "wrong")
    words = say(key, language(update))
    # Telling the user must not raise in turn: this is the last line of defence.
    with contextlib.suppress(TelegramError):
        if update.callback_query:
            await update.callback_query.answer(words)
        elif update.inline_query:
            await update.inline_query.answer([], cache_time=0, is_personal=True)
        elif update.effective_message:
            await update.effective_message.reply_html(esc(words), do_quote=True)
