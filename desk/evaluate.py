"""Retrieval and answer scores on a question set: Recall@k, MRR, SQuAD EM / F1, abstention."""

from __future__ import annotations

import json
import re
import statistics
import string
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from newsdesk.desk import Newsdesk
from newsdesk.errors import NewsdeskError
from newsdesk.index.read.answerer import Answer, strip_markers
from newsdesk.text.sentences import split_sentences

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation) | set("“”‘’–—…")


@dataclass
class Question:
    """One line of a question set: the question, its gold strings and the article holding them."""

    id: str
    question: str
    answers: list[str]
    doc_id: str | None = None
    as_of: date | None = None


def normalize(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, gold: Sequence[str]) -> float:
    return float(any(normalize(prediction) == normalize(g) for g in gold))


def token_f1(prediction: str, gold: Sequence[str]) -> float:
    """The best SQuAD token F1 of the prediction against any gold string."""
    pred = normalize(prediction).split()
    best = 0.0
    for g in gold:
        ref = normalize(g).split()
        common = sum((Counter(pred) & Counter(ref)).values())
        if common:
            p, r = common / len(pred), common / len(ref)
            best = max(best, 2 * p * r / (p + r))
    return best


def contains_gold(prediction: str, gold: Sequence[str]) -> float:
    """Whether a (normalised) gold string appears inside the (normalised) answer."""
    text = f" {normalize(prediction)} "
    return float(any(normalize(g) and f" {normalize(g)} " in text for g in gold))


def rank_of(doc_id: str | None, retrieved: Sequence[str | None]) -> int | None:
    """1-based rank of the gold article among the retrieved articles, None when missing."""
    ids = list(dict.fromkeys(retrieved))
    return ids.index(doc_id) + 1 if doc_id in ids else None


def percentile(values: Sequence[float], q: float) -> float:
    """The value below which a fraction `q` (a whole percentage: 0.5, 0.95) of the values lie,
    0.0 for none. Interpolated between the two nearest values on the scale that runs from the
    smallest to the largest (`statistics.quantiles`' "inclusive" method, numpy's default): the
    values are all the latencies measured, not a sample of a wider population."""
    if len(values) < 2:
        return float(values[0]) if values else 0.0
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return [min(values), *cuts, max(values)][round(q * 100)]


def load_questions(path: Path) -> Iterator[Question | str]:
    """Questions of a JSON-lines file; a broken line yields its error message instead."""
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                answers = row.get("answers") or []
                yield Question(
                    str(row["id"]),
                    str(row["question"]),
                    [answers] if isinstance(answers, str) else [str(a) for a in answers],
                    row.get("doc_id"),
                    date.fromisoformat(row["date"][:10]) if row.get("date") else None,
                )
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                yield f"line {n}: {type(e).__name__}: {e}"


# What became of a language model's answers (Answer.generated, up to its colon).
GENERATED_OUTCOMES = ("grounded", "replaced", "declined", "judged", "failed")


@dataclass
class Scores:
    """Running totals for one system (ours or a baseline)."""

    name: str
    ranks: list[int | None] = field(default_factory=list)
    em: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    short_em: list[float] = field(default_factory=list)
    short_f1: list[float] = field(default_factory=list)
    contains: list[float] = field(default_factory=list)
    abstained: list[bool] = field(default_factory=list)
    unsure: list[bool] = field(default_factory=list)  # answered, marked as maybe not known
    # Containment grows with answer length (about 4 points per 80 characters on dev): readers
    # are compared at equal length.
    chars: list[int] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    generated: list[str] = field(default_factory=list)  # what a language model's answer met

    def add(self, q: Question, answer: Answer | None, retrieved: Sequence[str | None]) -> None:
        self.ranks.append(rank_of(q.doc_id, retrieved))
        if answer is None:
            return
        text = strip_markers(answer.text) if answer.answerable else ""
        short = answer.short or text
        self.em.append(exact_match(text, q.answers))
        self.f1.append(token_f1(text, q.answers))
        self.short_em.append(exact_match(short, q.answers))
        self.short_f1.append(token_f1(short, q.answers))
        self.contains.append(contains_gold(text, q.answers))
        self.abstained.append(not answer.answerable)
        self.unsure.append(answer.answerable and answer.unsure)
        if answer.answerable:
            self.chars.append(len(text))
        self.latency.append(answer.latency_ms)
        if answer.generated:
            self.generated.append(answer.generated.split(":")[0])

    def summary(self) -> dict[str, Any]:
        def mean(xs: Sequence[float]) -> float | None:
            return round(sum(xs) / len(xs), 4) if xs else None

        out: dict[str, Any] = {"system": self.name, "questions": len(self.ranks)}
        if any(q is not None for q in self.ranks) or self.ranks:
            out["recall@1"] = mean([float(r == 1) for r in self.ranks])
            out["recall@5"] = mean([float(r is not None and r <= 5) for r in self.ranks])
            out["mrr"] = mean([1 / r if r else 0.0 for r in self.ranks])
        if self.em:
            out |= {
                "exact_match": mean(self.em),
                "f1": mean(self.f1),
                "short_exact_match": mean(self.short_em),
                "short_f1": mean(self.short_f1),
                "contains_gold": mean(self.contains),
                "abstention_rate": mean([float(a) for a in self.abstained]),
                "unsure_rate": mean([float(u) for u in self.unsure]),
                "answer_chars": round(sum(self.chars) / len(self.chars)) if self.chars else None,
                "latency_p50_ms": round(percentile(self.latency, 0.5), 1),
                "latency_p95_ms": round(percentile(self.latency, 0.95), 1),
            }
        for outcome in GENERATED_OUTCOMES if self.generated else ():
            out[f"generated_{outcome}"] = mean([float(g == outcome) for g in self.generated])
        return out


def first_sentence_answer(desk: Newsdesk, q: Question) -> tuple[Answer, list[str | None]]:
    """Baseline: the first sentence of the top passage of plain hybrid search."""
    began = time.perf_counter()
    hits = desk.search(q.question, 5)
    ids = [h.article.external_id for h in hits]
    if not hits:
        return Answer(q.question, "", False, [], 0.0), ids
    s, e = split_sentences(hits[0].text)[0]
    took = round((time.perf_counter() - began) * 1000, 1)
    return Answer(q.question, hits[0].text[s:e], True, [], took), ids


def evaluate(
    desk: Newsdesk,
    questions: Iterable[Question | str],
    *,
    baselines: bool = False,
    on_error: Callable[[str], object] = print,
    progress: Callable[[int], object] = lambda done: None,
) -> list[dict[str, Any]]:
    """Scores of the desk's answers (with `baselines`, also BM25 and first-sentence);
    `progress(1)` after each question (a generative reader takes seconds a question)."""
    ours = Scores("newsdesk")
    bm25 = Scores("BM25-only retrieval")
    first = Scores("first-sentence answer")
    # The first question would otherwise carry seconds of start-up in its latency, which a
    # running bot pays once, not per question.
    desk.warm_up()
    for q in questions:
        if isinstance(q, str):
            on_error(q)
        else:
            try:
                answer = desk.ask(q.question, as_of=q.as_of)
                ours.add(q, answer, [s.external_id for s in answer.retrieved])
                if baselines:
                    hits = desk.search(q.question, 5, mode="keyword")
                    bm25.add(q, None, [h.article.external_id for h in hits])
                    first.add(q, *first_sentence_answer(desk, q))
            except NewsdeskError as e:
                on_error(f"{q.id}: {e}")
        progress(1)
    return [s.summary() for s in ([ours, bm25, first] if baselines else [ours])]
