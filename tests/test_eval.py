"""Evaluation metrics on hand-computed cases, and `newsdesk eval` on a three-article archive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli.answer import eval_cmd
from newsdesk.cli.kit import Context
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.evaluate import contains_gold, exact_match, normalize, percentile, rank_of, token_f1
from newsdesk.index.read.answerer import strip_markers


def test_squad_normalisation() -> None:
    assert normalize("The  Eighth Brigade!") == "eighth brigade"
    assert normalize("“An” apple, a pear") == "apple pear"
    assert strip_markers("Fifteen died [1]. Jebawi too [2] [3].") == "Fifteen died. Jebawi too."


def test_exact_match_and_f1_by_hand() -> None:
    assert exact_match("the Colorado Avalanche", ["Colorado Avalanche"]) == 1.0
    assert exact_match("Avalanche", ["Colorado Avalanche"]) == 0.0
    # prediction "colorado avalanche won" vs gold "colorado avalanche": p = 2/3, r = 1
    assert token_f1("Colorado Avalanche won", ["Colorado Avalanche"]) == pytest.approx(0.8)
    assert token_f1("nothing", ["Colorado Avalanche", "Avalanche"]) == 0.0
    # the best gold string counts: "avalanche" alone gives p = 1/3, r = 1 → 0.5
    assert token_f1("Colorado Avalanche won", ["Avalanche", "Lightning"]) == pytest.approx(0.5)
    assert contains_gold("They beat the Tampa Bay Lightning.", ["Tampa Bay Lightning"]) == 1.0
    assert contains_gold("Tampa Bayou", ["Tampa Bay"]) == 0.0  # whole words only


def test_rank_and_percentile() -> None:
    assert rank_of("b", ["a", "a", "b"]) == 2  # repeated articles count once
    assert rank_of("z", ["a", "b"]) is None
    assert percentile([10.0, 20.0, 30.0, 40.0, 50.0], 0.5) == 30.0
    assert percentile([], 0.95) == 0.0
    assert percentile([7.0], 0.95) == 7.0


def test_percentile_interpolates_between_the_nearest_values() -> None:
    # An even count's median is the mean of the middle two, not one of them.
    assert percentile([40.0, 10.0, 30.0, 20.0], 0.5) == 25.0
    # p95 of 1..21 sits at position 0.95 × 20 = 19 from the smallest: exactly the 20th value.
    assert percentile([float(v) for v in range(1, 22)], 0.95) == 20.0
    assert percentile([10.0, 20.0], 0.95) == pytest.approx(19.5)
    assert (percentile([3.0, 1.0, 2.0], 0.0), percentile([3.0, 1.0, 2.0], 1.0)) == (1.0, 3.0)


ARTICLES = [
    {
        "id": "goals",
        "source": "Sport Daily",
        "title": "Lopez leads Harbor City to the cup",
        "text": "Maria Lopez scored three goals in the cup final on Sunday. Harbor City beat "
        "Eastport 3-1 in front of a full stadium. The coach praised her speed and calm.",
    },
    {
        "id": "bridge",
        "source": "City Post",
        "title": "New bridge opens over the Tamsin river",
        "text": "The Tamsin river bridge opened to traffic on Monday after four years of work. "
        "The bridge cost 80 million dollars and carries four lanes. Engineers from Norway "
        "designed the steel arch.",
    },
    {
        "id": "bakery",
        "source": "City Post",
        "title": "Old bakery closes",
        "text": "The Rosen bakery closed its doors after ninety years in the old town. The "
        "owners said rising flour prices made the business impossible. Neighbours queued "
        "for a last loaf of rye bread.",
    },
]
QUESTIONS = [
    {"id": "q1", "question": "Who scored three goals in the cup final?",
     "answers": ["Maria Lopez"], "doc_id": "goals"},
    {"id": "q2", "question": "Who designed the Tamsin river bridge arch?",
     "answers": ["Engineers from Norway"], "doc_id": "bridge"},
    {"id": "q3", "question": "Which volcano erupted in Iceland?",
     "answers": ["Hekla"], "doc_id": "volcano"},
]  # fmt: skip


def test_eval_command_on_known_fixture(desk: Newsdesk, settings: Settings, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    desk.ingest([str(corpus)])
    questions = tmp_path / "questions.jsonl"
    lines = [json.dumps(q) for q in QUESTIONS] + ["not json"]
    questions.write_text("\n".join(lines), encoding="utf-8")
    result = CliRunner().invoke(
        eval_cmd, [str(questions), "--baselines", "--json"], obj=Context(settings)
    )
    assert result.exit_code == 0, result.output
    assert "line 4" in result.stderr  # the broken line is reported, the rest scored
    assert "4/4" in result.stderr  # progress, question by question
    ours, bm25, first = json.loads(result.stdout)
    assert ours["questions"] == 3
    # q1 and q2 find their article first; q3's article ("volcano") is not in the archive.
    assert ours["recall@1"] == pytest.approx(2 / 3, abs=1e-3) and ours["mrr"] == pytest.approx(
        2 / 3, abs=1e-3
    )
    assert bm25["recall@1"] == pytest.approx(2 / 3, abs=1e-3)
    # Answers are whole sentences: they contain the gold names but never equal them.
    assert ours["contains_gold"] == pytest.approx(2 / 3, abs=1e-3)
    assert ours["exact_match"] == 0.0
    assert ours["abstention_rate"] == pytest.approx(1 / 3, abs=1e-3)  # nothing about volcanoes
    # The mean length of the answers given: containment is compared at equal length.
    assert 30 < ours["answer_chars"] < 600
    assert first["contains_gold"] == pytest.approx(
        1 / 3, abs=1e-3
    )  # only q1's answer opens its article
    table = CliRunner().invoke(eval_cmd, [str(questions), "--quiet"], obj=Context(settings))
    assert table.exit_code == 0 and "recall@1" in table.stdout and "f1" in table.stdout
    assert "4/4" not in table.stderr
