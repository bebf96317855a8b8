"""The `newsdesk` command line: a thin layer over the library, one command per task."""

from __future__ import annotations

import sys
from dataclasses import asdict, replace
from pathlib import Path

import click
from tqdm import tqdm

from newsdesk import Filters, Mode
from newsdesk.cli.answer import ask_cmd, eval_cmd
from newsdesk.cli.bot import bot_cmd
from newsdesk.cli.entity import entity_cmd
from newsdesk.cli.feeds import feeds_cmd, watch_cmd
from newsdesk.cli.follows import follows_cmd, timeline_cmd
from newsdesk.cli.kit import ISO_DATE, PASSAGES, Context, article_json, article_line, echo_json
from newsdesk.config import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Archive folder (default: $NEWSDESK_HOME or ~/.local/share/newsdesk).",
)
@click.option("--model", help="Embedding model (default: all-MiniLM-L6-v2, packaged).")
@click.option(
    "--multilingual/--no-multilingual",
    default=None,
    help="The second, multilingual vector set, for Arabic and cross-language questions "
    f"(default: {'on' if Settings.multilingual else 'off'}; $NEWSDESK_MULTILINGUAL=0: off).",
)
@click.version_option(package_name="newsdesk")
@click.pass_context
def cli(
    ctx: click.Context, home: Path | None, model: str | None, multilingual: bool | None
) -> None:
    """Ask questions of a news archive: ingest articles, search them, get cited answers."""
    settings = Settings.from_env().with_home(home)
    if model:
        settings = replace(settings, model=model)
    if multilingual is not None:
        settings = replace(settings, multilingual=multilingual)
    ctx.obj = Context(settings)


@cli.command("ingest")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--no-index", is_flag=True, help="Store only; embed later (next ingest or `newsdesk reindex`)."
)
@click.pass_obj
def ingest_cmd(
    obj: Context, inputs: tuple[str, ...], as_json: bool, quiet: bool, no_index: bool
) -> None:
    """Add articles from files, folders, http(s) URLs or "-" (stdin).

    Reads text/Markdown, HTML, JSON/JSONL and RSS/Atom. Exit status 1 when any input failed.
    """
    bar = tqdm(desc="articles", unit=" art", disable=quiet, file=sys.stderr)
    with obj.desk() as desk, bar:
        report = desk.ingest(
            inputs,
            stdin=sys.stdin.buffer,
            index=not no_index,
            on_stored=lambda *_: bar.update(1),
            on_embedded=lambda n: bar.set_postfix_str(f"indexed +{n} chunks"),
        )
    summary = report.summary()
    if as_json:
        echo_json(
            summary
            | {
                "outcomes": [asdict(o) for o in report.outcomes],
                "failures": [asdict(f) for f in report.failures],
            }
        )
    else:
        for o in report.outcomes:
            # Input that was not UTF-8: say which encoding it was read in, to check by eye.
            read_as = f" (read as {o.encoding})" if o.encoding else ""
            if o.status == "duplicate":
                click.echo(
                    f"duplicate: {o.origin} → article {o.article_id}, "
                    f"same story as article {o.duplicate_of}{read_as}"
                )
            elif read_as:
                click.echo(f"{o.status}: {o.origin} → article {o.article_id}{read_as}")
        for f in report.failures:
            click.echo(f"failed: {f.origin}: {f.reason}", err=True)
        click.echo(", ".join(f"{v} {k}" for k, v in summary.items()))
    if report.failures:
        sys.exit(1)


