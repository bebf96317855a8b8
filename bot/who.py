"""/who: what the archive holds about a person, group or place."""

from __future__ import annotations

from telegram import Update

from newsdesk import EntityProfile, Mention
from newsdesk.bot.format import esc, link
from newsdesk.bot.replies import command_argument, reply_pieces
from newsdesk.bot.state import BotContext
from newsdesk.errors import QueryError

WHO_USAGE = (
    "Usage: <code>/who &lt;name&gt;</code>, e.g. <code>/who Jassim</code> or "
    "<code>/who al-Jebawi</code>: the articles that name a person, group or place, and the "
    "names seen with it."
)
SHOWN = 8  # articles listed, the newest
RELATED_SHOWN = 8


def _stories(n: int) -> str:
    return f"{n} {'story' if n == 1 else 'stories'}"


def _articles(n: int) -> str:
    return f"{n} {'article' if n == 1 else 'articles'}"


def mention_html(m: Mention) -> str:
    """date — outlet — headline, then the sentence that names it, the name in bold."""
    when = (m.date or "undated")[:10]
    outlet = esc(m.article.source or "unknown outlet")
    head = f"{when} — {outlet} — {link(m.article.title, m.article.url)}"
    at = m.sentence.find(m.spelling)
    if at < 0:
        quote = esc(m.sentence)
    else:
        end = at + len(m.spelling)
        quote = f"{esc(m.sentence[:at])}<b>{esc(m.spelling)}</b>{esc(m.sentence[end:])}"
    return f"{head}\n“{quote}”"


def who_html(profile: EntityProfile) -> str:
    """Who or what it is, first and last seen, its spellings, the names seen with it, and
    the newest articles that name it."""
    if not profile.found:
        return f"Nothing in the archive names <b>{esc(profile.name)}</b>."
    title = f"<b>{esc(profile.name)}</b>" + (f" — {profile.kind}" if profile.kind else "")
    count = f"{_articles(len(profile.mentions))} in {_stories(profile.stories)}"
    lines = [f"{title} · {count}"]
    if profile.first_seen:
        first, last = profile.first_seen[:10], (profile.last_seen or "")[:10]
        lines.append(f"First seen {first}, last seen {last}")
    if len(profile.spellings) > 1:
        lines.append("Spelled: " + esc(", ".join(profile.spellings)))
    if profile.related:
        names = ", ".join(f"{esc(r.name)} ({r.stories})" for r in profile.related[:RELATED_SHOWN])
        lines.append(f"Named with it (stories): {names}")
    shown = profile.mentions[-SHOWN:]
    earlier = len(profile.mentions) - len(shown)
    blocks = ["\n".join(lines)]
    if earlier:
        blocks.append(f"… {_articles(earlier)} before these.")
    blocks += [mention_html(m) for m in shown]
    return "\n\n".join(blocks)


async def who(update: Update, context: BotContext) -> None:
    """/who <name>: the articles that name a person, group or place, and who is named with it."""
    message = update.effective_message
    if message is None:
        return
    name = " ".join(command_argument(message).split())
    if not name:
        await message.reply_html(WHO_USAGE, do_quote=True)
        return
    try:
        profile = await context.state.run(context.desk.entity, name)
    except QueryError as error:
        text = str(error)
        await message.reply_html(
            f"{esc(text[:1].upper() + text[1:])}.\n\n{WHO_USAGE}", do_quote=True
        )
        return
    await reply_pieces(message, who_html(profile))
