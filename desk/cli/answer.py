"""`newsdesk ask` and `newsdesk eval`: cited answers from the archive, and their scores."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import click
from tqdm import tqdm

from newsdesk import Answer, Filters, Newsdesk, evaluate, format_answer_text, load_questions
from newsdesk.cli.kit import ISO_DATE, PASSAGES, Context, echo_json
from newsdesk.config import Settings
from newsdesk.errors import EmptyArchiveError, NewsdeskError


def answer_json(answer: Answer, question_id: Any = None) -> dict[str, Any]:
    """The JSON shape of one answer, as `ask --json` and `ask --batch` print it."""
    return {
        "id": question_id,
        "question": answer.question,
        "answer": answer.text,
        "short": answer.short,
        "answerable": answer.answerable,
        "unsure": answer.unsure,
        "sources": [
            {
                "id": s.external_id or s.article_id,
                "title": s.title,
                "source": s.source,
                "date": s.date,
                "url": s.url,
                "score": s.score,
                "also_reported_by": s.also,
            }
            for s in answer.sources
        ],
        "disagreements": [
            {"value": r.value, "source": r.source, "date": r.date, "n": r.n}
            for r in answer.disagreements
        ],
        "support": answer.support,
        "generated": answer.generated,
        "latency_ms": answer.latency_ms,
    }


def _as_of(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD") from None


def _batch_lines(stream: TextIO) -> Iterator[tuple[int, Any, dict[str, Any] | str]]:
    """(line number, id, row) per line; a broken line gives its error message as the row."""
    for n, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            yield n, None, f"not JSON: {e.msg}"
            continue
        qid = row.get("id") if isinstance(row, dict) else None
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            yield n, qid, 'needs a "question" string (and an "id")'
            continue
        yield n, qid, row


def _run_batch(desk: Newsdesk, stream: TextIO, filters: Filters, as_of: date | None) -> int:
    """Answer every line; broken lines become error lines. Returns how many failed."""
    failed = 0
    for n, qid, row in _batch_lines(stream):
        try:
            if isinstance(row, str):
                raise NewsdeskError(row)
            when = _as_of(str(row["date"])) if row.get("date") else as_of
            answer = desk.ask(row["question"], filters=filters, as_of=when)
            click.echo(json.dumps(answer_json(answer, qid), ensure_ascii=False))
        except EmptyArchiveError:
            raise  # every other line would fail the same way
        except (NewsdeskError, click.BadParameter) as e:
            failed += 1
            click.echo(f"line {n}: {e}", err=True)
            click.echo(json.dumps({"id": qid, "line": n, "error": str(e)}, ensure_ascii=False))
    return failed


def reading_options(command: Callable[..., None]) -> Callable[..., None]:
    """--k and --reader, which `ask` and `eval` share."""
    command = click.option(
        "--reader",
        type=click.Choice(["extractive", "generative"]),
        help="How answers are made (default: $NEWSDESK_READER, else extractive).",
    )(command)
    return click.option(
        "--k", type=PASSAGES, default=Settings.answer_k, show_default=True, help="Passages to read."
    )(command)


@click.command("ask")
@click.argument("question", required=False)
@reading_options
@click.option("--since", type=ISO_DATE, help="Only articles published on or after this date.")
@click.option("--until", type=ISO_DATE, help="Only articles published on or before this date.")
@click.option("--source", help="Only this outlet.")
@click.option(
    "--as-of", "as_of", type=ISO_DATE, help="The day “yesterday” / “last week” count from."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--batch",
    type=click.File("r", encoding="utf-8", errors="replace"),
    help='Answer a JSON-lines file ("-" for stdin) of {"id", "question", "date"?}.',
)
@click.pass_obj
def ask_cmd(
    obj: Context,
    question: str | None,
    k: int,
    reader: str | None,
    since: str | None,
    until: str | None,
    source: str | None,
    as_of: str | None,
    as_json: bool,
    batch: TextIO | None,
) -> None:
    """Answer QUESTION from the archive, citing the articles it comes from."""
    if (question is None) == (batch is None):
        raise click.UsageError('give a QUESTION or --batch FILE, e.g. newsdesk ask "who won?"')
    filters, when = Filters(since, until, source), _as_of(as_of)
    with obj.desk(answer_k=k, reader=reader or obj.settings.reader) as desk:
        if batch is not None:
            failed = _run_batch(desk, batch, filters, when)
            if failed:
                click.echo(f"{failed} line(s) could not be answered", err=True)
                sys.exit(1)
            return
        assert question is not None
        answer = desk.ask(question, filters=filters, as_of=when)
    if as_json:
        echo_json(answer_json(answer))
    else:
        click.echo(format_answer_text(answer))


@click.command("eval")
@click.argument("questions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@reading_options
@click.option(
    "--limit", type=click.IntRange(1), help="Only the first N questions (for slow readers)."
)
@click.option("--baselines", is_flag=True, help="Also score BM25-only and first-sentence.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_obj
def eval_cmd(
    obj: Context,
    questions: Path,
    k: int,
    reader: str | None,
    limit: int | None,
    baselines: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Score answers on a question set (id, question, answers, doc_id per line)."""
    items = list(itertools.islice(load_questions(questions), limit))
    bar = tqdm(total=len(items), desc="questions", unit=" q", disable=quiet, file=sys.stderr)
    with obj.desk(answer_k=k, reader=reader or obj.settings.reader) as desk, bar:
        rows = evaluate(
            desk,
            items,
            baselines=baselines,
            on_error=lambda msg: bar.write(f"skipped {msg}", file=sys.stderr),
            progress=bar.update,
        )
    if as_json:
        echo_json(rows)
        return
    keys = [key for key in rows[0] if key != "system"]
    click.echo(f"{'':<18}" + "".join(f"{r['system']:>24}" for r in rows))
    for key in keys:
        click.echo(f"{key:<18}" + "".join(f"{_cell(r.get(key)):>24}" for r in rows))


def _cell(value: object) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
