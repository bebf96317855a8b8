"""`newsdesk entity`: what the archive holds about a person, group or place."""

from __future__ import annotations

from typing import Any

import click

from newsdesk import EntityProfile, Filters, Mention
from newsdesk.cli.kit import ISO_DATE, Context, article_json, echo_json

SHOWN = 30  # articles listed by default: the newest


@click.command("entity")
@click.argument("name")
@click.option("--since", type=ISO_DATE, help="Only articles published on or after this date.")
@click.option("--until", type=ISO_DATE, help="Only articles published on or before this date.")
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=SHOWN,
    show_default=True,
    help="List at most this many articles, the newest.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def entity_cmd(
    obj: Context, name: str, since: str | None, until: str | None, limit: int, as_json: bool
) -> None:
    """Who or where NAME is in the archive: the articles that name it over time (date,
    outlet, headline, the sentence), the names seen with it most, first and last seen.
    Spellings are folded: Jebawi, al-Jebawi and الجباوي find the same man."""
    with obj.desk() as desk:
        profile = desk.entity(name, filters=Filters(since=since, until=until))
    shown = profile.mentions[-limit:]
    if as_json:
        echo_json(profile_json(profile, shown))
        return
    if not profile.found:
        click.echo(f"nothing in the archive names {profile.name!r}")
        return
    click.echo(summary_line(profile))
    click.echo(f"spelled: {', '.join(profile.spellings)}")
    if profile.related:
        seen = ", ".join(f"{r.name} ({r.stories})" for r in profile.related)
        click.echo(f"seen with: {seen}")
    earlier = len(profile.mentions) - len(shown)
    if earlier:
        click.echo(f"… {earlier} earlier {'article' if earlier == 1 else 'articles'} (--limit)")
    for m in shown:
        click.echo("")
        click.echo(mention_line(m))
        click.echo(f"    “{m.sentence}”")


def summary_line(profile: EntityProfile) -> str:
    """Jassim — place · 2 articles in 2 stories · first seen …, last seen …"""
    n = len(profile.mentions)
    parts = [profile.name]
    if profile.kind:
        parts.append(profile.kind)
    stories = f"{profile.stories} {'story' if profile.stories == 1 else 'stories'}"
    parts.append(f"{n} {'article' if n == 1 else 'articles'} in {stories}")
    if profile.first_seen:
        parts.append(
            f"first seen {profile.first_seen[:10]}, last seen {(profile.last_seen or '')[:10]}"
        )
    return " — ".join(parts[:2]) + "".join(f" · {p}" for p in parts[2:])


def mention_line(m: Mention) -> str:
    """date — outlet — headline (#id, named n times)."""
    when = (m.date or "undated")[:10]
    times = f", named {m.times} times" if m.times > 1 else ""
    return f"{when} — {m.article.source or '-'} — {m.article.title} (#{m.article.id}{times})"


def profile_json(profile: EntityProfile, shown: list[Mention]) -> dict[str, Any]:
    return {
        "name": profile.name,
        "kind": profile.kind,
        "labels": profile.labels,
        "articles": len(profile.mentions),
        "stories": profile.stories,
        "first_seen": profile.first_seen,
        "last_seen": profile.last_seen,
        "spellings": profile.spellings,
        "related": [
            {"name": r.name, "label": r.label, "stories": r.stories} for r in profile.related
        ],
        "mentions": [
            {
                "article": article_json(m.article),
                "sentence": m.sentence,
                "spelling": m.spelling,
                "label": m.label,
                "times": m.times,
            }
            for m in shown
        ],
    }
