"""A learned short-answer span scorer, measured against the rules: 5-fold CV by question.

The rules of index/read/spans.py make one guess per shape of question. Here every plausible span of
the sentences the reader chooses is a candidate (the spans the question's grammar places,
names, numbers, dates, noun phrases and their heads, e.g. "vegans" for "which diners …?"),
described by features meant to hold for news questions in general (below), and a linear score
picks one; its weights minimise a listwise logistic loss over the spans that equal a gold
string (numpy, L2). Reads the retrieval dump of bench.answers, with abstention off. From
the project root:

    python -m bench.answers dump --home DEV_HOME dev.pkl
    python -m bench.spans dev.pkl [--l2 0.3] [--train other.pkl]

With --train, the weights are fitted on those questions (e.g. synthetic ones over articles no
dev question asks about) and every dev question is held out.

Held out, the scorer has not beaten the rules (bench/README.md, "Answers"), so the reader
keeps the rules; this stays as the harness for better features or more data.
"""

from __future__ import annotations

import argparse
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.answers import Row, folds
from bench.common import save
from newsdesk.evaluate import exact_match, token_f1
from newsdesk.index.read.extractive import ExtractiveReader, answer_kind
from newsdesk.index.read.phrases import phrase_spans
from newsdesk.index.read.spans import Kind, asked_words, clean_span, find_span, spans, stem
from newsdesk.text.terms import STOPWORDS

L2 = 0.3

# Feature names, in the order of Span.features.
FEATURES = (
    "placed",  # the question's grammar puts the answer here (index/read/phrases.py)
    "placed_first",  # ... and it is the grammar's first choice in this sentence
    "kind",  # a name / number / date, as the question asks for
    "name",  # a run of capitalised words
    "number",
    "date",
    "chunk",  # a noun phrase or a head of one, not a typed span
    "words",  # length in words, capped at 12, over 12
    "single",  # one word
    "near",  # 1 next to the question's words, falling to 0 twenty words away
    "before",  # stands before the question's words it is nearest (a subject)
    "head",  # holds the noun of "which team …?"
    "asked",  # share of its words that the question already says
    "capitals",  # share of capitalised words
    "first",  # opens the sentence
    "top",  # from the best sentence
    "lag",  # how far its sentence scores below the best one
    "rule",  # the span the rules of index/read/spans.py (find_span) pick in this sentence
    "proper",  # a capitalised span for a noun usually answered by a name ("which country")
    "common",  # a lower-case span for a head noun that is not ("which diners")
    "inside",  # lies within a span the grammar places ("Andy Robinson" in "appointed X as …")
    "next",  # right beside the question's words
)
# The features count once for questions that ask for a kind (name, number, date) and once
# for those that don't ("what did X do?"), where the grammar's clause is usually the answer.
WIDTH = 2 * len(FEATURES)


@dataclass
class Span:
    """A candidate short answer and what describes it."""

    text: str
    start: int
    end: int
    flags: dict[str, float] = field(default_factory=dict)
    features: list[float] = field(default_factory=list)


_TOKEN = re.compile(r"[$€£]?\w[\w'’.\-]*%?")
_GAP = re.compile(r"\s*")  # tokens of one phrase are separated by white space alone
NEAR_WORDS = 20
# Nouns of "which / what X …?" that news answers with a proper name; others ("which diners",
# "what animal") more often with a common noun.
NAMED = frozenset(
    """country countries state states city town nation team club company firm airline bank
    party group organization organisation agency network newspaper magazine show series film
    movie band album song book award awards prize university school president leader
    minister candidate player star singer actor actress director team country’s country's
    man woman person brand hurricane storm virus variant island continent ocean sea river
    region province county airport court league tournament event festival""".split()
)


