"""The default reader: the fact asked for, then the sentences that state it, all quoted."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

from newsdesk.index.read.abstain import (
    CALIBRATION,
    Calibration,
    Frequencies,
    doubtful,
    should_abstain,
    signals,
)
from newsdesk.index.read.differ import Claim
from newsdesk.index.read.features import (
    EntityLookup,
    Features,
    answer_features,
    sentences_features,
    spans_features,
)
from newsdesk.index.read.model import Judged, ReaderModel, sigmoid
from newsdesk.index.read.names import full_name, names_head, same_thing
from newsdesk.index.read.phrases import defines
from newsdesk.index.read.spans import (
    Kind,
    asked_words,
    find_span,
    norm,
    question_kind,
    stem,
    stems,
)
from newsdesk.index.read.types import (
    REPORTS_DIFFER,
    Answer,
    Reading,
    Report,
    nothing,
    ranking,
    source_of,
    strip_markers,
)
from newsdesk.index.search.hybrid import Hit
from newsdesk.ingest.models import Entity
from newsdesk.ingest.store.records import Article
from newsdesk.text import arabic
from newsdesk.text.sentences import quoted, split_sentences
from newsdesk.text.terms import query_terms

_WH = re.compile(r"\b(?:who|whom|whose|what|when|where|which|why|how)\b", re.I)
NEARBY_CHARS = 400  # about two sentences of news copy
# Other outlets' values of the fact (index/read/differ.py) are looked for in this many of
# the best articles, each read alone.
CLAIM_ARTICLES = 4
# The rest of this many best articles is read: the fact often sits outside the two passages
# search keeps of a story, and the story that holds it is often the second. Two, not one:
# synthetic questions contains-gold +12 -6, exact +2 -0, dev unchanged; three added nothing.
UNREAD_ARTICLES = 2
LEAD_CHARS = 250  # a news story's first sentence or two: who, what, when, where


@dataclass(frozen=True)
class Weights:
    """How sentence features add up to a score. Chosen by 5-fold cross-validation on the dev
    questions among settings that answer the seed article's five questions (bench/answers.py).
    The passage's embedding similarity carries weight 1: it sets the scale."""

    keyword: float = 0.3  # share of the question's (rarity-weighted) words in the sentence
    kind: float = 0.25  # holds the kind of answer asked for (name, date, number)
    # ... and that span holds the noun asked about ("Pacific Ocean" for "which ocean?",
    # "Lake Chad" for "the name of the lake?"). Dev +1 exact answer, synthetic +3, and none
    # lost anywhere from 0.0625 to 0.25; 0.5 lost one on dev and three on the synthetic set.
    # Or comes right after it ("the sitcom “Full House”"): dev containing +2, synthetic +1 -1,
    # no exact answer changed on either.
    head: float = 0.125
    # ... in the slot the question's grammar says ("who was killed": "X were killed"), and
    # the story's opening sentences (who, what, when, where): the grid keeps offering them,
    # CV gave them 0 once the rest of the best article was read.
    slot: float = 0.0
    lead: float = 0.0
    # ... but "Who is X?" is what a story's lead says ("Susan Boyle, a 47-year-old charity
    # worker, …"): dev +1 exact answer and +1 containing the gold (4 such questions), the
    # synthetic ones +1 containing (6); no answer lost on either at 0.2 or 0.3.
    define_lead: float = 0.2
    # A sentence's support, what abstention weighs (index/read/abstain.py), is the passage's
    # similarity plus `support_keyword` × keyword: whether the archive holds the answer at
    # all turns more on the question's words being there than ranking sentences does, and
    # the kind and slot bonuses are left out (unrelated sentences earn them as easily).
    support_keyword: float = 0.8
    margin: float = 0.25  # further sentences must score within this of the best one
    # ... and cover at least this share of the best one's (weighted) question words, so a
    # sentence that only shares the place name ("Jassim") does not ride along.
    coverage: float = 0.5
    nearby: float = 0.1  # bonus for sentences near the best one in its article: the same story
    # A follow-up's bonus for sentences near what the previous answer said: "when did that
    # happen?" is about that event. Not calibrated: there is no follow-up data.
    follow: float = 0.2
    # The best articles' sentences outside their retrieved passages (search keeps two passages a
    # story, and the fact often sits in a third) count with its best passage's similarity less
    # this: they win only on the question's words.
    unread: float = 0.2


