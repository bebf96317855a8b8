"""Fit the learned reader's weights from saved readings (train/readings.py): which sentence
answers, which span of it is the fact asked for, and whether to answer at all.

    python train/reader.py build/pool.pkl index/read/reader-weights.json [--check build/dev.pkl]

Three logistic models over the named features of index/read/features.py:
- sentence: does this candidate sentence hold the gold answer?
- span: is this candidate span (an entity, or the rules' span, of the sentence model's three best
  sentences) the gold answer (token F1 ≥ 0.5)?
- answer: with the question's own article retrieved (1) or left out (0), from the abstention
  signals and the two models' best probabilities: does the archive hold the answer?

The questions are split by article, four fifths to fit and one fifth to choose the two
thresholds on: the fact line is shown when the span model's probability reaches the one that
keeps its wrong fact lines at most `--wrong` of those shown, and "I found nothing" is said
below the line that still answers `--answered` of the answerable. `--check` prints the same
figures on another set of readings (the dev set: looked at, never fitted).
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import random
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

from newsdesk.evaluate import contains_gold, normalize, token_f1
from newsdesk.index.read.extractive import Candidate
from newsdesk.index.read.features import (
    Features,
    answer_features,
    sentences_features,
    spans_features,
)
from newsdesk.ingest.store.records import Article
from newsdesk.text.terms import query_terms

TOP_SENTENCES = 3  # spans are looked for in the sentence model's best few sentences
# A generated question of fewer content words ("What was the sentence?") asks nothing
# answerable out of its passage's context: left out.
MIN_TERMS = 2


def candidates(record: dict[str, Any], view: dict[str, Any]) -> list[Candidate]:
    """The view's candidate sentences as the reader holds them."""
    articles = {
        a: Article(a, str(a), "", text, language=record["languages"].get(a))
        for a, text in record["texts"].items()
    }
    out = []
    for row in view["candidates"]:
        row = dict(row)
        row["article"] = articles[row["article"]]
        row["rule"] = tuple(row["rule"]) if row["rule"] else None
        out.append(Candidate(**row))
    return out


def sentence_rows(record: dict[str, Any], view: dict[str, Any]) -> list[tuple[Features, int]]:
    """Features and label (holds the gold) of each candidate sentence of one view."""
    found = candidates(record, view)
    rows = sentences_features(record["question"], found, record["entities"])
    return [
        (f, int(bool(contains_gold(c.text, record["answers"]))))
        for f, c in zip(rows, found, strict=True)
    ]


def span_rows(
    record: dict[str, Any], view: dict[str, Any], logits: list[float]
) -> list[tuple[Features, int, str]]:
    """Features, label (token F1 ≥ 0.5 with the gold) and text of each candidate span."""
    found = candidates(record, view)
    return [
        (f, int(token_f1(s.text, record["answers"]) >= 0.5), s.text)
        for f, s, _ in spans_features(
            record["question"], found, record["entities"], logits, TOP_SENTENCES
        )
    ]


def fit(rows: Iterable[tuple[Features, int]], c: float) -> tuple[DictVectorizer, Any]:
    features, labels = zip(*rows, strict=True)
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform(features)
    model = LogisticRegression(C=c, max_iter=2000, fit_intercept=False)
    model.fit(x, np.array(labels))
    return vectorizer, model


def weights(vectorizer: DictVectorizer, model: Any) -> dict[str, float]:
    return {
        name: round(float(w), 4)
        for name, w in zip(vectorizer.feature_names_, model.coef_[0], strict=True)
        if abs(w) >= 1e-4
    }


def logit(w: dict[str, float], f: Features) -> float:
    return sum(w.get(k, 0.0) * v for k, v in f.items())


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-max(min(x, 30), -30)))


def readings(records: list[dict[str, Any]], w: dict[str, dict[str, float]]) -> list[dict]:
    """For each record and view: the best sentence, the best span and its probability, the
    signals; what thresholds are chosen on and figures are counted from."""
    out = []
    for r in records:
        for view_name in ("full", "withheld"):
            view = r[view_name]
            found = view["candidates"]
            srows = sentence_rows(r, view)
            if not srows:
                out.append({"record": r, "view": view_name, "empty": True})
                continue
            logits = [logit(w["sentence"], f) for f, _ in srows]
            best = max(range(len(found)), key=lambda i: logits[i])
            prows = span_rows(r, view, logits)
            span_logits = [logit(w["span"], f) for f, _, _ in prows]
            j = max(range(len(prows)), key=lambda k: span_logits[k]) if prows else None
            out.append(
                {
                    "record": r,
                    "view": view_name,
                    "empty": False,
                    "sentence": found[best]["text"],
                    "sentence_logit": logits[best],
                    "sentence_gold": srows[best][1],
                    "span": prows[j][2] if j is not None else None,
                    "span_p": sigmoid(span_logits[j]) if j is not None else 0.0,
                    "signals": view["signals"],
                }
            )
    return out


def answer_row(x: dict[str, Any]) -> Features:
    """answer_features of a reading."""
    s = x["signals"]
    return answer_features(
        support=s["support"],
        cover=s["cover"],
        agree=s["agree"],
        sentence_logit=x["sentence_logit"],
        span_probability=x["span_p"],
    )


