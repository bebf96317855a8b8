"""`newsdesk bot`: the Telegram bot's entry point, the only place its environment is read.

python-telegram-bot is imported when the command runs, so the other commands never load it.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping

import click

from newsdesk.cli.kit import Context
from newsdesk.config import TELEGRAM_API, TELEGRAM_FILES, BotSettings

DEFAULTS = BotSettings(token="")


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
    webhook_listen: str = DEFAULTS.webhook_listen,
    webhook_port: int = DEFAULTS.webhook_port,
    webhook_secret: str | None = None,
    questions_per_minute: int = DEFAULTS.questions_per_minute,
) -> BotSettings:
    """BotSettings from TELEGRAM_* / NEWSDESK_* variables and the command's options."""
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        raise click.UsageError(
            "set TELEGRAM_BOT_TOKEN to the token @BotFather gave you (see README, Telegram bot)"
        )
    group_follows = env.get("NEWSDESK_GROUP_FOLLOWS", DEFAULTS.group_follows).strip().lower()
    if group_follows not in ("everyone", "admins"):
        raise click.UsageError("NEWSDESK_GROUP_FOLLOWS must be `everyone` or `admins`")
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
        group_follows=group_follows,
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
    default=DEFAULTS.webhook_listen,
    show_default=True,
    help="Address the webhook server binds to.",
)
@click.option(
    "--webhook-port",
    envvar="NEWSDESK_WEBHOOK_PORT",
    type=int,
    default=DEFAULTS.webhook_port,
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
    default=DEFAULTS.questions_per_minute,
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
    from newsdesk.bot.app import build_application, serve  # the one command that needs Telegram

    with obj.desk() as desk:
        desk.warm_up()  # so the first question is as quick as the rest
        click.echo(
            f"newsdesk bot: {desk.stats().articles} articles; "
            + (f"webhook at {settings.webhook_url}" if settings.webhook_url else "long polling"),
            err=True,
        )
        serve(build_application(settings, desk))
