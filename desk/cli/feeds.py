"""`newsdesk feeds …` and `newsdesk watch`: followed RSS/Atom feeds from the command line."""

from __future__ import annotations

import re
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click

from newsdesk import Feed, PollResult
from newsdesk.cli.kit import Context, echo_json
from newsdesk.config import Settings

WATCH_NAP = 60.0  # seconds at most between two looks at the list: feeds added meanwhile count
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class Duration(click.ParamType):
    """A duration like 90s, 15m, 2h or 1d (a bare number is minutes), in seconds."""

    name = "DURATION"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(value).lower())
        seconds = float(match[1]) * _UNITS[match[2] or "m"] if match else 0.0
        if seconds < 60:
            self.fail(f"{value!r} is not a duration of at least a minute, like 15m or 2h")
        return seconds


DURATION = Duration()


def duration_text(seconds: float) -> str:
    """900 → "15m", 7200 → "2h"."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{round(seconds / 60)}m"


def clock_text(when: float | None) -> str:
    if when is None:
        return "-"
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M UTC")


def feed_json(feed: Feed) -> dict[str, Any]:
    return asdict(feed) | {"name": feed.name, "state": feed.state()}


def poll_line(result: PollResult) -> str:
    """One line per feed polled: its number, its name, and what happened."""
    line = f"feed {result.feed.id} ({result.feed.name}): {result.feed.state()}"
    failed = len(result.failures)
    return line + (f"; {failed} items unreadable" if failed else "")


@click.group("feeds")
def feeds_cmd() -> None:
    """Follow RSS/Atom feeds: new items are ingested as they appear."""


@feeds_cmd.command("add")
@click.argument("url")
@click.option(
    "--every",
    type=DURATION,
    default=duration_text(Settings.feed_every),
    show_default=True,
    help="How often to poll (e.g. 30m, 2h); a longer TTL in the feed wins.",
)
@click.option("--source", help="Outlet name for its articles (default: the feed's title).")
@click.pass_obj
def feeds_add(obj: Context, url: str, every: float, source: str | None) -> None:
    """Follow the feed at URL (checked now; its items arrive with the next poll)."""
    with obj.desk() as desk:
        feed = desk.add_feed(url, every=every, source=source)
    click.echo(
        f"following feed {feed.id} ({feed.name}) every {duration_text(feed.every)}; "
        "`newsdesk feeds poll` fetches it now"
    )


@feeds_cmd.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def feeds_list(obj: Context, as_json: bool) -> None:
    """The followed feeds, how their last poll went, and when each is due."""
    with obj.desk() as desk:
        feeds = desk.feeds()
    if as_json:
        echo_json([feed_json(f) for f in feeds])
        return
    if not feeds:
        click.echo("no feeds followed (add one with `newsdesk feeds add URL`)")
    for f in feeds:
        click.echo(f"{f.id:>4}  {f.name}  <{f.url}>  every {duration_text(f.interval)}")
        click.echo(
            f"      {f.state()}; {f.articles} articles; last poll {clock_text(f.last_poll)}, "
            f"next {clock_text(f.next_poll) if f.last_poll else 'now'}"
        )


@feeds_cmd.command("remove")
@click.argument("feed")
@click.pass_obj
def feeds_remove(obj: Context, feed: str) -> None:
    """Stop following FEED (its number or URL); its articles stay in the archive."""
    with obj.desk() as desk:
        removed = desk.remove_feed(feed)
    click.echo(f"stopped following feed {removed.id} ({removed.name})")


@feeds_cmd.command("poll")
@click.option("--all", "every_feed", is_flag=True, help="Poll every feed, due or not.")
@click.pass_obj
def feeds_poll(obj: Context, every_feed: bool) -> None:
    """Poll every due feed once, then exit (for cron). Exit 1 when a feed failed."""
    with obj.desk() as desk:
        results = desk.poll_feeds(every_feed=every_feed, on_polled=_echo_poll)
    if not results:
        click.echo("no feed is due")
    if any(r.outcome == "error" for r in results):
        sys.exit(1)


@click.command("watch")
@click.pass_obj
def watch_cmd(obj: Context) -> None:
    """Poll the followed feeds for ever, each on its own schedule; Ctrl-C stops."""
    with obj.desk() as desk:
        try:
            click.echo(f"watching {len(desk.feeds())} feeds; Ctrl-C stops", err=True)
            while True:
                desk.poll_feeds(on_polled=_echo_poll)
                due = desk.next_feed_poll()
                wait = WATCH_NAP if due is None else min(max(due - time.time(), 1.0), WATCH_NAP)
                time.sleep(wait)
        except KeyboardInterrupt:
            # Every article is stored whole or not at all; the next poll takes up the rest.
            click.echo("stopped", err=True)


def _echo_poll(result: PollResult) -> None:
    click.echo(poll_line(result), err=result.outcome == "error")