def report(
    name: str, xs: list[dict], w: dict[str, Any], *, margin: bool = False
) -> dict[str, float]:
    """The figures the sealed check prints, on the answerable view, and abstention on both
    (`margin`: each reading's own answer logit, out of fold, rather than `w`'s)."""
    full = [x for x in xs if x["view"] == "full" and not x["empty"]]
    held = [x for x in xs if x["view"] == "withheld" and not x["empty"]]
    a = w["answer"]

    def answers(x: dict) -> bool:
        value = x["margin"] if margin else logit(a, answer_row(x))
        return value >= w["thresholds"]["answer"]

    shown = [x for x in full if x["span"] and x["span_p"] >= w["thresholds"]["fact"]]
    figures = {
        "questions": len(full),
        "sentence_holds_gold": float(np.mean([x["sentence_gold"] for x in full])),
        "fact_line_shown": len(shown) / max(len(full), 1),
        "fact_line_wrong": float(
            np.mean([token_f1(x["span"], x["record"]["answers"]) == 0 for x in shown])
        )
        if shown
        else 0.0,
        "fact_exact": float(
            np.mean(
                [
                    normalize(x["span"]) in {normalize(g) for g in x["record"]["answers"]}
                    for x in shown
                ]
            )
        )
        if shown
        else 0.0,
        "answered": float(np.mean([answers(x) for x in full])),
        "declined_withheld": float(np.mean([not answers(x) for x in held])) if held else 0.0,
    }
    print(name, json.dumps({k: round(v, 3) for k, v in figures.items()}), file=sys.stderr)
    return figures


def fit_models(records: list[dict], c: float) -> dict[str, Any]:
    """The three models' weights, fitted on these records (thresholds not set)."""
    w: dict[str, Any] = {}
    srows = [row for r in records for row in sentence_rows(r, r["full"])]
    w["sentence"] = weights(*fit(srows, c))
    prows = []
    for r in records:
        rows = sentence_rows(r, r["full"])
        if rows:
            logits = [logit(w["sentence"], f) for f, _ in rows]
            prows += [(f, y) for f, y, _ in span_rows(r, r["full"], logits)]
    w["span"] = weights(*fit(prows, c))
    xs = [x for x in readings(records, w) if not x["empty"]]
    w["answer"] = weights(*fit([(answer_row(x), int(x["view"] == "full")) for x in xs], c))
    return w


def folds(records: list[dict], k: int = 5) -> list[list[dict]]:
    """The records in k parts, no article's questions in two parts."""
    articles = sorted({r["doc_id"] for r in records})
    random.Random(0).shuffle(articles)
    part = {a: i % k for i, a in enumerate(articles)}
    return [[r for r in records if part[r["doc_id"]] == i] for i in range(k)]


def curve(xs: list[dict]) -> None:
    """Fact lines shown and wrong at a few thresholds, for choosing by eye too."""
    full = [x for x in xs if x["view"] == "full" and not x["empty"] and x["span"]]
    for t in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        shown = [x for x in full if x["span_p"] >= t]
        wrong = np.mean([token_f1(x["span"], x["record"]["answers"]) == 0 for x in shown])
        print(f"  p >= {t}: shown {len(shown) / max(len(full), 1):.3f} wrong {wrong:.3f}",
              file=sys.stderr)  # fmt: skip


def answer_line(xs: list[dict], answered: float) -> float:
    """The least answer logit that still answers `answered` of these answerable readings."""
    margins = sorted(x["margin"] for x in xs if x["view"] == "full" and not x["empty"])
    return round(margins[int((1 - answered) * len(margins))], 4)


def train(
    records: list[dict], calibrate: set[str], c: float, fact: float, answered: float
) -> dict[str, Any]:
    """The three models fitted on every record, with their out-of-fold figures (5 folds by
    article); the answer line chosen on the out-of-fold margins of the `calibrate` files'
    questions (real ones: the dev set), the fact line's probability given."""
    held_out: list[dict] = []
    parts = folds(records)
    for i, part in enumerate(parts):
        rest = [r for j, p in enumerate(parts) if j != i for r in p]
        w = fit_models(rest, c)
        held_out += [x | {"margin": logit(w["answer"], answer_row(x))} for x in
                     readings(part, w) if not x["empty"]]  # fmt: skip
    w = fit_models(records, c)
    real = [x for x in held_out if x["record"]["source"] in calibrate] or held_out
    line = answer_line(real, answered)
    # Answers this near the line are marked "may not be in the archive": as many answerable
    # questions again as the line declines.
    doubt = round(answer_line(real, answered - (1 - answered)) - line, 4)
    w["thresholds"] = {"fact": fact, "answer": line, "doubt": doubt}
    for source in sorted({x["record"]["source"] for x in held_out}):
        mine = [x for x in held_out if x["record"]["source"] == source]
        curve(mine)
        report(f"{source}, out of fold", mine, w, margin=True)
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("readings", type=Path, nargs="+", help="pickles from train/readings.py")
    parser.add_argument("--out", type=Path, required=True, help="the weights file (JSON)")
    parser.add_argument(
        "--calibrate",
        type=Path,
        action="append",
        default=[],
        help="of the readings, those of real questions, whose answer line is chosen on",
    )
    parser.add_argument("--c", type=float, default=1.0, help="inverse L2 strength")
    parser.add_argument("--fact", type=float, default=0.5, help="least fact line probability")
    parser.add_argument("--answered", type=float, default=0.95, help="answerable answered")
    args = parser.parse_args()
    records = []
    for path in args.readings:
        for r in pickle.loads(path.read_bytes()):
            if len(query_terms(r["question"])) >= MIN_TERMS:
                # Articles of two files never share a fold under one id.
                records.append(r | {"source": path.name, "doc_id": f"{path.name}:{r['doc_id']}"})
    w = train(records, {p.name for p in args.calibrate}, args.c, args.fact, args.answered)
    w["trained_on"] = {
        "questions": {p.name: sum(r["source"] == p.name for r in records) for p in args.readings},
        "answer_line_from": [p.name for p in args.calibrate] or "all, out of fold",
        "c": args.c,
    }
    args.out.write_text(json.dumps(w, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
