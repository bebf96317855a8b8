"""Abstention calibration on withheld dev articles, cross-validated by question.

The 130 dev questions are split into halves A and B (fixed seed). Archive W_A is the dev corpus
without the gold articles of A's questions (and any near-duplicate copies), W_B the other way
round; so every question is asked once where its article is gone and once where it is there
(the 130 gold articles are all distinct). The answerer runs against each archive with
abstention switched off, recording the signals of index/read/abstain.py and the answer it would
give; a logistic rule is then fitted on those signals with 5-fold cross-validation (both
instances of a question in one fold), its bias set for 96% answered on the fitting folds.

    python -m bench.abstention [--work build/withheld] [--refit] [--questions JSONL]

Missing archives are built first (a full ingest, 4–10 min, then two copies with deletions);
a rerun on existing archives (260 answers) takes 2–4 minutes on the 2-core machine, and
`--refit` refits on the features JSONL of the last run in under a second. Besides the rules it
prints how many answers `Calibration.doubt` marks unsure. Current figures: bench/README.md,
"Abstention calibration"; earlier ones: bench/HISTORY.md.

The bench hooks `newsdesk.index.read.extractive.signals` and `.should_abstain`: the reader must
import both by these names and call them once per retrieval attempt.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (
    DEV_CORPUS,
    DEV_QUESTIONS,
    Timer,
    dev_set,
    percentile,
    read_jsonl,
    save,
)
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.evaluate import Question, contains_gold, normalize
from newsdesk.index.read import extractive
from newsdesk.index.read.abstain import (
    CALIBRATION,
    Calibration,
    Frequencies,
    Scored,
    Signals,
    margin,
    should_abstain,
    signals,
)
from newsdesk.index.read.answerer import Answerer, strip_markers
from newsdesk.index.search.hybrid import Hit
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder

SEED = 9
FOLDS = 5
# Fit for a little more than the 95% target on the training folds: held-out answers run lower.
TARGET_ANSWERED = 0.96


def split(questions: list[Question]) -> tuple[set[str], set[str]]:
    """Two halves of the questions' articles, shuffled with a fixed seed (in the order their
    first question comes up: for the 130 dev questions, whose articles are all distinct, the
    halves of the shuffled questions), and the questions of each."""
    ids = sorted(q.id for q in questions)
    random.Random(SEED).shuffle(ids)
    doc_of = {q.id: q.doc_id or q.id for q in questions}
    docs = list(dict.fromkeys(doc_of[i] for i in ids))
    first = set(docs[: len(docs) // 2])
    a = {i for i in ids if doc_of[i] in first}
    return a, set(ids) - a


def build_full(home: Path, settings: Settings, embedder: SentenceTransformerEmbedder) -> None:
    if (home / "index.faiss").exists():
        return
    print(f"ingesting the dev corpus into {home} (about 4 minutes)", flush=True)
    with Newsdesk(settings.with_home(home), embedder=embedder) as desk:
        desk.ingest([str(DEV_CORPUS)])


def build_withheld(
    full: Path, home: Path, gold: set[str], embedder: SentenceTransformerEmbedder
) -> None:
    """A copy of the full archive without the gold articles and their near-duplicate copies."""
    if (home / "done").exists():
        return
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    with sqlite3.connect(full / "archive.db") as src, sqlite3.connect(home / "archive.db") as dst:
        src.backup(dst)
    shutil.copy(full / "index.faiss", home / "index.faiss")
    with Newsdesk(Settings(home=home), embedder=embedder) as desk:
        marks = ",".join("?" * len(gold))
        rows = desk.archive.db.execute(
            f"SELECT id FROM articles WHERE external_id IN ({marks}) OR cluster_id IN "
            f"(SELECT coalesce(cluster_id, id) FROM articles WHERE external_id IN ({marks}))",
            [*gold, *gold],
        ).fetchall()
        for (article_id,) in rows:
            desk.delete(article_id)
        print(f"{home.name}: {len(rows)} articles withheld for {len(gold)} questions", flush=True)
    (home / "done").touch()


def record(answerer: Answerer, q: Question, answerable: bool) -> dict[str, Any]:
    """The question's signals and the answer given when abstention is off."""
    seen: list[tuple[Signals, str, list[str | None]]] = []
    took: list[float] = []

    def observe(
        frequencies: Frequencies,
        query: str,
        hits: Sequence[Hit],
        candidates: Sequence[Scored],
        support: float,
    ) -> Signals:
        began = time.perf_counter()
        s = signals(frequencies, query, hits, candidates, support)
        took.append((time.perf_counter() - began) * 1000)
        seen.append((s, query, [h.article.external_id for h in hits]))
        return s

    extractive.signals, extractive.should_abstain = observe, lambda *_, **__: False
    try:
        answer = answerer.ask(q.question, as_of=q.as_of)
    finally:
        extractive.signals, extractive.should_abstain = signals, should_abstain
    text = strip_markers(answer.text) if answer.answerable else ""
    found, query, retrieved = seen[-1] if seen else (None, q.question, [])
    return {
        "id": q.id,
        "answerable": answerable,
        "signals": asdict(found) if found else None,
        # For a withheld question too: another article on the same story may hold the answer.
        "gold": contains_gold(text, q.answers),
        "query": query,
        "retrieved": retrieved,
        "cited": [s.external_id for s in answer.sources],
        "answer": text,
        "ms": answer.latency_ms,
        "signals_ms": sum(took),
    }


