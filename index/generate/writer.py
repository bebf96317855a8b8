"""Generated answers: a language model writes from numbered passages, and is checked.

The model sees only the question and the top articles' passages, numbered [1]…[n] with their
outlet and date. What it writes is kept only if every [n] it cites exists and every number and
capitalised name in it occurs in a passage it cites; otherwise the extractive answer stands.
An extractive answer marked unsure is first put to the model as a yes/no question, and a "no"
turns it into "I found nothing".
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from newsdesk.errors import GenerationError
from newsdesk.index.generate.llm import ChatMessage, ChatModel
from newsdesk.index.read.types import Answer, Reader, Reading, nothing, source_of, strip_markers
from newsdesk.index.search.hybrid import Hit
from newsdesk.ingest.store.records import Article
from newsdesk.text.terms import STOPWORDS

log = logging.getLogger(__name__)

SYSTEM = (
    "You answer questions about the news using only the numbered passages you are given. "
    "Answer in one or two short sentences, in the language of the question, and put the number "
    "of each passage you used in square brackets after the sentence that uses it, like [1] or "
    "[2]. Copy names, numbers and dates exactly as the passages write them. If the passages do "
    "not answer the question, reply exactly: Not in the archive."
)
# Said again last: small models follow the instruction nearest the answer best.
REMINDER = (
    "Answer in one or two sentences with every name and number that answers the question, "
    "ending each sentence with the number of the passage it comes from, like [1]."
)
# One worked example: a count and a name from one passage, in one sentence, cited.
EXAMPLE: list[ChatMessage] = [
    {
        "role": "user",
        "content": "Passages:\n[1] Fire at a bakery in Aleppo (Enab Baladi, 2021-03-02): A fire "
        "broke out in a bakery in Aleppo on Monday. Three workers died in the fire. Among the "
        "dead was the foreman, Ali Hasan.\n[2] Bread prices (SANA, 2021-03-01): Bread prices "
        "rose by 10 percent.\n\nThe passages answer it with: Ali Hasan; Three workers. Use all "
        "of these.\n\nQuestion: Who died in the Aleppo fire?\n\n" + REMINDER,
    },
    {
        "role": "assistant",
        "content": "Three workers died in the fire, among them the foreman, Ali Hasan [1].",
    },
]
# An answer near the abstention line (Answer.unsure) is first judged: do its sentences say the
# answer at all? On the withheld-article archives a "no" declined 0.808 of the withheld
# questions instead of 0.746 and answered 0.954 of the answerable ones instead of 0.969,
# asking about 7% of questions (bench/verifier.py; 2.4 s a question with the packaged model).
JUDGE = "You check whether a news passage answers a question. Judge only from the passage."
JUDGE_CHARS = 1500
JUDGED_OUT = "judged: not in the archive"
DECLINED = re.compile(r"^\W*not in the archive\W*$", re.I)
_CITATION = re.compile(r"\[(\d{1,3})\]")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
# A capitalised word, or a run of them joined by name particles ("Ayoub al-Jebawi").
_NAME = re.compile(r"[A-Z][\w'’\-]+(?:\s+(?:al-|bin\s+|de\s+)?[A-Z][\w'’\-]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\]\s+)$")
# Passage text in a prompt: about 500 tokens, read in ~5 s by a 1.5B model on 2 cores.
PROMPT_CHARS = 2000
MIN_ARTICLE_CHARS = 400  # per article: about two passages of news copy


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
    """The top articles' passages, one number per article, best article and passage first;
    overlapping passages of an article told once."""
    spans: dict[int, list[tuple[int, int]]] = {}
    first: dict[int, Article] = {}
    for hit in hits:
        if hit.article.id not in spans and len(spans) == articles:
            continue
        first.setdefault(hit.article.id, hit.article)
        spans.setdefault(hit.article.id, []).append((hit.start, hit.end))
    # The prompt's room is shared: one article alone may show more of itself.
    room = max(MIN_ARTICLE_CHARS, PROMPT_CHARS // max(len(spans), 1))
    numbered = []
    for n, (article_id, ranked) in enumerate(spans.items(), 1):
        text = first[article_id].text
        parts = [" ".join(text[s:e].split()) for s, e in _merged(ranked)]
        numbered.append(Numbered(n, first[article_id], " … ".join(parts)[:room]))
    return numbered


def _merged(ranked: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Character spans, best first, each joined with the later ones it overlaps."""
    out: list[tuple[int, int]] = []
    for start, end in ranked:
        for i, (s, e) in enumerate(out):
            if start <= e and end >= s:
                out[i] = (min(s, start), max(e, end))
                break
        else:
            out.append((start, end))
    return out


