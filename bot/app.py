"""Builds the Telegram Application over a Newsdesk, and runs it by long polling or webhook."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, LinkPreviewOptions, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from newsdesk import Newsdesk
from newsdesk.bot import admin, callbacks, feeds, follows, handlers, who
from newsdesk.bot.state import App, BotContext, BotState
from newsdesk.config import BotSettings
from newsdesk.errors import NewsdeskError

log = logging.getLogger(__name__)
# Edited messages are left alone: re-answering an edited question would surprise.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
COMMANDS = [
    BotCommand("ask", "Ask a question about the news"),
    BotCommand("sources", "Every source of the last answer"),
    BotCommand("latest", "The newest articles"),
    BotCommand("stats", "What the archive holds"),
    BotCommand("follow", "Get alerts on new articles about a topic"),
    BotCommand("following", "The stories this chat follows"),
    BotCommand("unfollow", "Stop following a story"),
    BotCommand("timeline", "A topic's articles in date order"),
    BotCommand("who", "Who or where: the articles that name someone or somewhere"),
    BotCommand("help", "How to ask"),
    BotCommand("start", "What this bot is"),
]


class RedactToken(logging.Filter):
    """Replaces secrets in every record: httpx logs request URLs, which contain the bot token,
    and PTB's debug log of setWebhook holds the webhook secret."""

    def __init__(self, token: str, *extra: str | None) -> None:
        super().__init__()
        # The part after the colon is the token's secret; it may also appear URL-encoded alone.
        parts = [s for s in (token, token.split(":", 1)[-1]) if len(s) >= 8]
        # Longest first, so the token is replaced whole rather than around its secret part.
        self.secrets = sorted({*parts, *(s for s in extra if s)}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            # Formatted here so the traceback is redacted before any handler prints it.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_token_filter(token: str, *extra: str | None) -> None:
    """Redact the token and the `extra` secrets in every handler of the root logger, and
    quieten httpx.

    Handlers added to the root logger later go without: configure logging first."""
    redactor = RedactToken(token, *extra)
    # lastResort prints warnings and errors when logging was never configured.
    last_resort = [logging.lastResort] if logging.lastResort else []
    for handler in logging.getLogger().handlers + last_resort:
        if not any(
            isinstance(f, RedactToken) and f.secrets == redactor.secrets for f in handler.filters
        ):
            handler.addFilter(redactor)
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def _post_init(app: App) -> None:
    await app.bot.set_my_commands(COMMANDS)


async def _post_shutdown(app: App) -> None:
    # Waits for a question or an ingest under way, so the desk is not closed under it.
    state: BotState = app.bot_data["state"]
    state.shutdown()


def build_application(settings: BotSettings, desk: Newsdesk) -> App:
    """The bot over an open desk (model and index loaded by the caller), handlers installed."""
    install_token_filter(settings.token, settings.webhook_secret)
    app: App = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .context_types(ContextTypes(context=BotContext))
        .rate_limiter(AIORateLimiter(max_retries=settings.max_retries))
        .concurrent_updates(settings.concurrent_updates)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data["state"] = BotState(
        settings=settings,
        desk=desk,
        executor=ThreadPoolExecutor(settings.answer_threads, thread_name_prefix="newsdesk-bot"),
        changes=ThreadPoolExecutor(1, thread_name_prefix="newsdesk-admin"),
        writer=ThreadPoolExecutor(1, thread_name_prefix="newsdesk-writer"),
        feeds=ThreadPoolExecutor(1, thread_name_prefix="newsdesk-feeds"),
    )
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    text = filters.TEXT & ~filters.COMMAND
    # Before every other handler: a chat the bot may not serve stops here.
    app.add_handler(TypeHandler(Update, handlers.gate), group=-1)
    app.add_handlers(
        [
            CommandHandler("start", handlers.start),
            CommandHandler("help", handlers.help_command),
            CommandHandler("ask", handlers.ask),
            CommandHandler("sources", handlers.sources),
            CommandHandler("latest", handlers.latest),
            CommandHandler("stats", handlers.stats),
            CommandHandler("add", admin.add),
            CommandHandler("delete", admin.delete),
            CommandHandler("feed", feeds.feed),
            CommandHandler("follow", follows.follow),
            CommandHandler("following", follows.following),
            CommandHandler("unfollow", follows.unfollow),
            CommandHandler("timeline", follows.timeline),
            CommandHandler("who", who.who),
            MessageHandler(filters.COMMAND & private, handlers.unknown_command),
            MessageHandler(filters.Document.ALL & private, admin.document),
            MessageHandler(text & private, handlers.private_text),
            # Privacy mode delivers only these in groups anyway; the handler checks they
            # are addressed to this bot and not to another.
            MessageHandler(
                text & groups & (filters.Entity(MessageEntity.MENTION) | filters.REPLY),
                handlers.group_text,
            ),
            CallbackQueryHandler(callbacks.button),
            InlineQueryHandler(callbacks.inline_query),
        ]
    )
    app.add_error_handler(handlers.on_error)
    assert app.job_queue is not None  # python-telegram-bot[job-queue] is a dependency
    # One run at a time (APScheduler's default): a slow round is never doubled up.
    app.job_queue.run_repeating(
        feeds.poll_and_alert, interval=settings.feed_check_every, first=1.0, name="feeds"
    )
    return app


def _webhook_options(settings: BotSettings) -> dict[str, Any]:
    url = settings.webhook_url or ""
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlsplit(url).path.lstrip("/"),
        "webhook_url": url,
        # PTB answers 403 to a POST without this header value: only Telegram knows it.
        "secret_token": settings.webhook_secret,
        "allowed_updates": ALLOWED_UPDATES,
    }


