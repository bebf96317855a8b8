"""Where reports differ: other outlets that answer the same question about the same event
with another value of the fact asked (a count, a date, a name).

The fact line's span is compared with each of the other best articles' claim: read alone, its
span of the same kind (a number with a number, a name with a name) from the sentence that says
most of what the question asks, where both sentences say most of it and name what the
question names, from another outlet, both dated within a week of each other. Values that
differ only in form are one value: "fifteen" and "15", "al-Jebawi" and "Jebawi".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from newsdesk.index.read.features import Span
from newsdesk.index.read.names import same_thing
from newsdesk.ingest.store.records import Article

if TYPE_CHECKING:  # the reader imports this module
    from newsdesk.index.read.extractive import Candidate

# Kinds of entity whose values can be told apart and compared.
KINDS = {
    **dict.fromkeys(("CARDINAL", "QUANTITY", "MONEY", "PERCENT"), "number"),
    **dict.fromkeys(("DATE", "TIME"), "date"),
    **dict.fromkeys(("PERSON", "ORG", "NORP", "GPE", "LOC", "FAC"), "name"),
}
SAME_EVENT_DAYS = 7  # reports of one event: published within a week of each other
# Another article's value counts where its sentence says most of what the question asks (the
# same relation: "… were killed in Jassim"); its span is that sentence's likeliest. Read alone
# a second article's sentences score low in absolute terms (the model learned that the best
# answer is usually in the best article), so what counts is what they say, not that score.
MIN_COVERED = 0.6
_WORDS = {
    w: n
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80}
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?|[a-z]+")
_WORD = re.compile(r"[\w'’-]+")


@dataclass(frozen=True)
class Claim:
    """One article's answer to the question: its likeliest span and how sure the model is."""

    span: Span
    probability: float
    sentence_probability: float
    covered: float  # the share of the question's words its sentence says
    sentence: Candidate

    @property
    def article(self) -> Article:
        return self.sentence.article


def number(text: str) -> float | None:
    """The first number a span states, in digits or words ("15 militants", "fifteen")."""
    for token in _NUMBER.findall(text.lower()):
        if token[0].isdigit():
            return float(token.replace(",", ""))
        if token in _WORDS:
            return float(_WORDS[token])
    return None


def same_value(a: Span, b: Span) -> bool:
    """Whether two spans say the same thing in other forms."""
    kind = KINDS.get(a.label)
    if kind == "number":
        x, y = number(a.text), number(b.text)
        return x is None or y is None or x == y
    return same_thing(a.text.removeprefix("the "), b.text.removeprefix("the "))


def _day(article: Article) -> date | None:
    try:
        return date.fromisoformat((article.date or "")[:10])
    except ValueError:
        return None


def names(question: str) -> set[str]:
    """The names a question asks about: its capitalised words past the first ("How many ISIS
    militants were killed in Jassim?": isis, jassim)."""
    return {w.lower() for w in _WORD.findall(question)[1:] if w[:1].isupper()}


def same_event(a: Claim, b: Claim, asked: set[str]) -> bool:
    """Two reports of one event: both dated, within a week of each other, and both sentences
    name what the question names (a story two months on, or an undated one, may be another)."""
    da, db = _day(a.article), _day(b.article)
    if da is None or db is None or abs((da - db).days) > SAME_EVENT_DAYS:
        return False
    said = [{w.lower() for w in _WORD.findall(c.sentence.text)} for c in (a, b)]
    return bool(asked) and all(asked <= words for words in said)


def differing(fact: Claim, others: list[Claim], question: str) -> list[Claim]:
    """The other outlets' claims that state another value of the fact's kind for the same
    event, one per value, in the order given (best first)."""
    kind = KINDS.get(fact.span.label)
    if kind is None:
        return []
    asked = names(question)
    found: list[Claim] = []
    for other in others:
        if (
            KINDS.get(other.span.label) == kind
            and min(other.covered, fact.covered) >= MIN_COVERED
            and other.article.source
            and other.article.source != fact.article.source
            and other.article.cluster_id != fact.article.cluster_id
            and same_event(fact, other, asked)
            and not same_value(fact.span, other.span)
            and not any(same_value(f.span, other.span) for f in found)
        ):
            found.append(other)
    return found