def features(work: Path, out: Path, source: Path) -> list[dict[str, Any]]:
    questions = dev_set(source)
    halves = split(questions)
    prefix = "withheld" if source == DEV_QUESTIONS else source.stem
    gold_of = {q.id: q.doc_id or "" for q in questions}
    settings = Settings()
    embedder = SentenceTransformerEmbedder(settings.model)
    build_full(work / "full", settings, embedder)
    rows = []
    for name, half in zip("AB", halves, strict=True):
        home = work / f"{prefix}_{name}"
        build_withheld(work / "full", home, {gold_of[i] for i in half}, embedder)
        with Newsdesk(Settings(home=home), embedder=embedder) as desk:
            answerer = desk.answerer  # the extractive reader (Settings.reader)
            for q in questions:
                rows.append(record(answerer, q, q.id not in half) | {"archive": name})
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


# -- fitting ------------------------------------------------------------------------------------

# `cross` is not fitted: across scripts support alone decides (Calibration.cross_support).
FEATURES = [f for f in Signals.__dataclass_fields__ if f != "cross"]


@dataclass
class Data:
    ids: np.ndarray  # question id per instance
    answerable: np.ndarray
    gold: np.ndarray  # the answer given with abstention off contains a gold string
    # ... or, for a withheld question, tells most of one (another article on the same story)
    right: np.ndarray
    x: np.ndarray  # instances × FEATURES


def load(rows: list[dict[str, Any]], source: Path) -> Data:
    blank = asdict(Signals(-math.inf, 0.0, False))  # retrieval found nothing (a date filter)
    x = np.array([[float((r["signals"] or blank)[f]) for f in FEATURES] for r in rows])
    questions = {q.id: q for q in dev_set(source)}
    right = [r["gold"] or recall(r["answer"], questions[r["id"]].answers) >= 0.6 for r in rows]
    return Data(
        np.array([r["id"] for r in rows]),
        np.array([r["answerable"] for r in rows]),
        np.array([r["gold"] for r in rows]),
        np.array(right, dtype=bool),
        np.where(np.isfinite(x), x, -1.0),  # no sentence at all: below any real support
    )


def recall(answer: str, gold: list[str]) -> float:
    """The largest share of a gold string's words that the answer holds."""
    words = set(normalize(answer).split())
    shares = [
        sum(w in words for w in g) / len(g) for g in (normalize(x).split() for x in gold) if g
    ]
    return max(shares, default=0.0)


def logistic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic regression (numpy, light L2): weights in the features' own units, and the bias
    moved so that TARGET_ANSWERED of the answerable instances score ≥ 0."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(3000):
        g = 1 / (1 + np.exp(-(z @ w + b))) - y
        w -= 0.1 * (z.T @ g + w) / len(y)
        b -= 0.1 * g.mean()
    w = w / sd
    return w, -float(np.quantile(x[y] @ w, 1 - TARGET_ANSWERED))


def fit(x: np.ndarray, y: np.ndarray) -> Calibration:
    """The logistic rule on the signals, as a Calibration."""
    w, bias = logistic(x, y)
    weights = {f: round(float(v), 2) for f, v in zip(FEATURES, w, strict=True)}
    return Calibration(**weights, bias=round(bias, 2))


def answered(x: np.ndarray, c: Calibration) -> np.ndarray:
    return np.array([not should_abstain(Signals(*row), calibration=c) for row in x])


def folds_of(ids: np.ndarray, seed: int = SEED) -> np.ndarray:
    """Each instance's fold, by question (both instances of a question in one fold)."""
    order = sorted(set(ids))
    random.Random(seed).shuffle(order)
    fold_of = {q: i % FOLDS for i, q in enumerate(order)}
    return np.array([fold_of[q] for q in ids])


def cross_validate(d: Data, columns: list[int]) -> np.ndarray:
    """Held-out decisions of the rule fitted on the other folds."""
    folds = folds_of(d.ids)
    out = np.zeros(len(d.ids), dtype=bool)
    for k in range(FOLDS):
        out[folds == k] = answered(
            d.x[folds == k], fit(only(d.x[folds != k], columns), d.answerable[folds != k])
        )
    return out


def subset(d: Data, keep: np.ndarray) -> Data:
    return Data(d.ids[keep], d.answerable[keep], d.gold[keep], d.right[keep], d.x[keep])


def only(x: np.ndarray, columns: list[int]) -> np.ndarray:
    """The features, the unused ones zeroed (their weight comes out 0)."""
    return np.where(np.isin(np.arange(x.shape[1]), columns), x, 0.0)


