"""Answer-reader experiments on cached retrieval: sentence weights by 5-fold CV.

Retrieval runs once per question (`dump`), so trying reader settings takes seconds, not the
minutes a full `newsdesk eval` takes. Abstention is calibrated by bench.abstention. From the
project root:

    python -m bench.answers dump --home DEV_HOME dev.pkl            # the dev questions
    python -m bench.answers dump --home DEV_HOME seed-dev.pkl --questions seed
    python -m bench.answers dump --home SEED_HOME seed.pkl --questions seed
    python -m bench.answers cv dev.pkl seed-dev.pkl seed.pkl
    python -m bench.answers errors dev.pkl [--show BUCKET]     # where the answers go wrong
    python -m bench.answers transfer other.pkl dev.pkl seed-dev.pkl seed.pkl  # fit elsewhere

DEV_HOME holds the seed article and the dev corpus, SEED_HOME the seed article alone.
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from statistics import mean
from typing import Any

from bench.common import DEV_QUESTIONS, dev_set, save
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.evaluate import Question, contains_gold, exact_match, token_f1
from newsdesk.index.read.answerer import check_question, narrow, strip_markers
from newsdesk.index.read.dates import parse_dates
from newsdesk.index.read.extractive import WEIGHTS, ExtractiveReader, Weights, answer_kind
from newsdesk.index.read.types import Answer, Reading
from newsdesk.ingest.store.records import Filters

# The seed article's questions and what their answers must say (tests/test_answer.py); for
# "Who was killed in Jassim?" on the full archive, the first line must hold 15 and Jebawi.
SEED = {
    "Who was killed in Jassim?": ["15 militants including nine leaders", "Ayoub al-Jebawi"],
    "When did ISIS intend to announce an emirate?": ["October 23"],
    "Who is Ayham Faisl al-Halqi?": ["an ISIS Emir", "facilitate the militants’ entry"],
    "Which brigade sent groups to Jassim?": ["Eighth Brigade", "Fifth Corps"],
    "Why is Daraa strategically important?": ["Jordan, Palestine and Lebanon"],
}
GRID = {
    "keyword": [0.1, 0.3, 0.6, 1.0],
    "kind": [0.1, 0.25],
    "lead": [0.0, 0.1],
    "slot": [0.0, 0.1, 0.25, 0.4],
    "unread": [0.2, 0.3, 0.4],
}


@dataclass
class Row:
    """One question with the readings its date attempts gave (the Answerer's loop)."""

    question: Question
    readings: list[Reading]


def dump(home: Path, out: Path, questions: str) -> None:
    with Newsdesk(Settings(home=home)) as desk:
        answerer = desk.answerer
        if questions == "seed":
            items = [Question(q, q, a) for q, a in SEED.items()]
        else:
            items = dev_set(Path(questions))
        rows = []
        for q in items:
            asked = check_question(q.question)
            dates = parse_dates(asked, q.as_of or date.today())
            query = dates.question if dates.strict else asked
            attempts = [] if dates.empty else [narrow(Filters(), dates)]
            if dates.empty or not dates.strict:
                attempts.append(Filters())
            readings = []
            for filters in attempts:
                hits = desk.search(query, answerer.k, filters=filters, per_story=answerer.per_story)
                readings.append(Reading(query, query, hits))
            rows.append(Row(q, readings))
    out.write_bytes(pickle.dumps(rows))
    print(f"{len(rows)} questions → {out}")


def read(reader: ExtractiveReader, row: Row) -> Answer:
    answer = None
    for reading in row.readings:
        answer = reader.read(reading)
        if answer.answerable:
            break
    assert answer is not None
    return answer


Scores = list[dict[str, float]]  # one dict of figures per question


def scores(reader: ExtractiveReader, rows: list[Row]) -> Scores:
    out = []
    for row in rows:
        a, gold = read(reader, row), row.question.answers
        text = strip_markers(a.text) if a.answerable else ""
        out.append(
            {
                "contains": contains_gold(text, gold),
                "short_em": exact_match(a.short or text, gold),
                "short_f1": token_f1(a.short or text, gold),
                "abstained": float(not a.answerable),
                "support": a.support or 0.0,
            }
        )
    return out


def seed_ok(reader: ExtractiveReader, with_dev: list[Row], alone: list[Row]) -> bool:
    """The seed questions answered with their facts, on the full archive and on the seed
    article alone; on the full one, "Who was killed in Jassim?" opens with 15 and Jebawi."""
    for row, full in [(r, True) for r in with_dev] + [(r, False) for r in alone]:
        a = read(reader, row)
        text = a.text
        facts = SEED[row.question.question]
        if full and row.question.question.startswith("Who was killed"):
            text, facts = (a.short or "") + a.text.split("\n")[0], ["15", "Jebawi"]
        if not a.answerable or a.sources[0].source != "North Press":
            return False
        if not all(f in text for f in facts):
            return False
    return True


def folds(n: int, k: int = 5) -> list[list[int]]:
    order = list(range(n))
    random.Random(0).shuffle(order)
    return [order[i::k] for i in range(k)]


def grid_scores(rows: list[Row], seed_dev: Path, seed: Path) -> dict[tuple[float, ...], Scores]:
    """Each GRID setting that passes seed_ok, with its answers' scores on `rows`."""
    with_dev, alone = pickle.loads(seed_dev.read_bytes()), pickle.loads(seed.read_bytes())
    results = {}
    for values in itertools.product(*GRID.values()):
        reader = ExtractiveReader(None, weights=_weights(values))  # never abstains
        if seed_ok(reader, with_dev, alone):
            results[values] = scores(reader, rows)
    print(f"{len(results)} of {len(list(itertools.product(*GRID.values())))} settings pass seed")
    return results


def _weights(values: tuple[float, ...]) -> Weights:
    return Weights(**dict(zip(GRID, values, strict=True)))


def _objective(res: Scores, ids: list[int]) -> float:
    return mean(res[i]["contains"] + res[i]["short_f1"] for i in ids)


def cv(dev: Path, seed_dev: Path, seed: Path) -> dict[str, Any]:
    """Weights by 5-fold CV on contains-gold + short-answer F1, among those passing seed_ok."""
    rows = pickle.loads(dev.read_bytes())
    results = grid_scores(rows, seed_dev, seed)
    held: Scores = []
    picks = []
    for fold in folds(len(rows)):
        train = [i for i in range(len(rows)) if i not in fold]
        best = max(sorted(results), key=lambda v: _objective(results[v], train))
        picks.append(dict(zip(GRID, best, strict=True)))
        print("fold pick", picks[-1])
        held += [results[best][i] for i in fold]
    best = max(sorted(results), key=lambda v: _objective(results[v], list(range(len(rows)))))
    print("held-out (pooled)", _summary(held))
    print("in-sample best", dict(zip(GRID, best, strict=True)), _summary(results[best]))
    return {
        "questions": len(rows),
        "settings_passing_seed": len(results),
        "held_out": _summary(held),
        "fold_picks": picks,
        "in_sample_best": dict(zip(GRID, best, strict=True)) | _summary(results[best]),
    }


def transfer(other: Path, dev: Path, seed_dev: Path, seed: Path) -> dict[str, Any]:
    """Weights chosen on other questions (e.g. synthetic ones over articles no dev question
    asks about), scored on the dev questions: a test of the weights no dev answer chose."""
    train, rows = pickle.loads(other.read_bytes()), pickle.loads(dev.read_bytes())
    results = grid_scores(train, seed_dev, seed)
    every = list(range(len(train)))
    best = max(sorted(results), key=lambda v: _objective(results[v], every))
    picked = _weights(best)
    print(f"{len(train)} questions to choose on; pick", dict(zip(GRID, best, strict=True)))
    figures: dict[str, Any] = {"chosen_on": len(train), "pick": dict(zip(GRID, best, strict=True))}
    for name, weights in (("shipped", WEIGHTS), ("picked", picked)):
        reader = ExtractiveReader(None, weights=weights)
        on_them, on_dev = _summary(scores(reader, train)), _summary(scores(reader, rows))
        print(f"{name:8} on them", on_them)
        print(f"{name:8} on dev ", on_dev)
        figures[name] = {"on_them": on_them, "on_dev": on_dev}
    return figures


def bucket(reader: ExtractiveReader, row: Row) -> str:
    """Where one answer (abstention off) stands: right, or the first step that lost it."""
    gold = row.question.answers
    a = read(reader, row)
    if exact_match(a.short or "", gold):
        return "short answer exact"
    reading = next((r for r in row.readings if r.hits), row.readings[-1])
    found = reader.candidates(reading.question, reading.query, reading.hits)
    if not any(contains_gold(c.text, gold) for c in found):
        articles = {h.article.external_id: h.article for h in reading.hits}
        if row.question.doc_id not in articles:
            return "gold article not retrieved"
        if contains_gold(articles[row.question.doc_id].text, gold):
            return "gold article retrieved, not its passage holding the gold"
        return "gold string not in its article as written"
    if not contains_gold(max(found, key=lambda c: c.score).text, gold):
        return "another sentence scored best"
    if a.short is None:
        return "right sentence, no span (why / how / what did X do)"
    if token_f1(a.short, gold) > 0:
        return "right sentence, span overlaps the gold"
    return "right sentence, another span"


def errors(dev: Path, show: str | None) -> dict[str, Any]:
    """How many dev answers fall in each bucket, and per question kind."""
    rows = pickle.loads(dev.read_bytes())
    reader = ExtractiveReader(None)
    buckets = [bucket(reader, row) for row in rows]
    print("| bucket | questions |\n|---|---|")
    for name, n in Counter(buckets).most_common():
        print(f"| {name} | {n} |")
    kinds = Counter(
        (str(answer_kind(r.question.question, r.question.question)), b == "short answer exact")
        for r, b in zip(rows, buckets, strict=True)
    )
    print("\nexact short answers by question kind:")
    for kind in sorted({k for k, _ in kinds}):
        print(f"  {kind}: {kinds[kind, True]} of {kinds[kind, True] + kinds[kind, False]}")
    for row, b in zip(rows, buckets, strict=True):
        if show and show in b:
            print(f"\n{row.question.question}\n  gold: {row.question.answers}")
            print(f"  ours: {read(reader, row).short!r}")
    exact = {
        kind: {"exact": kinds[kind, True], "of": kinds[kind, True] + kinds[kind, False]}
        for kind in sorted({k for k, _ in kinds})
    }
    return {"questions": len(rows), "buckets": dict(Counter(buckets)), "exact_by_kind": exact}


def _summary(res: Scores) -> dict[str, float]:
    keys = ("contains", "short_em", "short_f1", "abstained")
    return {k: round(mean(r[k] for r in res), 4) for k in keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--home", type=Path, required=True)
    d.add_argument("out", type=Path)
    d.add_argument("--questions", default=str(DEV_QUESTIONS), help="a JSONL file, or 'seed'")
    c = sub.add_parser("cv")
    c.add_argument("dev", type=Path)
    c.add_argument("seed_dev", type=Path, help="the seed questions on the full archive")
    c.add_argument("seed", type=Path, help="the seed questions on the seed article alone")
    t = sub.add_parser("transfer")
    t.add_argument("other", type=Path, help="the questions the weights are chosen on")
    t.add_argument("dev", type=Path)
    t.add_argument("seed_dev", type=Path)
    t.add_argument("seed", type=Path)
    e = sub.add_parser("errors")
    e.add_argument("dev", type=Path)
    e.add_argument("--show", help="list the questions of buckets whose name holds this")
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.home, args.out, args.questions)
        return
    if args.command == "errors":
        figures = errors(args.dev, args.show)
    elif args.command == "transfer":
        figures = transfer(args.other, args.dev, args.seed_dev, args.seed)
    else:
        figures = cv(args.dev, args.seed_dev, args.seed)
    save(f"answers-{args.command}", figures, vars(args))


if __name__ == "__main__":
    main()
