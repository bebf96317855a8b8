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
from newsdesk.index.read.features import Features, sentences_features, spans_features
from newsdesk.ingest.store.records import Article

TOP_SENTENCES = 3  # spans are looked for in the sentence model's best few sentences


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
                    "sentence_p": sigmoid(logits[best]),
                    "sentence_gold": srows[best][1],
                    "span": prows[j][2] if j is not None else None,
                    "span_p": sigmoid(span_logits[j]) if j is not None else 0.0,
                    "signals": view["signals"],
                }
            )
    return out


def answer_features(x: dict[str, Any]) -> Features:
    s = x["signals"]
    support = s["support"] if math.isfinite(s["support"]) else -1.0
    return {
        "bias": 1.0,
        "support": support,
        "cover": s["cover"],
        "agree": float(s["agree"]),
        "sentence": math.log(x["sentence_p"] / (1 - x["sentence_p"] + 1e-9) + 1e-9),
        "span": x["span_p"],
    }


def fact_threshold(xs: list[dict], wrong: float) -> float:
    """The lowest span probability at which the fact lines shown are wrong at most `wrong`."""
    shown = sorted(
        (
            (x["span_p"], token_f1(x["span"], x["record"]["answers"]) > 0)
            for x in xs
            if not x["empty"] and x["span"]
        ),
        reverse=True,
    )
    best, bad = 1.0, 0
    for n, (p, right) in enumerate(shown, 1):
        bad += not right
        if bad / n <= wrong:
            best = p
    return best


def report(
    name: str, xs: list[dict], w: dict[str, Any], *, margin: bool = False
) -> dict[str, float]:
    """The figures the sealed check prints, on the answerable view, and abstention on both
    (`margin`: each reading's own answer logit, out of fold, rather than `w`'s)."""
    full = [x for x in xs if x["view"] == "full" and not x["empty"]]
    held = [x for x in xs if x["view"] == "withheld" and not x["empty"]]
    a = w["answer"]

    def answers(x: dict) -> bool:
        value = x["margin"] if margin else logit(a, answer_features(x))
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
    w["answer"] = weights(*fit([(answer_features(x), int(x["view"] == "full")) for x in xs], c))
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


def train(records: list[dict], c: float, wrong: float, answered: float) -> dict[str, Any]:
    """Thresholds chosen on out-of-fold predictions (5 folds by article), then the three
    models fitted on every record."""
    held_out: list[dict] = []
    parts = folds(records)
    for i, part in enumerate(parts):
        rest = [r for j, p in enumerate(parts) if j != i for r in p]
        w = fit_models(rest, c)
        held_out += [x | {"margin": logit(w["answer"], answer_features(x))} for x in
                     readings(part, w) if not x["empty"]]  # fmt: skip
    margins = sorted(x["margin"] for x in held_out if x["view"] == "full")
    w = fit_models(records, c)
    w["thresholds"] = {
        "fact": round(fact_threshold(held_out, wrong), 4),
        "answer": round(margins[int((1 - answered) * len(margins))], 4),
    }
    curve(held_out)
    # Held-out figures: each fold's own thresholds aside, the margins are out of fold.
    report("held out", held_out, w, margin=True)
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("readings", type=Path, nargs="+", help="pickles from train/readings.py")
    parser.add_argument("out", type=Path, help="the weights file to write (JSON)")
    parser.add_argument("--check", type=Path, help="readings to report figures on, not fit")
    parser.add_argument("--c", type=float, default=1.0, help="inverse L2 strength")
    parser.add_argument("--wrong", type=float, default=0.12, help="wrong fact lines allowed")
    parser.add_argument("--answered", type=float, default=0.95, help="answerable answered")
    args = parser.parse_args()
    records = [r for path in args.readings for r in pickle.loads(path.read_bytes())]
    w = train(records, args.c, args.wrong, args.answered)
    w["trained_on"] = {"questions": len(records), "files": [p.name for p in args.readings]}
    args.out.write_text(json.dumps(w, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if args.check:
        checked = readings(pickle.loads(args.check.read_bytes()), w)
        curve(checked)
        report("check", checked, w)


if __name__ == "__main__":
    main()
