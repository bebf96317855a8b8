"""Telegram HTML for the bot's replies: escaping, answer and source layout, safe splitting."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from newsdesk import Answer, ArchiveStats, Article, IngestReport, Source
from newsdesk.bot.i18n import say

MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units of the text after entity parsing
# A bare "<" or "&" never occurs in escaped text, but it still counts as one character.
_ATOM = re.compile(r"<[^>]*>|&#?\w+;|[\s\S]")
_TAG_NAME = re.compile(r"</?([a-zA-Z-]+)")
_SENTENCE_END = ".!?…。؟"


def esc(text: object) -> str:
    """Text safe inside Telegram HTML, attribute values included."""
    return html.escape(str(text), quote=True)


def link(text: str, url: str | None) -> str:
    """A link when the URL is a web address, else the escaped text alone."""
    if url and url.lower().startswith(("http://", "https://")) and " " not in url:
        return f'<a href="{esc(url)}">{esc(text)}</a>'
    return esc(text)


def visible_len(markup: str) -> int:
    """What Telegram counts against MAX_MESSAGE: UTF-16 units of the text without tags."""
    text = html.unescape(re.sub(r"<[^>]*>", "", markup)).strip()
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Atom:
    """One indivisible piece of HTML: a tag, an entity or a single character."""

    raw: str
    width: int  # UTF-16 units it shows as
    tag: str | None = None  # tag name for tags
    closing: bool = False


def _atoms(markup: str) -> list[_Atom]:
    out = []
    for m in _ATOM.finditer(markup):
        raw = m.group()
        if raw.startswith("<"):
            name = _TAG_NAME.match(raw)
            out.append(_Atom(raw, 0, name.group(1).lower() if name else "", raw.startswith("</")))
        else:
            out.append(_Atom(raw, len(html.unescape(raw).encode("utf-16-le")) // 2))
    return out


def _break_rank(atoms: Sequence[_Atom], i: int) -> int:
    """How good a place it is to cut before atoms[i]: 4 paragraph … 1 word, 0 anywhere."""
    prev = atoms[i - 1].raw if i > 0 else ""
    before = atoms[i - 2].raw if i > 1 else ""
    if prev == "\n" and before == "\n":
        return 4
    if prev == "\n":
        return 3
    if prev == " " and before and before[-1] in _SENTENCE_END:
        return 2
    if prev == " ":
        return 1
    return 0


def split_html(markup: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Pieces of at most `limit` visible characters, each valid HTML on its own.

    Cuts at the last paragraph break, else line break, sentence end or space in the second half
    of a piece; tags open at a cut are closed before it and reopened after it, and tags and
    entities are never cut."""
    if visible_len(markup) <= limit:
        return [markup] if markup.strip() else []
    atoms = _atoms(markup)
    pieces: list[str] = []
    stack: list[_Atom] = []  # tags open where the current piece starts
    start = 0
    while start < len(atoms):
        opened = list(stack)
        width, end, best, best_rank = 0, start, start, -1
        while end < len(atoms) and width + atoms[end].width <= limit:
            width += atoms[end].width
            end += 1
            rank = _break_rank(atoms, end) if end < len(atoms) else 5
            # Only the second half counts, so a break near the start never makes a tiny piece.
            if rank >= best_rank and (width * 2 >= limit or rank == 5):
                best, best_rank = end, rank
        cut = best if best > start else max(end, start + 1)
        for atom in atoms[start:cut]:
            if atom.tag is not None and atom.closing:
                if stack:
                    stack.pop()
            elif atom.tag is not None:
                stack.append(atom)
        body = "".join(a.raw for a in atoms[start:cut])
        closing = "".join(f"</{a.tag}>" for a in reversed(stack))
        piece = "".join(a.raw for a in opened) + body + closing
        if visible_len(piece):
            pieces.append(piece.strip())
        start = cut
    return pieces


