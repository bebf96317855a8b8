"""The learned reader: weights fitted by train/reader.py on questions a language model wrote
about news outside every test set (train/README.md), and what they score.

Three logistic models over index/read/features.py's named features: whether a sentence holds
the answer, whether a span is the fact asked for, and whether the archive holds an answer at
all. Thresholds turn probabilities into choices: the fact line is shown only from `fact` up
(0.5: more likely right than not), "I found nothing" is said below `answer_line`, and an
answer less than `doubt` above it says it may not be in the archive (both chosen on real
questions' out-of-fold margins: train/reader.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from newsdesk.errors import NewsdeskError
from newsdesk.index.read.differ import Claim, differing
from newsdesk.index.read.features import Features
from newsdesk.index.read.names import full_name, same_thing

if TYPE_CHECKING:  # the reader imports this module
    from newsdesk.index.read.extractive import Candidate

WEIGHTS = Path(__file__).with_name("reader-weights.json")
MAX_FACTS = 3  # a fact line of more spans than this reads as a list, not an answer


@dataclass(frozen=True)
class ReaderModel:
    """Weights by feature name for each model, and the two thresholds."""

    sentence: dict[str, float]
    span: dict[str, float]
    answer: dict[str, float]
    fact: float  # the least span probability shown as the fact line
    answer_line: float  # the least answer logit answered
    doubt: float  # an answer less than this above the line says it may not be in the archive

    def sentence_logit(self, f: Features) -> float:
        return _dot(self.sentence, f)

    def span_probability(self, f: Features) -> float:
        return sigmoid(_dot(self.span, f))

    def answer_margin(self, f: Features) -> float:
        """How far above the line below which the archive is taken to lack the answer."""
        return _dot(self.answer, f) - self.answer_line


def _dot(weights: dict[str, float], f: Features) -> float:
    return math.fsum(weights.get(name, 0.0) * value for name, value in f.items())


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(x, 30.0), -30.0)))


@cache
def load_model(path: Path = WEIGHTS) -> ReaderModel:
    """The weights shipped with newsdesk (or another file of train/reader.py's)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ReaderModel(
            data["sentence"],
            data["span"],
            data["answer"],
            float(data["thresholds"]["fact"]),
            float(data["thresholds"]["answer"]),
            float(data["thresholds"]["doubt"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise NewsdeskError(
            f"the reader's weights {path} cannot be read ({e}): reinstall newsdesk, or "
            "rebuild them with train/reader.py"
        ) from e


@dataclass(frozen=True)
class Judged:
    """The learned model's reading of one question's candidates: its best sentence's logit,
    the spans of its three best sentences with the probability that each is the fact asked
    for (likeliest first), and the likeliest span of each of the best articles read alone."""

    sentence_logit: float
    spans: list[Claim]
    claims: list[Claim] = field(default_factory=list)

    def facts(self, threshold: float) -> list[tuple[str, Candidate]]:
        """The spans likely enough (`threshold`) to be shown as the fact line, likeliest first
        (several where a "who" has several answers), each with its sentence."""
        facts: list[tuple[str, Candidate]] = []
        for claim in self.spans:
            if claim.probability < threshold or len(facts) == MAX_FACTS:
                break
            span, c = claim.span, claim.sentence
            text = full_name(span.text, c.article.text) if span.label == "PERSON" else span.text
            if not any(same_thing(text, f) for f, _ in facts):
                facts.append((text, c))
        return facts

    def reports(self, question: str) -> list[Claim]:
        """The fact line's claim and those of other outlets that differ from it (none: an
        empty list)."""
        fact = self.spans[0]
        others = [c for c in self.claims if c.article.id != fact.article.id]
        others = differing(fact, others, question)
        return [fact, *others] if others else []
