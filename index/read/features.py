"""What the learned reader weighs: the kind of question, the candidate answer spans a sentence
holds (the archive's named entities, and the span the grammar rules find), and the features
of sentences and spans, as named values the weights in `index/read/model.py` multiply.

Names rather than positions, so that a weight file says what each weight is for, and a feature
no weight mentions counts for nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

from newsdesk.index.read.phrases import defines
from newsdesk.index.read.spans import asked_words, norm, stem, stems
from newsdesk.ingest.models import Entity
from newsdesk.ingest.store.records import Article
from newsdesk.text.terms import STOPWORDS

Features = dict[str, float]
# Question classes, by the question word that opens what is asked; the first that matches at
# the earliest position wins ("What did he say when …?" is a "what" question).
_CLASSES = [
    ("how_many", r"how many|how much|what (?:number|percentage|percent|amount)|كم"),
    ("how_long", r"how (?:long|old|far|tall|big|large|often)"),
    ("date", r"(?:what|which) (?:year|date|day|month|time)|when|متى"),
    ("where", r"where|(?:what|which) (?:country|city|town|state|place|region)|أين"),
    ("who", r"whom?|whose|من"),
    ("why", r"why|لماذا"),
    ("which", r"which|أي"),
    ("what", r"what|ماذا|ما"),
    ("how", r"how|كيف"),
]
_CLASS = re.compile("|".join(f"(?P<{name}>\\b(?:{rx})\\b)" for name, rx in _CLASSES), re.I)
QUESTION_CLASSES = ("define", *(name for name, _ in _CLASSES), "other")
# spaCy's OntoNotes labels, and RULE for a span only the grammar rules found.
LABELS = (
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
    "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL", "RULE",
)  # fmt: skip
_TOKEN = re.compile(r"\w+")


class Sentence(Protocol):
    """What the features read of a candidate sentence (extractive.Candidate)."""

    text: str
    article: Article
    start: int
    end: int
    keyword: float
    kind: float
    passage: float
    head: float
    lead: float
    score: float
    retrieved: bool
    rule: tuple[str, bool] | None


class EntityLookup(Protocol):
    """The named entities of some articles, by article id (Archive.entities)."""

    def __call__(self, article_ids: Sequence[int]) -> dict[int, list[Entity]]: ...


def question_class(question: str) -> str:
    """The class of what the question asks for (QUESTION_CLASSES): "Who is X?" asks for what
    the story calls X, not for a name."""
    if defines(question):
        return "define"
    m = _CLASS.search(question)
    return m.lastgroup or "other" if m else "other"


@dataclass(frozen=True)
class Span:
    """A candidate answer in a sentence: its text, where it sits, and what found it."""

    text: str
    start: int  # offset in the sentence text
    label: str  # an entity label, or RULE
    rule: bool = False  # the grammar rules give this span (spans.find_span)
    placed: bool = False  # ... where the question's grammar says the answer sits


def sentence_spans(
    sentence: str,
    article_text: str,
    at: tuple[int, int],
    entities: Sequence[Entity],
    rule: tuple[str, bool] | None,
) -> list[Span]:
    """The candidate spans of a sentence that sits at `at` (offsets) in its article: the
    article's entities inside it, found again in the sentence as quoted (its whitespace
    collapsed), and the rules' span, merged into the entity it coincides with."""
    found: dict[str, Span] = {}
    for start, end, label in entities:
        if start < at[0] or end > at[1]:
            continue
        text = " ".join(article_text[start:end].split())
        where = sentence.find(text)
        if where >= 0 and text not in found:
            found[text] = Span(text, where, label)
    if rule:
        text, placed = rule
        same = next((s for s in found.values() if norm(s.text) == norm(text)), None)
        label = same.label if same else "RULE"
        where = sentence.find(text)
        found[text] = Span(text, max(where, 0), label, rule=True, placed=placed)
        if same and same.text != text:
            del found[same.text]
    return sorted(found.values(), key=lambda s: s.start)


def _crossed(prefix: str, qclass: str, values: Features) -> Features:
    """Each feature once alone and once crossed with the question class."""
    out = {f"{prefix}{k}": v for k, v in values.items()}
    out |= {f"{prefix}{qclass}*{k}": v for k, v in values.items()}
    return out


def sentence_features(
    *,
    qclass: str,
    score: float,
    top_score: float,
    rank: int,
    keyword: float,
    passage: float,
    kind: float,
    head: float,
    lead: float,
    retrieved: bool,
    labels: Sequence[str],
    covered: float = 0.0,
    missing: int = 0,
    pairs: int = 0,
    article_rank: int = 0,
) -> Features:
    """A sentence's features: the rules' own features and score, where it ranks, which
    kinds of entity it holds (crossed with the question class), how much of the question it
    says (`covered`: share of its words, `missing`: how many not, `pairs`: its word pairs
    said in the same order), and where its article ranks among those retrieved."""
    own: Features = {
        "keyword": keyword,
        "passage": passage,
        "kind": kind,
        "head": head,
        "lead": lead,
        "unread": 0.0 if retrieved else 1.0,
        "gap": score - top_score,
        "first": 1.0 if rank == 0 else 0.0,
        "rank": math.log1p(rank),
        "covered": covered,
        "missing": math.log1p(missing),
        "pairs": math.log1p(pairs),
        "top_article": 1.0 if article_rank == 0 else 0.0,
        "article_rank": math.log1p(article_rank),
    }
    own |= {f"has_{label}": 1.0 for label in set(labels)}
    return {"bias": 1.0} | _crossed("s.", qclass, own)


