"""What every `newsdesk` command shares: the context object and output helpers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from typing import Any

import click

from newsdesk.config import Settings
from newsdesk.errors import NewsdeskError
from newsdesk.index.desk import Newsdesk
from newsdesk.index.embedder import Embedder
from newsdesk.ingest.archive import Article


class Context:
    """Settings chosen by the global options, and the desk built from them on demand."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        # A loaded model handed in (by tests) is reused instead of loading another.
        self.embedder = embedder

    @contextmanager
    def desk(self) -> Iterator[Newsdesk]:
        """Open the archive; any NewsdeskError becomes a clean one-line error and exit 1."""
        try:
            with Newsdesk(self.settings, embedder=self.embedder) as desk:
                yield desk
        except NewsdeskError as e:
            raise click.ClickException(str(e)) from None


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