def candidates(
    sentence: str,
    kind: Kind | None,
    question: str,
    avoid: str | None = None,
    lag: float | None = 0.0,
) -> list[Span]:
    """Every candidate span of `sentence`, with features; none made of the question's words.

    `lag` is how far the sentence scores below the best chosen one (0 for the best)."""
    asked, verbs, head = asked_words(question)
    found: dict[str, Span] = {}

    def add(start: int, end: int, **flags: float) -> None:
        text = clean_span(sentence[start:end], asked)
        words = {stem(w.lower()) for w in _TOKEN.findall(text)} - {stem(w) for w in STOPWORDS}
        if not text or not words - asked or (avoid and text.lower() == avoid.lower()):
            return
        at = sentence.find(text, start)
        span = found.setdefault(
            text.lower(), Span(text, max(at, start), max(at, start) + len(text))
        )
        for name, value in flags.items():
            span.flags[name] = max(span.flags.get(name, 0.0), value)

    placed = phrase_spans(sentence, question, stem)
    for i, (start, end) in enumerate(placed):
        add(start, end, placed=1.0, placed_first=float(i == 0))
    for typed in ("name", "number", "date"):
        for start, end in spans(sentence, typed):
            add(start, end, kind=float(typed == kind), **{typed: 1.0})
    for start, end in _chunks(sentence):
        add(start, end, chunk=1.0)
    tokens = [(m.start(), stem(m.group().lower())) for m in _TOKEN.finditer(sentence)]
    anchors = [i for i, (_, s) in enumerate(tokens) if s in verbs] or [
        i for i, (_, s) in enumerate(tokens) if s in asked
    ]
    if rule := find_span(sentence, kind, question, avoid):
        add(sentence.find(rule[0]), sentence.find(rule[0]) + len(rule[0]), rule=1.0)
    for span in found.values():
        if any(a <= span.start and span.end <= b for a, b in placed) and "placed" not in span.flags:
            span.flags["inside"] = 1.0
        span.features = _features(span, tokens, anchors, asked, head, lag or 0.0, kind is not None)
    return list(found.values())


def _chunks(sentence: str) -> list[tuple[int, int]]:
    """Noun-phrase-like runs of content words, and their last one, two and three words."""
    out: list[tuple[int, int]] = []
    run: list[re.Match[str]] = []
    for m in [*_TOKEN.finditer(sentence), None]:
        joined = m is not None and bool(run) and _GAP.fullmatch(sentence[run[-1].end() : m.start()])
        if m is not None and m.group().lower() not in STOPWORDS and (joined or not run):
            run.append(m)
            continue
        for n in range(1, min(len(run), 3) + 1):
            out.append((run[-n].start(), run[-1].end()))
        if len(run) > 3:
            out.append((run[0].start(), run[-1].end()))
        run = [m] if m is not None and m.group().lower() not in STOPWORDS else []
    return out


def _features(
    span: Span,
    tokens: list[tuple[int, str]],
    anchors: list[int],
    asked: frozenset[str],
    head: str,
    lag: float,
    typed: bool,
) -> list[float]:
    words = _TOKEN.findall(span.text)
    first = next((i for i, (at, _) in enumerate(tokens) if at >= span.start), len(tokens))
    last = first + max(len(words) - 1, 0)
    gaps = [(a - last if a > last else first - a) for a in anchors if not first <= a <= last]
    nearest = min(gaps, default=NEAR_WORDS)
    before = any(a > last and a - last == nearest for a in anchors)
    capitals = sum(w[:1].isupper() for w in words) / max(len(words), 1)
    values = span.flags | {
        "next": float(nearest <= 1),
        "words": min(len(words), 12) / 12,
        "single": float(len(words) == 1),
        "near": max(0.0, 1 - nearest / NEAR_WORDS),
        "before": float(before),
        "head": float(bool(head) and head in {w.lower() for w in words}),
        "asked": sum(stem(w.lower()) in asked for w in words) / max(len(words), 1),
        "capitals": capitals,
        "first": float(first == 0),
        "top": float(lag == 0),
        "lag": lag,
        "proper": capitals * (head in NAMED or not head),
        "common": (1 - capitals) * (bool(head) and head not in NAMED),
    }
    row = [values.get(name, 0.0) for name in FEATURES]
    zeros = [0.0] * len(FEATURES)
    return row + zeros if typed else zeros + row


@dataclass
class Item:
    """One question's candidate spans: features, exact match and F1 against the gold."""

    x: np.ndarray
    em: np.ndarray
    f1: np.ndarray
    rule_em: float
    rule_f1: float


