"""Followed feeds in the bot: the admins' /feed command, and the scheduled job that polls
the feeds, matches new articles against follows and sends the alerts."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, TelegramError

from newsdesk import Feed
from newsdesk.bot.admin import admin_only
from newsdesk.bot.follows import alert_html
from newsdesk.bot.format import bullet_list, esc
from newsdesk.bot.replies import reply_pieces
from newsdesk.bot.state import BotContext
from newsdesk.errors import FeedError, NewsdeskError

log = logging.getLogger(__name__)

FEED_USAGE = (
    "Usage:\n"
    "<code>/feed add &lt;RSS or Atom URL&gt;</code> — follow a feed\n"
    "<code>/feed list</code> — the followed feeds and how their last poll went\n"
    "<code>/feed remove &lt;number or URL&gt;</code> — stop following one"
)


def feed_line(feed: Feed) -> str:
    return f"#{feed.id} <b>{esc(feed.name)}</b> — {esc(feed.state())}, {feed.articles} articles"


@admin_only
async def feed(update: Update, context: BotContext) -> None:
    """/feed add|list|remove: admins manage the feeds the bot follows."""
    message = update.effective_message
    assert message is not None
    parts = (message.text or "").split()
    action, args = (parts[1].lower() if len(parts) > 1 else ""), parts[2:]
    desk, state = context.desk, context.state
    try:
        if action == "list" and not args:
            feeds = await state.run(desk.feeds)
            text = bullet_list(map(feed_line, feeds)) if feeds else "No feeds followed yet."
            await reply_pieces(message, text)
        elif action == "add" and len(args) == 1 and args[0].startswith(("http://", "https://")):
            # On the admin thread: checking the feed means fetching it.
            added = await state.change(desk.add_feed, args[0])
            await message.reply_html(
                f"Following feed #{added.id}: <b>{esc(added.name)}</b>. "
                "Its new articles come in with the next poll.",
                do_quote=True,
            )
            await poll_and_alert(context)  # now rather than at the next scheduled round
        elif action == "remove" and len(args) == 1:
            removed = await state.run(desk.remove_feed, args[0])
            await message.reply_html(
                f"Stopped following feed #{removed.id}: {esc(removed.name)} "
                "(its articles stay in the archive).",
                do_quote=True,
            )
        else:
            await message.reply_html(FEED_USAGE, do_quote=True)
    except FeedError as error:
        await message.reply_html(f"{esc(error)}.", do_quote=True)


async def poll_and_alert(context: BotContext) -> None:
    """Job: poll the due feeds and match new articles on the feeds thread, then send the
    alerts due, within each chat's hourly budget."""
    state = context.state
    # One round at a time: two rounds could both pick the same queued alert and send it twice.
    async with state.rounds:
        try:
            await state.feed(state.desk.poll_feeds)
            await state.feed(state.desk.match_follows)
        except NewsdeskError as error:  # e.g. an index that needs rebuilding: alerts wait
            log.warning("feeds and follows skipped this round: %s", error)
        settings = state.settings
        # A chat dropped from NEWSDESK_ALLOWED_CHATS since it followed hears nothing more
        # (an admin's private chat is served everywhere, as by the gate).
        allowed = settings.allowed_chats | settings.admins
        for alert in await state.run(state.desk.due_alerts, settings.alerts_per_hour):
            if settings.allowed_chats and alert.chat_id not in allowed:
                await state.run(state.desk.alert_sent, alert)
                continue
            try:
                await context.bot.send_message(alert.chat_id, alert_html(alert))
            except (Forbidden, BadRequest) as error:
                # The bot was removed from the chat, or it is gone: this alert can never go.
                log.info("alert for chat %s dropped: %s", alert.chat_id, error)
            except TelegramError as error:
                log.warning("alerts wait for the next round: %s", error)
                return
            await state.run(state.desk.alert_sent, alert)
