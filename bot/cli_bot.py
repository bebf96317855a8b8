"""`newsdesk bot`: the Telegram bot's entry point, the only place its environment is read."""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping
from typing import Any

import click
from telegram.error import InvalidToken
from telegram.ext import Application

from .app import (
    TELEGRAM_API,
    TELEGRAM_FILES,
    BotSettings,
    RedactToken,
    build_application,
    run,
    settings_of,
)
from .clikit import Context

log = logging.getLogger(__name__)
App = Application[Any, Any, Any, Any, Any, Any]


def parse_ids(value: str, name: str) -> frozenset[int]:
    """Telegram ids separated by commas or spaces; group ids are negative."""
    ids = [part for part in re.split(r"[\s,]+", value.strip()) if part]
    if not all(re.fullmatch(r"-?\d+", part) for part in ids):
        raise click.UsageError(f"{name} must list numeric Telegram ids, e.g. 12345,-1001234567")
    return frozenset(int(part) for part in ids)


def settings_from_env(
    env: Mapping[str, str],
    *,
    webhook_url: str | None = None,
    webhook_listen: str = "0.0.0.0",
    webhook_port: int = 8443,
    webhook_secret: str | None = None,
    questions_per_minute: int = 10,
) -> BotSettings:
    """BotSettings from TELEGRAM_* / NEWSDESK_* variables and the command's options."""
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        raise click.UsageError(
            "set TELEGRAM_BOT_TOKEN to the token @BotFather gave you (see README, Telegram bot)"
        )
    if webhook_url and not webhook_secret:
        # Telegram sends it back on every webhook call, proving the call came from Telegram.
        webhook_secret = secrets.token_urlsafe(32)
    return BotSettings(
        token=token,
        base_url=env.get("TELEGRAM_API_BASE_URL") or TELEGRAM_API,
        base_file_url=env.get("TELEGRAM_API_FILE_URL") or TELEGRAM_FILES,
        admins=parse_ids(env.get("NEWSDESK_ADMINS", ""), "NEWSDESK_ADMINS"),
        allowed_chats=parse_ids(env.get("NEWSDESK_ALLOWED_CHATS", ""), "NEWSDESK_ALLOWED_CHATS"),
        questions_per_minute=questions_per_minute,
        webhook_url=webhook_url or None,
        webhook_listen=webhook_listen,
        webhook_port=webhook_port,
        webhook_secret=webhook_secret,
    )


@click.command("bot")
@click.option(
    "--webhook-url",
    envvar="NEWSDESK_WEBHOOK_URL",
    help="Public https URL Telegram posts updates to (default: long polling).",
)
@click.option(
    "--webhook-listen",
    envvar="NEWSDESK_WEBHOOK_LISTEN",
    default="0.0.0.0",
    show_default=True,
    help="Address the webhook server binds to.",
)
@click.option(
    "--webhook-port",
    envvar="NEWSDESK_WEBHOOK_PORT",
    type=int,
    default=8443,
    show_default=True,
    help="Port the webhook server listens on.",
)
@click.option(
    "--webhook-secret",
    envvar="NEWSDESK_WEBHOOK_SECRET",
    help="Secret Telegram must send in its header (default: a random one per run).",
)
@click.option(
    "--questions-per-minute",
    envvar="NEWSDESK_QUESTIONS_PER_MINUTE",
    type=click.IntRange(1),
    default=10,
    show_default=True,
    help="Questions each user may ask per minute.",
)
@click.option("--verbose", "-v", is_flag=True, help="Log every update handled.")
@click.pass_obj
def bot_cmd(
    obj: Context,
    webhook_url: str | None,
    webhook_listen: str,
    webhook_port: int,
    webhook_secret: str | None,
    questions_per_minute: int,
    verbose: bool,
) -> None:
    """Run the Telegram bot (token in TELEGRAM_BOT_TOKEN) until Ctrl-C.

    Long polling by default; with --webhook-url, Telegram posts updates to this process.
    NEWSDESK_ADMINS lists the user ids that may add and delete articles; NEWSDESK_ALLOWED_CHATS
    the chats it answers in (default: all).
    """
    settings = settings_from_env(
        os.environ,
        webhook_url=webhook_url,
        webhook_listen=webhook_listen,
        webhook_port=webhook_port,
        webhook_secret=webhook_secret,
        questions_per_minute=questions_per_minute,
    )
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_without_invalid_token)
    with obj.desk() as desk:
        # Load the model and the index now, and warm the model up, so the first question is
        # as quick as the rest.
        desk.embedder.encode(["warm-up"])
        _ = desk.indexer
        click.echo(
            f"newsdesk bot: {desk.archive.stats()['articles']} articles; "
            + (f"webhook at {settings.webhook_url}" if settings.webhook_url else "long polling"),
            err=True,
        )
        serve(build_application(settings, desk))


def _without_invalid_token(record: logging.LogRecord) -> bool:
    """PTB logs a rejected token with two tracebacks; `serve` says it in one line instead."""
    return not (record.exc_info and isinstance(record.exc_info[1], InvalidToken))


def serve(app: App) -> None:
    """Run the bot; an error that stops it becomes one line without the token in it.

    Python would print an escaping exception itself, and PTB's InvalidToken names the token."""
    try:
        run(app)
    except InvalidToken:
        raise click.ClickException(
            "Telegram rejected the bot token in TELEGRAM_BOT_TOKEN: check it with @BotFather"
        ) from None
    except Exception as error:
        # The traceback goes through logging, whose handlers redact it (install_token_filter).
        log.error("the bot stopped on an error", exc_info=True)
        settings = settings_of(app)
        redactor = RedactToken(settings.token, settings.webhook_secret)
        raise click.ClickException(redactor.redact(f"the bot stopped: {error!r}")) from None