def _facts(s: Source) -> str:
    also = [f"also reported by {', '.join(s.also)}"] if s.also else []
    return " · ".join(esc(x) for x in [s.source or "unknown outlet", s.date or "undated", *also])


def answer_html(answer: Answer, lang: str = "en") -> str:
    """The answer with its [n] markers (the fact asked for first, in bold), and a short line
    per cited (or closest) article; newsdesk's own words in `lang`."""
    fact, _, said = answer.text.partition("\n")
    if not answer.answerable and lang != "en":
        lines = [esc(say("nothing", lang))]
    else:
        lines = [f"<b>{esc(fact)}</b>\n{esc(said)}" if answer.short and said else esc(answer.text)]
        if answer.answerable and answer.unsure:
            lines.insert(0, f"<i>{esc(say('unsure', lang))}</i>")
    listed = answer.sources if answer.answerable else answer.closest
    if listed:
        lines.append("" if answer.answerable else f"\n<i>{esc(say('closest', lang))}</i>")
    for s in listed:
        lines.append(f"[{s.n}] {link(s.title, s.url)} — {_facts(s)}")
    return "\n".join(lines)


def sources_html(answer: Answer) -> str:
    """Every source of an answer: outlet, title, date, link and article id."""
    listed = answer.sources or answer.closest or answer.retrieved
    if not listed:
        return "That answer cites no articles."
    blocks = [f"<b>Sources for:</b> {esc(answer.question)}"]
    for s in listed:
        url = f"\n{link(s.url, s.url)}" if s.url else ""
        blocks.append(f"<b>[{s.n}] {esc(s.title)}</b>\n{_facts(s)} · article {s.article_id}{url}")
    return "\n\n".join(blocks)


def latest_html(articles: Sequence[Article]) -> str:
    """The newest articles, one short block each."""
    if not articles:
        return "The archive is empty."
    blocks = [f"<b>The {len(articles)} newest articles</b>"]
    for a in articles:
        when = (a.date or "undated")[:10]
        outlet = esc(a.source or "unknown outlet")
        blocks.append(f"{link(a.title, a.url)}\n{outlet} · {when} · #{a.id}")
    return "\n\n".join(blocks)


def stats_html(stats: ArchiveStats) -> str:
    """What the archive holds, as /stats shows it."""
    if not stats.articles:
        return "The archive is empty: an admin can add articles by sending me files."
    lines = [
        f"<b>Articles:</b> {stats.articles:,} ({stats.stories:,} distinct stories)",
        f"<b>Outlets:</b> {stats.outlets:,}",
        f"<b>Published:</b> {esc(stats.dates)}",
        f"<b>Last ingest:</b> {esc((stats.last_ingest or '-')[:16].replace('T', ' '))} UTC",
    ]
    top = stats.top_outlets
    if top:
        lines.append("<b>Top outlets:</b> " + ", ".join(f"{esc(k)} ({v})" for k, v in top.items()))
    return "\n".join(lines)


def ingest_html(report: IngestReport, what: str, *, shown: int = 20) -> str:
    """What an ingest did: the counts, then each outcome and failure with its reason."""
    counts = ", ".join(f"{v} {k}" for k, v in report.summary().items())
    lines = [f"<b>{esc(what)}</b>: {esc(counts)}"]
    items: list[str] = []
    for o in report.outcomes:
        extra = f" (same story as #{o.duplicate_of})" if o.duplicate_of else ""
        extra += f" (read as {esc(o.encoding)})" if o.encoding else ""
        items.append(f"{esc(o.status)} #{o.article_id}: {esc(o.title or o.origin)}{extra}")
    items += [f"failed: {esc(f.origin)}: {esc(f.reason)}" for f in report.failures]
    lines += items[:shown]
    if len(items) > shown:
        lines.append(f"… and {len(items) - shown} more")
    return "\n".join(lines)


def count(n: int, noun: str) -> str:
    """ "1 article", "2 articles"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def bullet_list(items: Iterable[str]) -> str:
    """Lines with a bullet each."""
    return "\n".join(f"• {item}" for item in items)