def span_features(
    span: Span,
    sentence: str,
    question: str,
    *,
    qclass: str,
    head: str,
    sentence_logit: float,
    sentence_rank: int,
) -> Features:
    """A span's features: its label and the rules' verdict (crossed with the question
    class), how much of it the question already says (the noun asked about aside: "which
    brigade?" is answered by "the Eighth Brigade"), how near it sits to the question's words
    in the sentence, and how well its sentence answers."""
    asked = stems(question)
    words = [stem(w.lower()) for w in _TOKEN.findall(span.text)]
    own_words = [w for w in words if w != head]
    in_question = sum(w in asked for w in own_words) / max(len(own_words), 1)
    hits = [m.start() for m in _TOKEN.finditer(sentence) if stem(m.group().lower()) in asked]
    centre = span.start + len(span.text) / 2
    near = min((abs(h - centre) for h in hits), default=len(sentence))
    own: Features = {
        f"label_{span.label}": 1.0,
        "rule": float(span.rule),
        "placed": float(span.placed),
        "in_question": in_question,
        "all_in_question": 1.0 if in_question == 1.0 else 0.0,
        "near": math.log1p(near / 10),
        "no_question_words": 0.0 if hits else 1.0,
        "words": min(len(words), 6) / 6,
        "head": 1.0 if head and head in words else 0.0,
        "opens": 1.0 if span.start == 0 else 0.0,
    }
    common = {
        "bias": 1.0,
        "sentence": sentence_logit,
        "sentence_first": 1.0 if sentence_rank == 0 else 0.0,
    }
    return common | _crossed("p.", qclass, own)


def _inside(c: Sentence, entities: Mapping[int, Sequence[Entity]]) -> list[Entity]:
    return [e for e in entities.get(c.article.id, ()) if e[0] >= c.start and e[1] <= c.end]


def sentences_features(
    question: str, candidates: Sequence[Sentence], entities: Mapping[int, Sequence[Entity]]
) -> list[Features]:
    """The features of each candidate sentence of one question, in order."""
    if not candidates:
        return []
    qclass = question_class(question)
    order = sorted(range(len(candidates)), key=lambda i: -candidates[i].score)
    rank = {i: r for r, i in enumerate(order)}
    top = candidates[order[0]].score
    # Candidates come in retrieval order: an article's first one says where it ranked.
    article_rank: dict[int, int] = {}
    for c in candidates:
        article_rank.setdefault(c.article.id, len(article_rank))
    asked = [stem(w.lower()) for w in _TOKEN.findall(question)]
    asked = [w for w in dict.fromkeys(asked) if w not in STOPWORDS]
    asked_pairs = set(pairwise(asked))
    rows = []
    for i, c in enumerate(candidates):
        words = [stem(w.lower()) for w in _TOKEN.findall(c.text)]
        present = set(words)
        held = sum(w in present for w in asked)
        rows.append(
            sentence_features(
                qclass=qclass,
                score=c.score,
                top_score=top,
                rank=rank[i],
                keyword=c.keyword,
                passage=c.passage,
                kind=c.kind,
                head=c.head,
                lead=c.lead,
                retrieved=c.retrieved,
                labels=[label for _, _, label in _inside(c, entities)],
                covered=held / max(len(asked), 1),
                missing=len(asked) - held,
                pairs=len(asked_pairs & set(pairwise(w for w in words if w not in STOPWORDS))),
                article_rank=article_rank[c.article.id],
            )
        )
    return rows


def spans_features(
    question: str,
    candidates: Sequence[Sentence],
    entities: Mapping[int, Sequence[Entity]],
    logits: Sequence[float],
    top: int = 3,
) -> list[tuple[Features, Span, int]]:
    """The candidate spans of the `top` sentences by `logits` (the sentence model's), each
    with its features and the index of its sentence."""
    qclass = question_class(question)
    head = asked_words(question)[2]
    best = sorted(range(len(candidates)), key=lambda i: -logits[i])[:top]
    found = []
    for rank, i in enumerate(best):
        c = candidates[i]
        at = (c.start, c.end)
        for s in sentence_spans(c.text, c.article.text, at, _inside(c, entities), c.rule):
            found.append((rank, i, s))
    return [
        (
            span_features(
                s,
                candidates[i].text,
                question,
                qclass=qclass,
                head=head,
                sentence_logit=logits[i],
                sentence_rank=rank,
            ),
            s,
            i,
        )
        for rank, i, s in found
    ]


def answer_features(
    *, support: float, cover: float, agree: bool, sentence_logit: float, span_probability: float
) -> Features:
    """Whether the archive holds the answer: the abstention signals (index/read/abstain.py)
    and how sure the two models are of their best sentence and span."""
    return {
        "bias": 1.0,
        "support": support if math.isfinite(support) else -1.0,
        "cover": cover,
        "agree": float(agree),
        "sentence": sentence_logit,
        "span": span_probability,
    }
