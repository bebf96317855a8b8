"""`newsdesk follows` and `newsdesk timeline`: followed stories and topic timelines."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from newsdesk import Filters, plot_timeline
from newsdesk.cli.feeds import clock_text
from newsdesk.cli.kit import ISO_DATE, Context, article_json, echo_json


@click.command("follows")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def follows_cmd(obj: Context, as_json: bool) -> None:
    """The stories followed in Telegram chats (/follow in the bot)."""
    with obj.desk() as desk:
        follows = desk.follows()
    if as_json:
        echo_json([asdict(f) for f in follows])
        return
    if not follows:
        click.echo("no follows (send /follow TOPIC to the bot in a chat)")
    for f in follows:
        click.echo(f"{f.id:>4}  chat {f.chat_id}  {f.topic!r}  since {clock_text(f.created_at)}")


@click.command("timeline")
@click.argument("topic")
@click.option("--since", type=ISO_DATE, help="Only articles published on or after this date.")
@click.option("--until", type=ISO_DATE, help="Only articles published on or before this date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw it as a PNG chart in this file: articles per day by outlet, the top "
    "stories numbered.",
)
@click.pass_obj
def timeline_cmd(
    obj: Context,
    topic: str,
    since: str | None,
    until: str | None,
    as_json: bool,
    plot: Path | None,
) -> None:
    """The stories about TOPIC in date order, copies of one story on one line."""
    with obj.desk() as desk:
        entries = desk.timeline(topic, filters=Filters(since=since, until=until))
    if as_json:
        echo_json(
            [
                {"article": article_json(e.article), "outlets": e.outlets, "copies": e.copies}
                for e in entries
            ]
        )
    else:
        if not entries:
            click.echo(f"nothing in the archive matches {topic!r}")
        for e in entries:
            click.echo(timeline_line(e.date, e.outlets, e.article.title, e.copies))
    if plot is not None:
        chart = plot_timeline(topic, entries)
        if chart is None:
            raise click.ClickException(f"no chart written: no dated article matches {topic!r}")
        try:
            plot.write_bytes(chart.png)
        except OSError as e:
            raise click.ClickException(f"cannot write the chart to {plot}: {e.strerror}") from None
        days = len(chart.days)
        click.echo(
            f"wrote {plot}: {chart.width}×{chart.height} PNG, {chart.articles} articles on "
            f"{days} {'day' if days == 1 else 'days'}",
            err=True,
        )


def timeline_line(date: str | None, outlets: list[str], title: str, copies: int) -> str:
    """date — outlet(s) — headline (+n copies)."""
    more = f" (+{copies} {'copy' if copies == 1 else 'copies'})" if copies else ""
    return f"{(date or 'undated')[:10]} — {', '.join(outlets) or '-'} — {title}{more}"