@cli.command("articles")
@click.option("--since", type=ISO_DATE, help="Only articles published on or after this date.")
@click.option("--source", help="Only articles from this outlet.")
@click.option(
    "--limit", type=click.IntRange(1), default=20, show_default=True, help="How many to list."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def articles_cmd(
    obj: Context, since: str | None, source: str | None, limit: int, as_json: bool
) -> None:
    """List articles, newest first."""
    with obj.desk() as desk:
        found = desk.articles(Filters(since=since, source=source), limit=limit)
    if as_json:
        echo_json([article_json(a) for a in found])
    elif not found and (since or source):
        click.echo("no articles match (undated articles never pass --since)")
    elif not found:
        click.echo("no articles (add some with `newsdesk ingest PATH`)")
    for a in [] if as_json else found:
        click.echo(article_line(a))


@cli.command("show")
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show_cmd(obj: Context, article_id: str, as_json: bool) -> None:
    """Show one article, by its id or its external id."""
    with obj.desk() as desk:
        a = desk.get(article_id)
    if as_json:
        echo_json(article_json(a, with_text=True))
        return
    click.echo(a.title)
    facts = [
        ("outlet", a.source),
        ("date", a.date),
        ("place", a.place),
        ("author", a.author),
        ("language", a.language),
        ("url", a.url),
        ("external id", a.external_id),
        ("story", a.cluster_id if a.cluster_id != a.id else None),
    ]
    for name, value in facts:
        if value:
            click.echo(f"{name}: {value}")
    click.echo("\n" + a.text)


@cli.command("delete")
@click.argument("article_id", type=click.IntRange(1, 2**63 - 1))
@click.pass_obj
def delete_cmd(obj: Context, article_id: int) -> None:
    """Delete an article and its passages from the archive and the index."""
    with obj.desk() as desk:
        deleted = desk.delete(article_id)
    click.echo(f"deleted article {article_id}: {deleted.title}")


@cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def stats_cmd(obj: Context, as_json: bool) -> None:
    """What the archive holds: articles, outlets, dates, chunks."""
    with obj.desk() as desk:
        stats = asdict(desk.stats())
    if as_json:
        echo_json(stats)
        return
    outlets = stats.pop("top_outlets")
    for key, value in stats.items():
        click.echo(f"{key.replace('_', ' ')}: {value if value is not None else '-'}")
    for name, n in outlets.items():
        click.echo(f"  {name}: {n}")


@cli.command("search")
@click.argument("query")
@click.option(
    "--k", type=PASSAGES, default=Settings.search_k, show_default=True, help="How many passages."
)
@click.option("--since", type=ISO_DATE, help="Published on or after this date.")
@click.option("--until", type=ISO_DATE, help="Published on or before this date.")
@click.option("--source", help="Only this outlet.")
@click.option("--language", help="Only articles in this language (ISO 639-1, e.g. en, ar).")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense", "keyword"]),
    default="hybrid",
    show_default=True,
    help="Which retrievers to use.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def search_cmd(
    obj: Context,
    query: str,
    k: int,
    since: str | None,
    until: str | None,
    source: str | None,
    language: str | None,
    mode: Mode,
    as_json: bool,
) -> None:
    """Find the passages that best match QUERY (meaning and keywords combined)."""
    filters = Filters(since, until, source, language)
    with obj.desk() as desk:
        hits = desk.search(query, k, filters=filters, mode=mode)
    if as_json:
        echo_json(
            [
                {
                    "chunk_id": h.chunk_id,
                    "text": h.text,
                    "score": h.score,
                    "dense": h.dense,
                    "keyword": h.keyword,
                    "article": article_json(h.article),
                }
                for h in hits
            ]
        )
        return
    if not hits:
        click.echo("nothing found")
    for n, h in enumerate(hits, 1):
        click.echo(f"[{n}] {article_line(h.article).strip()}")
        click.echo("    " + " ".join(h.text.split()) + "\n")


@cli.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (chunk ids of any drift).")
@click.pass_obj
def check_cmd(obj: Context, as_json: bool) -> None:
    """Verify that the vector index matches the archive's chunks (exit 1 on drift)."""
    with obj.desk() as desk:
        report = desk.check()
    if as_json:
        echo_json(asdict(report) | {"ok": report.ok})
        sys.exit(0 if report.ok else 1)
    click.echo(
        f"chunks: {report.chunks}, vectors: {report.vectors}, "
        f"waiting to be indexed: {len(report.pending)}"
    )
    click.echo(f"vector index: {report.index}")
    click.echo(f"multilingual vectors: {report.multi_index}")
    if report.entities_pending:
        click.echo(
            f"named entities not found yet in {report.entities_pending} articles "
            "(the next ingest or `newsdesk reindex` finds them)"
        )
    if report.retrain_advised:
        click.echo("the approximate index will be retrained at the next ingest or reindex")
    if report.ok:
        click.echo("ok: every indexed chunk has its vector and no vector is left over")
        return
    if report.missing:
        click.echo(f"drift: {len(report.missing)} chunks have no vector", err=True)
    if report.stale:
        click.echo(f"drift: {len(report.stale)} vectors belong to no chunk", err=True)
    if report.multi_missing or report.multi_stale:
        click.echo(
            f"drift in the multilingual vectors: {len(report.multi_missing)} missing, "
            f"{len(report.multi_stale)} left over",
            err=True,
        )
    click.echo("fix it with `newsdesk reindex`", err=True)
    sys.exit(1)


@cli.command("reindex")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_obj
def reindex_cmd(obj: Context, quiet: bool) -> None:
    """Rebuild the vector index from the archive (after a crash, or to change model), and
    find the named entities of articles stored without them."""
    with obj.desk() as desk:
        total = desk.stats().chunks
        with tqdm(total=total, desc="chunks", unit=" ch", disable=quiet, file=sys.stderr) as bar:
            done = desk.reindex(bar.update)
    click.echo(f"reindexed {done} chunks")


cli.add_command(ask_cmd)
cli.add_command(eval_cmd)
cli.add_command(bot_cmd)
cli.add_command(feeds_cmd)
cli.add_command(watch_cmd)
cli.add_command(follows_cmd)
cli.add_command(timeline_cmd)
cli.add_command(entity_cmd)


def main() -> None:
    """Console entry point."""
    cli(prog_name="newsdesk")
