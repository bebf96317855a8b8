"""What every `newsdesk` command shares: the context object and output helpers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import date
from typing import Any

import click

from newsdesk import Article, Newsdesk
from newsdesk.config import Settings
from newsdesk.errors import (
    ArticleNotFound,
    EmptyArchiveError,
    FeedNotFound,
    FollowNotFound,
    ModelMismatchError,
    NewsdeskError,
    SearchIndexError,
)

# How to fix what went wrong, in this command line's terms: the first class that matches.
FIXES: list[tuple[type[NewsdeskError], str]] = [
    (ModelMismatchError, "run `newsdesk reindex` to re-embed every chunk with the configured one"),
    (SearchIndexError, "run `newsdesk reindex` to rebuild it from the archive"),
    (EmptyArchiveError, "add articles with `newsdesk ingest PATH`"),
    (ArticleNotFound, "see `newsdesk articles` for ids"),
    (FeedNotFound, "see `newsdesk feeds list` for feed numbers"),
    (FollowNotFound, "see `newsdesk follows`"),
]


def cli_message(error: NewsdeskError) -> str:
    """The error, and the command that fixes it where there is one."""
    fix = next((fix for kind, fix in FIXES if isinstance(error, kind)), None)
    return f"{error}; {fix}" if fix else str(error)


class Context:
    """Settings chosen by the global options, and the desk built from them on demand."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @contextmanager
    def desk(self, **overrides: Any) -> Iterator[Newsdesk]:
        """Open the archive (with some settings overridden by a command's options); any
        NewsdeskError becomes a clean one-line error and exit 1."""
        try:
            with Newsdesk(replace(self.settings, **overrides)) as desk:
                yield desk
        except NewsdeskError as e:
            raise click.ClickException(cli_message(e)) from None


class IsoDate(click.ParamType):
    """A calendar date written YYYY-MM-DD, passed on as that string."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            self.fail(f"{value!r} is not a date like 2022-10-27", param, ctx)


ISO_DATE = IsoDate()
PASSAGES = click.IntRange(1, 100)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def article_json(a: Article, *, with_text: bool = False) -> dict[str, Any]:
    data = asdict(a)
    if not with_text:
        data.pop("text")
    return data


def article_line(a: Article) -> str:
    when = (a.date or "undated")[:10]
    return f"{a.id:>6}  {when:<10}  {(a.source or '-')[:20]:<20}  {a.title}"
