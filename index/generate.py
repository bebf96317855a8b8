"""Generated answers: a language model writes from numbered passages, and is checked.

The model sees only the question and the top articles' passages, numbered [1]…[n] with their
outlet and date. What it writes is kept only if every [n] it cites exists and every number and
capitalised name in it occurs in a passage it cites; otherwise the extractive answer stands.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from newsdesk.ingest.archive import Article

from .llm import ChatMessage, ChatModel
from .search import STOPWORDS, Hit

SYSTEM = (
    "You answer questions about the news using only the numbered passages you are given. "
    "Answer in one or two short sentences, in the language of the question, and put the number "
    "of each passage you used in square brackets after the sentence that uses it, like [1] or "
    "[2]. Copy names, numbers and dates exactly as the passages write them. If the passages do "
    "not answer the question, reply exactly: Not in the archive."
)
DECLINED = re.compile(r"^\W*not in the archive\W*$", re.I)
_CITATION = re.compile(r"\[(\d{1,3})\]")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
# A capitalised word, or a run of them joined by name particles ("Ayoub al-Jebawi").
_NAME = re.compile(r"[A-Z][\w'’\-]+(?:\s+(?:al-|bin\s+|de\s+)?[A-Z][\w'’\-]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\]\s+)$")
MAX_PASSAGE_CHARS = 700  # per article: about two passages of news copy


@dataclass
class Numbered:
    """An article as the prompt numbers it, with the passage text the model saw."""

    n: int
    article: Article
    text: str


@dataclass
class Checked:
    """A generated answer after the check: its text with the articles it cites, or why not."""

    text: str
    cited: list[Numbered] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    declined: bool = False

    @property
    def grounded(self) -> bool:
        return not self.problems and not self.declined


def number_passages(hits: Sequence[Hit], articles: int = 5) -> list[Numbered]:
    """The top articles' passages, one number per article, best article first."""
    texts: dict[int, list[str]] = {}
    first: dict[int, Article] = {}
    for hit in hits:
        if hit.article.id not in texts and len(texts) == articles:
            continue
        first.setdefault(hit.article.id, hit.article)
        texts.setdefault(hit.article.id, []).append(" ".join(hit.text.split()))
    return [
        Numbered(n, first[article_id], " … ".join(parts)[:MAX_PASSAGE_CHARS])
        for n, (article_id, parts) in enumerate(texts.items(), 1)
    ]


def prompt(question: str, numbered: Sequence[Numbered]) -> list[ChatMessage]:
    """The chat messages: the rules, then the numbered passages and the question."""
    lines = []
    for p in numbered:
        about = ", ".join(x for x in (p.article.source, (p.article.date or "")[:10]) if x)
        lines.append(f"[{p.n}] {p.article.title} ({about or 'undated'}): {p.text}")
    user = "Passages:\n" + "\n".join(lines) + f"\n\nQuestion: {question}"
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def check(text: str, numbered: Sequence[Numbered]) -> Checked:
    """Whether a generated answer holds: its citations exist, and what it states is in them."""
    text = " ".join(text.split())
    if DECLINED.match(text):
        return Checked(text, declined=True)
    by_number = {p.n: p for p in numbered}
    cited_numbers = list(dict.fromkeys(int(n) for n in _CITATION.findall(text)))
    problems = [f"cites [{n}], which is not a passage" for n in cited_numbers if n not in by_number]
    cited = [by_number[n] for n in cited_numbers if n in by_number]
    if not cited_numbers:
        problems.append("cites no passage")
    evidence = " ".join(f"{p.article.title} {p.article.source or ''} {p.text}" for p in cited)
    plain = _CITATION.sub(" ", text)
    for number in set(_NUMBER.findall(plain)):
        if not re.search(rf"(?<!\d){re.escape(number)}(?!\d)", evidence):
            problems.append(f"the number {number} is in no cited passage")
    folded = evidence.lower()
    for m in _NAME.finditer(plain):
        words = [w for w in m.group().split() if w.lower() not in STOPWORDS]
        # One capitalised word opening a sentence ("According …") is grammar, not a name.
        if len(words) == 1 and _SENTENCE_START.search(plain[: m.start()]):
            continue
        if words and " ".join(words).lower() not in folded:
            problems.append(f"the name {m.group()!r} is in no cited passage")
    return Checked(text, cited, sorted(set(problems)))


def write(
    model: ChatModel, question: str, numbered: Sequence[Numbered], *, max_tokens: int = 160
) -> Iterator[str]:
    """The model's answer, piece by piece as it writes."""
    yield from model.stream(prompt(question, numbered), max_tokens=max_tokens)