WEIGHTS = Weights()


@dataclass
class Candidate:
    """A sentence of a retrieved passage with the features that score it."""

    text: str
    article: Article
    start: int  # offset in the article text: overlapping passages repeat sentences
    end: int
    keyword: float
    kind: float
    passage: float
    slot: float = 0.0  # the question's grammar places its answer in the sentence
    head: float = 0.0  # ... and the span holds the question's noun
    lead: float = 0.0
    follow: float = 0.0
    score: float = 0.0
    retrieved: bool = True  # from a retrieved passage, not the rest of the best article
    rule: tuple[str, bool] | None = None  # the rules' span, and whether grammar placed it


class ExtractiveReader:
    """Scores the passages' sentences by cheap features; no model runs at question time."""

    def __init__(
        self,
        frequencies: Frequencies | None,
        *,
        max_sentences: int = 3,
        max_chars: int = 600,
        weights: Weights = WEIGHTS,
        calibration: Calibration = CALIBRATION,
        entities: EntityLookup | None = None,
        model: ReaderModel | None = None,
    ) -> None:
        """`frequencies` (the archive's word counts) tells when to abstain; without it, the
        reader always answers (to measure what it would say, as bench/ does). With the
        archive's `entities` and a learned `model`, the fact line is the span the model
        finds likely enough to be right, or none; without them, the rules' span."""
        self.frequencies, self.calibration = frequencies, calibration
        self.max_sentences, self.max_chars, self.weights = max_sentences, max_chars, weights
        self.entities, self.model = entities, model

    def read(self, reading: Reading) -> Answer:
        said = norm(strip_markers(reading.context.answer)) if reading.context else ""
        candidates = self.candidates(reading.question, reading.query, reading.hits, said)
        # Abstention is calibrated on what retrieval found: the rest of the article stays out.
        support = max((self.support(c) for c in candidates if c.retrieved), default=None)
        if support is None:
            return nothing(reading, support)
        judged = self.judge(reading.question, candidates)
        lacking, unsure = self.abstains(reading, candidates, support, judged)
        if lacking:
            return nothing(reading, support)
        chosen = self.choose(candidates)
        facts: list[tuple[str, Candidate]] | None = None
        reports: list[Claim] = []
        if judged is not None:
            facts = judged.facts(self.model.fact if self.model else 1.0)
            reports = judged.reports(reading.question) if facts else []
            # The fact's sentence is shown whatever the rules ranked first, and after the
            # chosen sentences those of the reports that differ from it.
            first: list[Candidate] = []
            for c in (c for _, c in facts):
                if c not in chosen and c not in first:
                    first.append(c)
            chosen = (first + chosen)[: max(self.max_sentences, len(first))]
            chosen += [r.sentence for r in reports[1:] if r.sentence not in chosen]
        answer = self.compose(reading.question, reading.query, reading.hits, chosen, facts, reports)
        answer.support, answer.unsure = support, unsure
        return answer

    def hint(self, reading: Reading) -> str | None:
        """The facts a writer is told the passages answer with: the rules' spans in the
        sentences this reader chooses, whether or not it shows them (a language model reads
        the passages too, and a small one otherwise settles on the first fact it meets)."""
        said = norm(strip_markers(reading.context.answer)) if reading.context else ""
        chosen = self.choose(self.candidates(reading.question, reading.query, reading.hits, said))
        facts = self.rule_facts(reading.question, reading.query, chosen)
        return "; ".join(span for span, _ in facts) or None

    def judge(self, question: str, candidates: list[Candidate]) -> Judged | None:
        """What the learned model makes of the sentences and their spans (None without it),
        and each of the best articles' claim: read alone, the span of the fact's kind it
        would give, from its sentence that says most of the question."""
        if self.model is None or self.entities is None:
            return None
        found = self.entities(sorted({c.article.id for c in candidates}))
        features = sentences_features(question, candidates, found)
        logits = [self.model.sentence_logit(f) for f in features]
        spans = self._spans(question, candidates, found, features, logits, 3)
        by_article: dict[int, list[Candidate]] = {}
        for c in candidates:
            if c.retrieved:
                by_article.setdefault(c.article.id, []).append(c)
        claims = []
        for own in list(by_article.values())[:CLAIM_ARTICLES]:
            features = sentences_features(question, own, found)
            logits_alone = [self.model.sentence_logit(f) for f in features]
            said = self._spans(question, own, found, features, logits_alone, len(own))
            claims += sorted(said, key=lambda c: (-c.covered, -c.probability))[:1]
        return Judged(max(logits), spans, claims)

    def _spans(
        self,
        question: str,
        candidates: list[Candidate],
        found: dict[int, list[Entity]],
        features: list[Features],
        logits: list[float],
        top: int,
    ) -> list[Claim]:
        """The spans of the `top` best sentences by `logits`, with the probability that each
        is the fact asked for, likeliest first."""
        assert self.model is not None
        spans = [
            Claim(
                span,
                self.model.span_probability(f),
                sigmoid(logits[i]),
                features[i].get("s.covered", 0.0),
                candidates[i],
            )
            for f, span, i in spans_features(question, candidates, found, logits, top)
        ]
        return sorted(spans, key=lambda c: -c.probability)

    def support(self, c: Candidate) -> float:
        """How well a sentence says the archive holds the answer: what abstention weighs."""
        return c.passage + self.weights.support_keyword * c.keyword

    def candidates(
        self, question: str, query: str, hits: list[Hit], said: str = ""
    ) -> list[Candidate]:
        """Every distinct sentence of the passages, with its features and score.

        `said` is the previous answer of a follow-up (normalised): its sentences are left out,
        a follow-up asking something new, and those near them in their article (the same
        event) get the `follow` bonus.
        """
        kind = answer_kind(question, query)
        # An article is searched for the question's words in its own script only (the Latin
        # spelling of an Arabic name, Answerer.read adds): the rest could never be found.
        terms_by_script = {
            script: {stem(t) for t in query_terms(query) if arabic.has_arabic(t) == script}
            for script in (False, True)
        }
        seen: set[tuple[int, int]] = set()
        told: list[tuple[int, int]] = []
        found: list[_Sentence] = []
        for text, article, at, passage, retrieved in _sentences(hits, self.weights.unread):
            key = (article.id, at[0])
            # Headings and bylines are too short to answer anything.
            if key in seen or len(text.split()) < 5:
                continue
            seen.add(key)
            if said and norm(text) in said:
                told.append(key)
                continue
            found.append((text, article, at, passage, retrieved))
        words_of = [stems(f[0]) for f in found]
        by_article: dict[int, list[set[str]]] = {}
        for f, words in zip(found, words_of, strict=True):
            by_article.setdefault(f[1].id, []).append(words)
        # A word found in most of an article's sentences ("Jassim" in an article about Jassim)
        # tells them apart less than a rare one ("killed"): weight terms by their rarity among
        # the sentences of the same article. (Across all retrieved articles it is the other
        # way round once other stories about killings are retrieved beside it.)
        articles = {f[1].id: f[1] for f in found}
        arabic_question = arabic.has_arabic(question)

        def looked_for(a: int, ws: list[set[str]]) -> set[str]:
            """The question's words an article's sentences are scored on. Across scripts
            only the Latin spellings of its Arabic names are left, guessed by consonants
            (قتل may be "Kotula"): those the article holds, so a wrong guess costs nothing."""
            script = articles[a].language == "ar"
            terms = terms_by_script[script]
            return terms if script == arabic_question else terms & set().union(*ws)

        idf = {
            a: {t: math.log(1 + len(ws) / (1 + sum(t in s for s in ws))) for t in looked_for(a, ws)}
            for a, ws in by_article.items()
        }
        w = self.weights
        lead = w.lead + (w.define_lead if defines(question) else 0.0)
        head = asked_words(question)[2]
        out = []
        for (text, article, (start, end), passage, retrieved), words in zip(
            found, words_of, strict=True
        ):
            rarity = idf[article.id]
            terms = set(rarity)
            if not retrieved and not terms & words:
                continue  # the rest of the article counts only where it says what was asked
            span = find_span(text, kind, question, story=article.text)
            c = Candidate(
                text,
                article,
                start,
                end,
                # fsum: exact in any order, so a tie between sentences does not turn on the
                # order a set's words come in (it changed with PYTHONHASHSEED).
                keyword=math.fsum(rarity[t] for t in terms & words)
                / (math.fsum(rarity.values()) or 1.0),
                kind=1.0 if span else 0.0,
                slot=1.0 if span and span[1] else 0.0,
                head=1.0 if span and head and names_head(text, span[0], head) else 0.0,
                passage=passage,
                lead=1.0 if start < LEAD_CHARS else 0.0,
                follow=float(
                    any(a == article.id and abs(b - start) < NEARBY_CHARS for a, b in told)
                ),
                retrieved=retrieved,
                rule=span,
            )
            c.score = (
                w.keyword * c.keyword
                + w.kind * c.kind
                + w.slot * c.slot
                + w.head * c.head
                + passage
                + lead * c.lead
                + w.follow * c.follow
            )
            out.append(c)
        return out

    def abstains(
        self,
        reading: Reading,
        candidates: list[Candidate],
        support: float,
        judged: Judged | None = None,
    ) -> tuple[bool, bool]:
        """Whether the archive lacks the answer, and whether it may: by the learned model
        where there is one, else (and across scripts, where it has not learned) by the rule
        of index/read/abstain.py."""
        if self.frequencies is None:
            return False, False
        found = signals(self.frequencies, reading.query, reading.hits, candidates, support)
        follow, c = reading.follow_up, self.calibration
        if judged is not None and self.model is not None and not found.cross:
            features = answer_features(
                support=found.support + (c.follow_up if follow else 0.0),
                cover=found.cover,
                agree=found.agree,
                sentence_logit=judged.sentence_logit,
                span_probability=judged.spans[0].probability if judged.spans else 0.0,
            )
            margin = self.model.answer_margin(features)
            return margin < 0, margin < self.model.doubt
        return (
            should_abstain(found, follow_up=follow, calibration=c),
            doubtful(found, follow_up=follow, calibration=c),
        )

    def choose(self, candidates: list[Candidate]) -> list[Candidate]:
        """The best sentences: within a margin of the best, no repeats, a few hundred chars."""
        w = self.weights
        if not candidates:
            return []
        top = max(candidates, key=lambda c: c.score)

        def near(c: Candidate) -> bool:
            return c.article.id == top.article.id and abs(c.start - top.start) < NEARBY_CHARS

        def rank(c: Candidate) -> float:
            return c.score + (w.nearby if near(c) else 0.0)

        chosen = [top]
        for c in sorted((c for c in candidates if c is not top), key=rank, reverse=True):
            if len(chosen) >= self.max_sentences or rank(c) < top.score - w.margin:
                break
            # A sentence beside the best one that holds the kind of answer it lacks ("a
            # combined weight of nearly 1,000 pounds") may say it without the question's words.
            completes = near(c) and c.kind > top.kind
            if (c.keyword < w.coverage * top.keyword and not completes) or any(
                _repeats(c, o) for o in chosen
            ):
                continue
            # Another article's sentence must name at least as much of what was asked as the
            # best one: one that only shares the topic ("a quake in Taiwan") is off the point.
            if c.article.id != top.article.id and c.keyword < top.keyword:
                continue
            if sum(len(o.text) for o in chosen) + len(c.text) > self.max_chars:
                continue
            chosen.append(c)
        return chosen

    def rule_facts(
        self, question: str, query: str, chosen: list[Candidate]
    ) -> list[tuple[str, Candidate]]:
        """The spans the rules find asked for in the chosen sentences, best sentence first: a
        "who" with two sentences naming two people gets both."""
        kind = answer_kind(question, query)
        found = [
            (s, c)
            for c in chosen
            if (s := find_span(c.text, kind, question, c.article.source, c.article.text))
        ]
        if kind == "name":
            found = [((full_name(s, c.article.text), p), c) for (s, p), c in found]
        # A span the question's grammar places beats a guess from a better sentence.
        # Other sentences add theirs only when placed too ("15 militants …; Ayoub al-Jebawi").
        found.sort(key=lambda f: not f[0][1])
        facts: list[tuple[str, Candidate]] = []
        for (span, placed), c in found:
            if (placed or not facts) and not any(same_thing(span, f) for f, _ in facts):
                facts.append((span, c))
        return facts

    def compose(
        self,
        question: str,
        query: str,
        hits: list[Hit],
        chosen: list[Candidate],
        facts: list[tuple[str, Candidate]] | None = None,
        reports: Sequence[Claim] = (),
    ) -> Answer:
        """The fact first (the rules' when `facts` is None), then, where other outlets report
        another value (`reports`: the fact's claim first), a line saying so, then the
        sentences with [n] markers, numbered as first cited. Each fact comes whole from a
        sentence, so the lines stay extractive."""
        if facts is None:
            facts = self.rule_facts(question, query, chosen)
        numbers: dict[int, int] = {}
        sources = []

        def marker(article: Article, score: float) -> int:
            if article.id not in numbers:
                numbers[article.id] = len(numbers) + 1
                sources.append(source_of(numbers[article.id], article, score))
            return numbers[article.id]

        parts = []
        if facts:
            by_article: dict[int, list[str]] = {}
            for span, c in facts:
                marker(c.article, c.score)
                by_article.setdefault(c.article.id, []).append(span)
            parts.append(
                "; ".join(f"{'; '.join(spans)} [{numbers[a]}]" for a, spans in by_article.items())
                + "\n"
            )
        differ = [
            Report(r.span.text, r.article.source, (r.article.date or "")[:10] or None, n)
            for r in reports
            if (n := marker(r.article, r.sentence.score))
        ]
        if differ:
            parts.append(f"{REPORTS_DIFFER} " + " · ".join(map(str, differ)) + "\n")
        chosen = _in_reading_order(chosen)
        for i, c in enumerate(chosen):
            n = marker(c.article, c.score)
            # A run of sentences from one article carries its marker once, at the end.
            last_of_run = i + 1 == len(chosen) or chosen[i + 1].article.id != c.article.id
            parts.append(f"{c.text} [{n}]" if last_of_run else c.text)
        text = " ".join(parts).replace("\n ", "\n")
        short = facts[0][0] if facts else None
        answer = Answer(question, text, True, sources, 0.0, short, [], ranking(hits))
        answer.disagreements = differ
        return answer