def prompt(
    question: str, numbered: Sequence[Numbered], found: str | None = None
) -> list[ChatMessage]:
    """The chat messages: the rules, then the numbered passages, what the extractive reader
    found in them (a small model otherwise settles for the first fact it meets), and the
    question."""
    lines = []
    for p in numbered:
        about = ", ".join(x for x in (p.article.source, (p.article.date or "")[:10]) if x)
        lines.append(f"[{p.n}] {p.article.title} ({about or 'undated'}): {p.text}")
    hint = f"\n\nThe passages answer it with: {found}. Use all of these." if found else ""
    user = "Passages:\n" + "\n".join(lines) + hint + f"\n\nQuestion: {question}\n\n{REMINDER}"
    return [
        {"role": "system", "content": SYSTEM},
        *EXAMPLE,
        {"role": "user", "content": user},
    ]


def judge_prompt(question: str, passage: str) -> list[ChatMessage]:
    """The yes/no question an unsure answer is put to the model with."""
    user = (
        f"Passage:\n{passage[:JUDGE_CHARS]}\n\nQuestion: {question}\n\n"
        "Does the passage state the answer to this question? Reply yes or no."
    )
    return [{"role": "system", "content": JUDGE}, {"role": "user", "content": user}]


def off_the_point(model: ChatModel, question: str, said: str) -> bool:
    """Whether the model answers "no" when asked if the sentences `said` answer `question`."""
    verdict = "".join(model.stream(judge_prompt(question, said), max_tokens=2))
    return verdict.strip().lower().startswith("no")


def check(text: str, numbered: Sequence[Numbered]) -> Checked:
    """Whether a generated answer holds: its citations exist, and what it states is in them.

    Small models often state the fact and forget the [n]: an answer citing nothing is
    credited to the best passage that holds every number and name in it, if one does."""
    text = " ".join(text.split())
    if DECLINED.match(text):
        return Checked(text, declined=True)
    if not _CITATION.search(text):
        for p in numbered:
            credited = _checked(f"{text.rstrip()} [{p.n}]", numbered)
            if credited.grounded:
                return credited
    return _checked(text, numbered)


def _checked(text: str, numbered: Sequence[Numbered]) -> Checked:
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