def rates(d: Data, ok: np.ndarray) -> dict[str, float]:
    """Answered share of answerable; abstained share of withheld, and of the withheld that an
    answer would have got wrong; gold-containment of the answerable answers given."""
    a, w = d.answerable, ~d.answerable
    wrong = w & ~d.right
    return {
        "answered": (ok & a).sum() / a.sum(),
        "abstained": (~ok & w).sum() / w.sum(),
        "abstained_where_wrong": (~ok & wrong).sum() / wrong.sum(),
        "gold_in_answered": d.gold[ok & a].mean(),
    }


def row(label: str, d: Data, ok: np.ndarray, table: dict[str, dict[str, float]]) -> str:
    """The table row of `rates`, kept in `table` under its label."""
    r = table[label] = rates(d, ok)
    return f"| {label} | " + " | ".join(f"{v:.3f}" for v in r.values()) + " |"


def auc(score: np.ndarray, positive: np.ndarray) -> float:
    """Probability that an answerable instance scores above a withheld one (ties count half)."""
    pos, neg = score[positive], score[~positive]
    return float(((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])).mean())


def report(d: Data) -> dict[str, Any]:
    """Print the figures; return them."""
    a = d.answerable
    table: dict[str, dict[str, float]] = {}
    features: dict[str, dict[str, float]] = {}
    right_elsewhere = d.right[~a].mean()
    print(f"withheld answered right from another article (abstention off): {right_elsewhere:.3f}")
    print("\n| feature | AUC | abstained at 95% answered |\n|---|---|---|")
    for i, f in enumerate(FEATURES):
        v = d.x[:, i]
        features[f] = {"auc": auc(v, a), "abstained": (v[~a] < np.quantile(v[a], 0.05)).mean()}
        print(f"| {f} | {features[f]['auc']:.3f} | {features[f]['abstained']:.3f} |")
    print(
        "\n| rule | answered (answerable) | abstained (withheld) | abstained (withheld, "
        "answer would be wrong) | gold in answered |\n|---|---|---|---|---|"
    )
    for label, columns in (("support alone", [0]), ("support + cover + agree", [0, 1, 2])):
        print(row(f"{label}, {FOLDS}-fold CV", d, cross_validate(d, columns), table))
        whole = fit(only(d.x, columns), a)
        print(row(f"{label}, in-sample", d, answered(d.x, whole), table))
    print(row("shipped CALIBRATION, in-sample", d, answered(d.x, CALIBRATION), table))
    # A withheld question that another article on the same story answers right is no
    # must-abstain: counted answerable (the rule refitted so), or left out of fit and score.
    for label, kept in (
        ("answered right from another article counted answerable", np.ones_like(d.right)),
        ("answered right from another article left out", d.answerable | ~d.right),
    ):
        relabelled = subset(replace(d, answerable=d.answerable | d.right), kept)
        held = cross_validate(relabelled, [0, 1, 2])
        print(row(f"3 signals, CV, {label}", relabelled, held, table))
    # Answers given near the line are marked as maybe not in the archive (Calibration.doubt).
    margins = np.array([margin(Signals(*x)) for x in d.x])
    given = margins >= 0
    marked = given & (margins < CALIBRATION.doubt)
    right = (marked & a & (d.gold > 0)).sum()
    print(
        f"\nanswered but marked unsure (doubt {CALIBRATION.doubt}): answerable "
        f"{(marked & a).sum()} of {(given & a).sum()} ({right} of them right), "
        f"withheld {(marked & ~a).sum()} of {(given & ~a).sum()}"
    )
    print(f"\nfitted on all instances, to paste into index/read/abstain.py:\n{whole}")
    return {
        "withheld_right_from_another_article": right_elsewhere,
        "features": features,
        "rules": table,
        "unsure": {
            "answerable_marked": (marked & a).sum(),
            "answerable_given": (given & a).sum(),
            "answerable_marked_right": right,
            "withheld_marked": (marked & ~a).sum(),
            "withheld_given": (given & ~a).sum(),
        },
        "fit": asdict(whole),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work", type=Path, default=Path("build/withheld"), help="where the archives go"
    )
    parser.add_argument("--refit", action="store_true", help="reuse the features JSONL")
    parser.add_argument(
        "--questions",
        type=Path,
        default=DEV_QUESTIONS,
        help="questions JSONL with doc_id (default: the dev questions); others get their own "
        "withheld archives, e.g. bench/data/synthetic-questions.jsonl",
    )
    args = parser.parse_args()
    name = "features" if args.questions == DEV_QUESTIONS else f"features-{args.questions.stem}"
    out = args.work / f"{name}.jsonl"
    figures: dict[str, Any] = {}
    if args.refit:
        rows = read_jsonl(out)
    else:
        with Timer() as took:
            rows = features(args.work, out, args.questions)
        print(f"features of {len(rows)} instances in {took.seconds:.0f} s")
        ms = [r["signals_ms"] for r in rows]
        p50, p95 = percentile(ms, 0.5), percentile(ms, 0.95)
        print(f"signals(): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        figures["signals_ms"] = {"p50": p50, "p95": p95}
    figures |= {"instances": len(rows)} | report(load(rows, args.questions))
    save(
        "abstention" if name == "features" else f"abstention-{args.questions.stem}",
        figures,
        vars(args),
    )


if __name__ == "__main__":
    main()
