"""The `newsdesk` command line, through click's runner against a real archive."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from newsdesk.cli.main import cli
from newsdesk.config import Settings
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder

from conftest import SEED, SEED_TITLE

Run = Callable[..., Result]


@pytest.fixture
def run(settings: Settings, embedder: SentenceTransformerEmbedder) -> Run:
    """The command line in this process, on the test's archive (and the session's model)."""

    def invoke(*args: str, input: bytes | None = None) -> Result:
        return CliRunner().invoke(cli, ["--home", str(settings.home), *args], input=input)

    return invoke


def every_command(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Each command and the words that name it, the group itself and subcommands of groups
    (`feeds add`) included."""
    if not path:
        yield (), group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))
        yield (*path, name), command


def test_every_command_has_help_text() -> None:
    for path, command in every_command(cli):
        name = " ".join(["newsdesk", *path])
        assert command.help, f"`{name}` has no --help text"
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help, f"`{name}` option {param.name} has no help"


def words(text: str) -> str:
    return " ".join(text.replace("\b", "").split())


def test_help_shows_each_command_its_own_text() -> None:
    """`newsdesk CMD --help` prints the command's usage line, then its own help text."""
    for path, command in every_command(cli):
        name = " ".join(["newsdesk", *path])
        result = CliRunner().invoke(cli, [*path, "--help"], prog_name="newsdesk")
        assert result.exit_code == 0, result.output
        usage, _, rest = result.output.partition("\n")
        assert usage.startswith(f"Usage: {name} "), usage
        described = words(rest.split("\nOptions:")[0])
        assert described, f"`{name} --help` describes nothing"
        assert described == words((command.help or "").split("\f")[0]), name


def test_ingest_then_list_show_stats_delete(run: Run, tmp_path: Path) -> None:
    result = run("ingest", "-q", str(SEED))
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output
    listed = json.loads(run("articles", "--json").output)
    assert [a["title"] for a in listed] == [SEED_TITLE]
    article_id = str(listed[0]["id"])
    shown = run("show", article_id)
    assert "outlet: North Press" in shown.output and "Ayoub al-Jebawi" in shown.output
    stats = json.loads(run("stats", "--json").output)
    assert stats["articles"] == 1 and stats["unindexed_chunks"] == 0
    assert run("delete", article_id).exit_code == 0
    assert "no articles" in run("articles").output


def test_failed_inputs_are_reported_and_the_rest_ingested(run: Run, tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02binary")
    result = run("ingest", "-q", str(SEED), str(tmp_path / "empty.txt"), str(tmp_path / "bin.txt"))
    assert result.exit_code == 1
    assert "1 added" in result.output and "2 failed" in result.output
    assert "empty.txt: empty article" in result.output
    assert "bin.txt: binary file" in result.output


def test_stdin_is_read_with_a_dash(run: Run) -> None:
    text = "Rain in Damascus\n\nHeavy rain fell on Damascus on Sunday, flooding several streets."
    result = run("ingest", "-q", "-", input=text.encode())
    assert result.exit_code == 0, result.output
    assert json.loads(run("articles", "--json").output)[0]["title"] == "Rain in Damascus"


def test_usage_errors_exit_2(run: Run) -> None:
    assert run("ingest").exit_code == 2
    assert run("articles", "--limit", "many").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_missing_article_is_a_clean_error(run: Run) -> None:
    result = run("show", "999")
    assert result.exit_code == 1
    assert "no article with id 999" in result.output
    assert "Traceback" not in result.output


def test_dev_corpus_stores_530_articles_with_their_ids(run: Run, shared: Path) -> None:
    corpus = shared / "eval-dev" / "corpus.jsonl"
    first = json.loads(run("ingest", "-q", "--no-index", "--json", str(corpus)).output)
    assert first["added"] + first["duplicates"] == 530 and first["failed"] == 0
    ids = {json.loads(line)["id"] for line in corpus.read_text().splitlines()}
    listed = json.loads(run("articles", "--json", "--limit", "1000").output)
    assert {a["external_id"] for a in listed} == ids
    again = json.loads(run("ingest", "-q", "--no-index", "--json", str(corpus)).output)
    assert again["unchanged"] == 530


def test_check_reports_drift_and_reindex_fixes_it(run: Run, settings: Settings) -> None:
    run("ingest", "-q", str(SEED))
    assert run("check").exit_code == 0
    settings.index_path.unlink()
    broken = run("check")
    assert broken.exit_code == 1 and "newsdesk reindex" in broken.output
    searched = run("search", "Jassim")  # the library's error, and the command that fixes it
    assert searched.exit_code == 1 and "is missing; run `newsdesk reindex`" in searched.output
    fixed = run("reindex", "-q")
    assert fixed.exit_code == 0 and "reindexed" in fixed.output
    assert "ok:" in run("check").output
    assert "Ayoub al-Jebawi" in run("search", "Who was killed in Jassim?").output


def test_search_on_bad_queries_is_a_clean_error(run: Run) -> None:
    assert "archive is empty; add articles with `newsdesk ingest" in run("search", "x").output
    run("ingest", "-q", str(SEED))
    result = run("search", "?!?")
    assert result.exit_code == 1 and "no words" in result.output
    assert "Traceback" not in result.output


def test_search_filters_by_language(run: Run, tmp_path: Path) -> None:
    records = [
        {
            "id": "en1",
            "text": "Clashes in Jassim left fifteen militants dead, a local leader said.",
        },
        {"id": "ar1", "text": "قتل خمسة عشر مسلحا في اشتباكات جاسم بحسب قائد محلي Jassim"},
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    run("ingest", "-q", str(path))
    found = json.loads(run("search", "Jassim", "--language", "ar", "--json").output)
    assert [h["article"]["external_id"] for h in found] == ["ar1"]


def test_bad_numbers_and_dates_are_usage_errors(run: Run) -> None:
    for args in (
        ["search", "Jassim", "--k", "0"],
        ["search", "Jassim", "--k", "-1"],
        ["search", "Jassim", "--since", "10/01/2022"],
        ["articles", "--since", "yesterday"],
        ["articles", "--limit", "0"],
        ["ask", "Who?", "--as-of", "2022-13-01"],
    ):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "Invalid value" in result.output


def test_ids_that_are_not_plain_numbers_are_clean_errors(run: Run) -> None:
    run("ingest", "-q", str(SEED))
    for args in (["show", "²"], ["show", "99999999999999999999"]):
        result = run(*args)
        assert result.exit_code == 1 and "no article with id" in result.output, result.output
    assert run("delete", "99999999999999999999").exit_code == 2
    assert run("delete", "0").exit_code == 2


def test_check_json_lists_drift(run: Run, settings: Settings) -> None:
    run("ingest", "-q", str(SEED))
    healthy = json.loads(run("check", "--json").output)
    assert healthy["ok"] and healthy["chunks"] == healthy["vectors"] > 0
    assert "no articles match" in run("articles", "--since", "2030-01-01").output
