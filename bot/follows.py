"""Following stories in a chat (/follow, /following, /unfollow), their alerts, /timeline
(a chart, then the lines)."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType

from newsdesk import AlertMessage, Article, TimelineChart, TimelineEntry, plot_timeline
from newsdesk.bot.admin import is_admin
from newsdesk.bot.format import bullet_list, esc, link
from newsdesk.bot.replies import command_argument, reply_pieces
from newsdesk.bot.state import BotContext
from newsdesk.errors import EmptyArchiveError, FollowNotFound, QueryError

FOLLOW_USAGE = (
    "Usage: <code>/follow &lt;topic&gt;</code>, e.g. <code>/follow Jassim clashes</code>: "
    "I post a short alert here when a new article about it comes in."
)
UNFOLLOW_USAGE = "Usage: <code>/unfollow &lt;number or topic&gt;</code> (see /following)."
TIMELINE_USAGE = (
    "Usage: <code>/timeline &lt;topic&gt;</code>, e.g. <code>/timeline Jassim</code>: "
    "the articles about it, oldest first."
)
GROUP_ADMINS_ONLY = "In this group, only the archive's admins can follow or unfollow stories."
BATCH_SHOWN = 10  # lines in one batched alert; the rest are counted


def _when(article: Article) -> str:
    return (article.date or "undated")[:10]


def alert_html(message: AlertMessage) -> str:
    """One alert (headline, outlet, date, link), or several folded into one message."""
    if len(message.alerts) == 1:
        [(article, topic)] = message.alerts
        return (
            f"🔔 New on <b>{esc(topic)}</b>: {link(article.title, article.url)}\n"
            f"{esc(article.source or 'unknown outlet')} · {_when(article)}"
        )
    shown = message.alerts[:BATCH_SHOWN]
    lines = [
        f"{link(a.title, a.url)} — {esc(a.source or '?')}, {_when(a)} ({esc(topic)})"
        for a, topic in shown
    ]
    rest = len(message.alerts) - len(shown)
    more = f"\n… and {rest} more" if rest else ""
    return (
        f"🔔 {len(message.alerts)} new articles on stories you follow:\n{bullet_list(lines)}{more}"
    )


def timeline_html(topic: str, entries: list[TimelineEntry]) -> str:
    """date — outlet — headline, one line per story, oldest first."""
    if not entries:
        return f"Nothing in the archive matches <b>{esc(topic)}</b>."
    lines = []
    for e in entries:
        copies = f" (+{e.copies})" if e.copies else ""
        outlets = esc(", ".join(e.outlets) or "unknown outlet")
        lines.append(
            f"{_when(e.article)} — {outlets} — {link(e.article.title, e.article.url)}{copies}"
        )
    return f"<b>Timeline: {esc(topic)}</b>\n" + "\n".join(lines)


def chart_caption(topic: str, chart: TimelineChart) -> str:
    """What the chart shows, in a line or two (a caption holds at most 1,024 characters)."""
    days = len(chart.days)
    first, last = chart.days[0].day, chart.days[-1].day
    span = first if first == last else f"{first} to {last}"
    text = (
        f"<b>Timeline: {esc(topic)}</b>\n{chart.articles} "
        f"{'article' if chart.articles == 1 else 'articles'} on {days} "
        f"{'day' if days == 1 else 'days'}, {span}, by outlet"
    )
    if chart.marked:
        text += "; the numbers mark the top stories, named under the chart"
    if chart.undated:
        text += f" ({chart.undated} undated, not shown)"
    return text + "."


async def _may_follow(message: Message, update: Update, context: BotContext) -> bool:
    """In groups set to admins-only follows, only NEWSDESK_ADMINS pass; others hear why."""
    group = message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
    if group and context.settings.group_follows == "admins" and not is_admin(update, context):
        await message.reply_html(GROUP_ADMINS_ONLY, do_quote=True)
        return False
    return True


async def follow(update: Update, context: BotContext) -> None:
    """/follow <topic>: alert this chat when new articles match the topic."""
    message, user = update.effective_message, update.effective_user
    if message is None or not await _may_follow(message, update, context):
        return
    topic = " ".join(command_argument(message).split())
    if not topic:
        await message.reply_html(FOLLOW_USAGE, do_quote=True)
        return
    try:
        followed = await context.state.run(
            context.desk.follow, message.chat_id, topic, user.id if user else None
        )
    except QueryError as error:
        await message.reply_html(f"{esc(error)}.\n\n{FOLLOW_USAGE}", do_quote=True)
        return
    per_hour = context.settings.alerts_per_hour
    await message.reply_html(
        f"Following <b>{esc(followed.topic)}</b> here (#{followed.id}). New articles about it "
        f"get a short alert, at most {per_hour} messages an hour. "
        f"/following lists what this chat follows; /unfollow {followed.id} stops this one.",
        do_quote=True,
    )


async def following(update: Update, context: BotContext) -> None:
    """/following: the stories this chat follows."""
    message = update.effective_message
    if message is None:
        return
    follows = await context.state.run(context.desk.follows, message.chat_id)
    if not follows:
        await message.reply_html("This chat follows no story yet. " + FOLLOW_USAGE)
        return
    lines = [f"#{f.id} <b>{esc(f.topic)}</b>" for f in follows]
    await reply_pieces(message, "This chat follows:\n" + bullet_list(lines))


async def unfollow(update: Update, context: BotContext) -> None:
    """/unfollow <number or topic>: stop following a story here."""
    message = update.effective_message
    if message is None or not await _may_follow(message, update, context):
        return
    ref = command_argument(message).removeprefix("#")
    if not ref:
        await message.reply_html(UNFOLLOW_USAGE, do_quote=True)
        return
    try:
        stopped = await context.state.run(context.desk.unfollow, message.chat_id, ref)
    except FollowNotFound:
        await message.reply_html(
            f"This chat follows nothing called “{esc(ref)}”; see /following.", do_quote=True
        )
        return
    await message.reply_html(f"Stopped following <b>{esc(stopped.topic)}</b>.", do_quote=True)


async def timeline(update: Update, context: BotContext) -> None:
    """/timeline <topic>: a chart of the matching articles per day, then one line per story."""
    message = update.effective_message
    if message is None:
        return
    topic = " ".join(command_argument(message).split())
    if not topic:
        await message.reply_html(TIMELINE_USAGE, do_quote=True)
        return
    try:
        entries = await context.state.run(context.desk.timeline, topic)
    except QueryError as error:
        await message.reply_html(f"{esc(error)}.\n\n{TIMELINE_USAGE}", do_quote=True)
        return
    except EmptyArchiveError:
        await message.reply_html("The archive is empty for now.", do_quote=True)
        return
    # Drawn on an answering thread: a chart takes a few hundred milliseconds of CPU.
    chart = await context.state.run(plot_timeline, topic, entries)
    if chart is not None:
        await message.reply_photo(
            chart.png, caption=chart_caption(topic, chart), filename="timeline.png", do_quote=True
        )
    await reply_pieces(message, timeline_html(topic, entries))