def _sentences(hits: list[Hit], unread: float) -> Iterator[_Sentence]:
    """The passages' sentences (text without dateline, article, offsets in it, passage
    similarity, retrieved), then the rest of the best articles', each at its best similarity
    less `unread`."""
    for hit in hits:
        for s, e in split_sentences(hit.text):
            at = (hit.start + s, hit.start + e)
            yield quoted(hit.text[s:e]), hit.article, at, hit.similarity or 0.0, True
    best = {h.article.id: h.article for h in hits}
    for article in list(best.values())[:UNREAD_ARTICLES]:
        similarity = max(h.similarity or 0.0 for h in hits if h.article.id == article.id) - unread
        for s, e in split_sentences(article.text):
            yield quoted(article.text[s:e]), article, (s, e), similarity, False


_Sentence = tuple[str, Article, tuple[int, int], float, bool]


def answer_kind(question: str, query: str) -> Kind | None:
    """A follow-up's own question word decides what it asks ("and when?"); the previous
    question, in the query, only when it has none ("and in Jassim?")."""
    return question_kind(question) if _WH.search(question) else question_kind(query)


def _in_reading_order(chosen: list[Candidate]) -> list[Candidate]:
    """Sentences grouped by article (best article first); a run of nearby sentences of one
    article in the order the article tells them, so "he" follows the name it refers to."""
    groups: dict[int, list[Candidate]] = {}
    for c in chosen:
        groups.setdefault(c.article.id, []).append(c)
    out = []
    for group in groups.values():
        ordered = sorted(group, key=lambda c: c.start)
        adjacent = all(b.start - a.start < NEARBY_CHARS for a, b in pairwise(ordered))
        out += ordered if adjacent else group
    return out


def _repeats(a: Candidate, b: Candidate) -> bool:
    """Near-identical sentences: the same fact told by two outlets, or twice by one."""
    wa, wb = set(norm(a.text).split()), set(norm(b.text).split())
    return len(wa & wb) / max(len(wa | wb), 1) > 0.6