def run(app: App) -> None:
    """Serve until Ctrl-C or SIGTERM: by webhook when one is set, else by long polling."""
    settings = settings_of(app)
    if settings.webhook_url:
        app.run_webhook(**_webhook_options(settings))
    else:
        app.run_polling(allowed_updates=ALLOWED_UPDATES)


async def start_updates(app: App, *, poll_timeout: float = 10.0) -> None:
    """Start receiving updates in an already started app (tests, benchmarks, embedding)."""
    settings = settings_of(app)
    assert app.updater is not None  # built with ApplicationBuilder, which makes one
    if app.post_init:  # run_polling and run_webhook call it; the bare updater does not
        await app.post_init(app)
    if settings.webhook_url:
        await app.updater.start_webhook(**_webhook_options(settings))
    else:
        await app.updater.start_polling(
            poll_interval=0, timeout=int(poll_timeout), allowed_updates=ALLOWED_UPDATES
        )


def settings_of(app: App) -> BotSettings:
    """The settings an app was built with."""
    state: BotState = app.bot_data["state"]
    return state.settings


def _without_invalid_token(record: logging.LogRecord) -> bool:
    """PTB logs a rejected token with two tracebacks; `serve` says it in one line instead."""
    return not (record.exc_info and isinstance(record.exc_info[1], InvalidToken))


def serve(app: App) -> None:
    """Run the bot; an error that stops it becomes one NewsdeskError without the token in it.

    Python would print an escaping exception itself, and PTB's InvalidToken names the token."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(_without_invalid_token)
    try:
        run(app)
    except InvalidToken:
        raise NewsdeskError(
            "Telegram rejected the bot token in TELEGRAM_BOT_TOKEN: check it with @BotFather"
        ) from None
    except Exception as error:
        # The traceback goes through logging, whose handlers redact it (install_token_filter).
        log.error("the bot stopped on an error", exc_info=True)
        settings = settings_of(app)
        redactor = RedactToken(settings.token, settings.webhook_secret)
        raise NewsdeskError(redactor.redact(f"the bot stopped: {error!r}")) from None