def collect(rows: list[Row]) -> list[Item]:
    reader = ExtractiveReader(None)
    items = []
    for row in rows:
        gold = row.question.answers
        for reading in row.readings:
            found = reader.candidates(reading.question, reading.query, reading.hits)
            if found:
                break
        chosen = reader.choose(found) if found else []
        kind = answer_kind(reading.question, reading.query)
        spans = [
            s
            for c in chosen
            for s in candidates(
                c.text, kind, reading.question, c.article.source, chosen[0].score - c.score
            )
        ]
        rule = next((f[0] for c in chosen if (f := find_span(c.text, kind, reading.question))), "")
        items.append(
            Item(
                np.array([s.features for s in spans]).reshape(-1, WIDTH),
                np.array([exact_match(s.text, gold) for s in spans]),
                np.array([token_f1(s.text, gold) for s in spans]),
                exact_match(rule, gold),
                token_f1(rule, gold),
            )
        )
    return items


def fit(items: list[Item], l2: float = L2) -> np.ndarray:
    """Weights minimising the softmax cross-entropy of the right spans, over the questions
    that have one (gradient descent, features standardised, L2)."""
    usable = [i for i in items if i.em.any()]
    x_all = np.vstack([i.x for i in usable])
    mu, sd = x_all.mean(0), x_all.std(0) + 1e-9
    w = np.zeros(WIDTH)
    for _ in range(600):
        grad = l2 * w
        for item in usable:
            z = (item.x - mu) / sd
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            grad += z.T @ (p - item.em / item.em.sum())
        w -= 0.5 * grad / len(usable)
    return w / sd


def pick(items: list[Item], w: np.ndarray) -> tuple[list[float], list[float]]:
    em, f1 = [], []
    for item in items:
        best = int(np.argmax(item.x @ w)) if len(item.x) else -1
        em.append(float(item.em[best]) if best >= 0 else 0.0)
        f1.append(float(item.f1[best]) if best >= 0 else 0.0)
    return em, f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path, help="a bench.answers dump of the dev questions")
    parser.add_argument("--l2", type=float, default=L2)
    parser.add_argument("--train", type=Path, help="fit on this dump's questions instead")
    args = parser.parse_args()
    items = collect(pickle.loads(args.dump.read_bytes()))
    reachable = float(np.mean([i.em.any() for i in items]))
    print(f"{len(items)} questions; a candidate span equals a gold string for {reachable:.3f}")
    rules = {"em": np.mean([i.rule_em for i in items]), "f1": np.mean([i.rule_f1 for i in items])}
    figures: dict[str, Any] = {"questions": len(items), "reachable": reachable, "rules": rules}
    if args.train:
        train = collect(pickle.loads(args.train.read_bytes()))
        print(f"fitted on {len(train)} other questions ({sum(i.em.any() for i in train)} usable)")
        em, f1 = pick(items, fit(train, args.l2))
        print(f"rules (find_span):      EM {rules['em']:.3f} F1 {rules['f1']:.3f}")
        print(f"fitted elsewhere:       EM {np.mean(em):.3f} F1 {np.mean(f1):.3f}")
        figures["fitted_elsewhere"] = {"em": np.mean(em), "f1": np.mean(f1), "on": len(train)}
        save("spans-transfer", figures, vars(args))
        return
    held_em, held_f1 = [0.0] * len(items), [0.0] * len(items)
    for fold in folds(len(items)):
        w = fit([items[i] for i in range(len(items)) if i not in fold], args.l2)
        em, f1 = pick([items[i] for i in fold], w)
        for i, e, f in zip(fold, em, f1, strict=True):
            held_em[i], held_f1[i] = e, f
    print(f"rules (find_span):      EM {rules['em']:.3f} F1 {rules['f1']:.3f}")
    print(f"5-fold CV, held out:    EM {np.mean(held_em):.3f} F1 {np.mean(held_f1):.3f}")
    w = fit(items, args.l2)
    em, f1 = pick(items, w)
    print(f"in-sample:              EM {np.mean(em):.3f} F1 {np.mean(f1):.3f}")
    print("weights fitted on all questions:")
    names = [f"{f} (kind)" for f in FEATURES] + list(FEATURES)
    for name, v in zip(names, w, strict=True):
        print(f"  {name:13} {v:+.2f}")
    figures["held_out"] = {"em": np.mean(held_em), "f1": np.mean(held_f1)}
    figures["in_sample"] = {"em": np.mean(em), "f1": np.mean(f1)}
    figures["weights"] = dict(zip(names, w.tolist(), strict=True))
    save("spans", figures, vars(args))


if __name__ == "__main__":
    main()
