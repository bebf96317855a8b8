"""Admin-only handlers: add articles from uploaded files or URLs, delete articles."""

from __future__ import annotations

import functools
import re
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from telegram import Update

from newsdesk import KIND_BY_EXTENSION
from newsdesk.bot.format import esc, ingest_html
from newsdesk.bot.replies import reply_pieces, typing
from newsdesk.bot.state import BotContext
from newsdesk.errors import ArticleNotFound

ONLY_ADMINS = (
    "Sorry, only the archive's admins can add or delete articles. "
    "You can still ask me anything about what it holds."
)
READABLE = ", ".join(sorted(KIND_BY_EXTENSION))
Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def is_admin(update: Update, context: BotContext) -> bool:
    """Whether the sender is listed in NEWSDESK_ADMINS."""
    user = update.effective_user
    return user is not None and user.id in context.settings.admins


def admin_only(handler: Handler) -> Handler:
    """Let only NEWSDESK_ADMINS through; anyone else gets a polite refusal."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext) -> None:
        if is_admin(update, context):
            await handler(update, context)
        elif update.effective_message:
            await update.effective_message.reply_html(ONLY_ADMINS, do_quote=True)

    return guarded


@admin_only
async def document(update: Update, context: BotContext) -> None:
    """A file from an admin in a private chat: ingest it and summarise what was added."""
    message = update.effective_message
    assert message is not None and message.document is not None
    state = context.state
    doc = message.document
    name = doc.file_name or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in KIND_BY_EXTENSION:
        await message.reply_html(
            f"I can't read {esc(name)}: send one of {esc(READABLE)}.", do_quote=True
        )
        return
    if doc.file_size and doc.file_size > state.desk.settings.max_input_bytes:
        await message.reply_html(f"{esc(name)} is too large for me to read.", do_quote=True)
        return
    async with typing(context, message.chat):
        with tempfile.TemporaryDirectory(prefix="newsdesk-bot-") as folder:
            # Our own file name, so nothing the sender chose reaches the file system; the
            # extension tells the reader the format.
            path = Path(folder) / f"upload{suffix}"
            telegram_file = await doc.get_file()
            await telegram_file.download_to_drive(path)
            # On the admin thread: questions go on being answered while it is indexed.
            report = await state.change(state.desk.ingest, [str(path)], labels={str(path): name})
    await reply_pieces(message, ingest_html(report, name))


@admin_only
async def add(update: Update, context: BotContext) -> None:
    """/add <url>: an admin adds a web page or a feed."""
    message = update.effective_message
    assert message is not None
    parts = (message.text or "").split()
    url = parts[1] if len(parts) == 2 else ""
    if not url.lower().startswith(("http://", "https://")):
        await message.reply_html(
            "Usage: /add &lt;http(s) URL of an article or a feed&gt;", do_quote=True
        )
        return
    async with typing(context, message.chat):
        report = await context.state.change(context.desk.ingest, [url])
    await reply_pieces(message, ingest_html(report, url))


@admin_only
async def delete(update: Update, context: BotContext) -> None:
    """/delete <article id>: an admin removes an article from the archive and the index."""
    message = update.effective_message
    assert message is not None
    parts = (message.text or "").split()
    # ASCII digits only: str.isdigit() takes "²", which int() then refuses.
    if len(parts) != 2 or not re.fullmatch(r"\d{1,18}", parts[1], re.ASCII):
        await message.reply_html(
            "Usage: /delete &lt;article id&gt; (see /latest for ids)", do_quote=True
        )
        return
    try:
        deleted = await context.state.change(context.desk.delete, int(parts[1]))
    except ArticleNotFound:
        await message.reply_html(
            f"There is no article {parts[1]}; see /latest for ids.", do_quote=True
        )
        return
    await message.reply_html(f"Deleted article {parts[1]}: {esc(deleted.title)}", do_quote=True)