class Writing:
    """One generated answer on its way, begun from an extractive answer that already stands.

    `pieces()` yields the text as the model writes it (it blocks: run it on a worker thread);
    `answer()` is then the generated answer if it holds, else the extractive one, marked with
    what happened (`Answer.generated`); or "I found nothing", where the extractive answer was
    unsure and the model judged it off the point."""

    def __init__(
        self,
        model: ChatModel,
        extractive: Answer,
        hits: Sequence[Hit],
        *,
        articles: int = 5,
        max_tokens: int = 160,
        timeout: float = 120.0,
        hint: str | None = None,
    ) -> None:
        """`hint`: the facts the model is told the passages answer with (prompt)."""
        self.model, self.extractive, self.hits, self.hint = model, extractive, hits, hint
        self.numbered = number_passages(hits, articles)
        # The sentences the extractive reader chose, without the fact line and markers.
        self.said = strip_markers(extractive.text.split("\n")[-1])
        if extractive.sources:
            # They lead their article's passage: a small model tends to answer from whatever
            # it reads first.
            best = extractive.sources[0].article_id
            self.numbered = [
                replace(p, text=f"{self.said} … {p.text}"[: len(p.text)])
                if p.article.id == best
                else p
                for p in self.numbered
            ]
        self.max_tokens, self.timeout = max_tokens, timeout
        self.text = ""
        self.failure: str | None = None
        self.judged_out = False

    def pieces(self) -> Iterator[str]:
        deadline = time.monotonic() + self.timeout
        try:
            if self.extractive.unsure and off_the_point(
                self.model, self.extractive.question, self.said
            ):
                self.judged_out = True
                return
            messages = prompt(self.extractive.question, self.numbered, self.hint)
            for piece in self.model.stream(messages, max_tokens=self.max_tokens):
                self.text += piece
                yield piece
                if time.monotonic() > deadline:
                    self.failure = f"timed out after {self.timeout:g} s"
                    return
        except GenerationError as e:
            log.warning("generation failed: %s", e)
            self.failure = str(e)

    def answer(self) -> Answer:
        """The checked generated answer, or the extractive one with the reason it stands."""
        if self.failure:
            return replace(self.extractive, generated=f"failed: {self.failure}")
        if self.judged_out:
            e = self.extractive
            abstained = nothing(Reading(e.question, e.question, list(self.hits)), e.support)
            return replace(
                abstained, latency_ms=e.latency_ms, period=e.period, generated=JUDGED_OUT
            )
        checked = check(self.text, self.numbered)
        if checked.declined:
            return replace(self.extractive, generated="declined")
        if not checked.grounded:
            log.info("generated answer replaced: %s", "; ".join(checked.problems))
            return replace(self.extractive, generated="replaced: " + checked.problems[0])
        # Sources numbered in the order the text first cites them, as extractive answers are.
        renumber = {p.n: i for i, p in enumerate(checked.cited, 1)}
        text = _CITATION.sub(lambda m: f"[{renumber.get(int(m.group(1)), 0)}]", checked.text)
        scores = {s.article_id: s.score for s in self.extractive.retrieved}
        sources = [
            source_of(renumber[p.n], p.article, scores.get(p.article.id, 0.0))
            for p in checked.cited
        ]
        return replace(
            self.extractive, text=text, sources=sources, generated="grounded", closest=[]
        )

    def run(self) -> Answer:
        """Write the whole answer, then check it (the CLI's way; the bot streams `pieces`)."""
        for _ in self.pieces():
            pass
        return self.answer()


class GenerativeReader:
    """A `Reader` whose answers a language model writes from the passages, checked; the
    extractive reader answers first, so questions the archive can't answer never wait for
    the model, and its answer stands when the generated one doesn't hold."""

    def __init__(
        self,
        model: ChatModel,
        fallback: Reader,
        *,
        hints: Callable[[Reading], str | None] | None = None,
        articles: int = 5,
        max_tokens: int = 160,
        timeout: float = 120.0,
    ) -> None:
        """`hints` gives the facts to tell the model for a reading (ExtractiveReader.hint)."""
        self.model, self.fallback, self.hints = model, fallback, hints
        self.articles, self.max_tokens, self.timeout = articles, max_tokens, timeout

    def writing(self, extractive: Answer, reading: Reading) -> Writing:
        """The generated answer to begin from an extractive one, to stream or to run."""
        return Writing(
            self.model,
            extractive,
            reading.hits,
            articles=self.articles,
            max_tokens=self.max_tokens,
            timeout=self.timeout,
            hint=self.hints(reading) if self.hints else None,
        )

    def read(self, reading: Reading) -> Answer:
        answer = self.fallback.read(reading)
        return self.writing(answer, reading).run() if answer.answerable else answer
