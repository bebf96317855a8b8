"""Where reports differ: two outlets' values of the fact asked, shown with their outlets."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk import Answer, Newsdesk, Settings
from newsdesk.bot.format import answer_html
from newsdesk.cli.main import cli
from newsdesk.index.read.differ import Claim, differing, number, same_value
from newsdesk.index.read.extractive import Candidate
from newsdesk.index.read.features import Span
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder
from newsdesk.ingest.store.records import Article

from conftest import DATA

REPORTS = DATA / "differing-reports.jsonl"
QUESTION = "How many ISIS militants were killed in Jassim?"


def _claim(value: str, label: str, source: str, day: str, cluster: int) -> Claim:
    article = Article(
        cluster, f"u{cluster}", "t", value, source=source, date=day, cluster_id=cluster
    )
    text = f"{value} ISIS militants were killed in Jassim."
    sentence = Candidate(text, article, 0, len(text), keyword=1.0, kind=1.0, passage=0.5)
    return Claim(Span(value, 0, label), 0.6, 0.8, 0.8, sentence)


def test_values_that_differ_only_in_form_are_one() -> None:
    assert number("Fifteen militants") == number("15 fighters") == 15.0
    assert number("1,200 people") == 1200.0
    assert same_value(Span("fifteen", 0, "CARDINAL"), Span("15", 0, "CARDINAL"))
    assert not same_value(Span("15", 0, "CARDINAL"), Span("13", 0, "CARDINAL"))
    assert same_value(Span("Ayoub al-Jebawi", 0, "PERSON"), Span("Jebawi", 0, "PERSON"))


def test_only_other_outlets_with_another_value_of_the_same_kind_for_the_same_event() -> None:
    fact = _claim("15", "CARDINAL", "North Press", "2022-10-24", 1)
    other = _claim("13", "CARDINAL", "Enab Baladi", "2022-10-25", 2)
    assert differing(fact, [other], QUESTION) == [other]
    fifteen = replace(other, span=Span("fifteen", 0, "CARDINAL"))
    assert differing(fact, [fifteen], QUESTION) == []  # one value in two forms
    assert differing(fact, [replace(other, span=Span("Jassim", 0, "GPE"))], QUESTION) == []
    later = _claim("13", "CARDINAL", "Enab Baladi", "2022-12-25", 2)
    assert differing(fact, [later], QUESTION) == []  # two months on: another event
    undated = _claim("13", "CARDINAL", "Enab Baladi", "", 2)
    assert differing(fact, [undated], QUESTION) == []  # may be another event
    same_outlet = _claim("13", "CARDINAL", "North Press", "2022-10-25", 2)
    assert differing(fact, [same_outlet], QUESTION) == []  # an outlet's update, not two reports
    vague = replace(other, covered=0.3)  # a sentence that says little of what was asked
    assert differing(fact, [vague], QUESTION) == []
    # A question that names nothing ("How many were killed?") cannot tell one event apart.
    assert differing(fact, [other], "How many were killed?") == []


@pytest.mark.model  # MiniLM and spaCy's entities: the reader as a user meets it
def test_an_answer_shows_both_counts_with_their_outlets(
    settings: Settings, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    agreeing = tmp_path / "agreeing.jsonl"
    agreeing.write_text(REPORTS.read_text().replace("Thirteen members", "Fifteen members"))
    answers: list[Answer] = []
    for i, reports in enumerate((REPORTS, agreeing)):
        home = replace(settings, home=tmp_path / f"home{i}")
        with Newsdesk(home, embedder=embedder) as desk:
            desk.ingest([str(reports)])
            answers.append(desk.ask(QUESTION))
        if i == 0:  # the command line's JSON carries them too
            done = CliRunner().invoke(cli, ["--home", str(home.home), "ask", "--json", QUESTION])
            assert done.exit_code == 0, done.output
            listed = json.loads(done.output)["disagreements"]
            assert [(r["value"], r["source"], r["n"]) for r in listed] == [
                ("Fifteen", "North Press", 1),
                ("Thirteen", "Enab Baladi", 2),
            ]
    differ, agree = answers
    assert [(r.value, r.source, r.date) for r in differ.disagreements] == [
        ("Fifteen", "North Press", "2022-10-24"),
        ("Thirteen", "Enab Baladi", "2022-10-25"),
    ]
    fact, said, *_ = differ.text.split("\n")
    assert fact == "Fifteen [1]"
    assert said == (
        "Reports differ: Fifteen (North Press, 2022-10-24) [1] · Thirteen (Enab Baladi, "
        "2022-10-25) [2]"
    )
    assert "Thirteen members of ISIS cells were killed" in differ.text  # its evidence quoted
    assert "Reports differ" in answer_html(differ)
    assert json.loads(json.dumps(differ.to_dict()))["disagreements"][1]["source"] == "Enab Baladi"
    assert Answer.from_dict(differ.to_dict()).disagreements == differ.disagreements
    assert agree.disagreements == [] and "Reports differ" not in agree.text
