"""Answer spans placed by the question's grammar, not by the look of the words.

Three shapes of question say where their answer sits in a sentence that states it:
- "Who is X?": what the sentence says X is, the appositive ("X, an ISIS emir, ...") or the
  predicate ("X is the sister of ...");
- "Who was killed?": the subject of the same passive verb ("15 militants ... were killed");
  "... by whom?": the agent after "by";
- "What was X accused of?", "What did X struggle with?": what follows the verb (and its
  preposition) in the sentence, up to the end of the clause.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from newsdesk.text.terms import STOPWORDS

StemFn = Callable[[str], str]

Span = tuple[int, int]

_AUX = r"(?:was|were|is|are|be|been|being|has been|have been|had been|will be|would be)"
# "Who is Debbie Rowe?", "Who is Ayham Faisl al-Halqi?": a name to define. Only names: "who
# was killed in Jassim?" asks for the killed, not for what Jassim is.
_NAME_WORD = r"(?:[a-z]{1,3}-)?[A-Z][\w'’.-]*"
_DEFINE_Q = re.compile(
    rf"^\s*(?i:(?:who|what)\s+(?:is|was|are|were))\s+"
    rf"((?:the\s+)?{_NAME_WORD}(?:\s+(?:{_NAME_WORD}|of|the|and))*)\s*[?.]?\s*$"
)
_INVERTED = re.compile(r"\s+(?:was|were|is|are)\s+")
_AUXILIARY = frozenset("has have had will would is are was were".split())
# The verb's auxiliaries, which a question may leave out or word otherwise ("what was
# discovered?" against "debris has been discovered"): never the end of an answer.
_VERB_AUX = _AUXILIARY | frozenset("be been being can could may might must should".split())
_OBJECT_WH = r"\s*(?:who|whom|what|which)\s+(?:did|does|do|is|was|are|were|has|have|had|will)\s"
_AUX_END = re.compile(
    r"\s+(?:has|have|had|will|would|is|are|was|were|used to|can|could|may|might|must|should"
    r"|did|does|do)\s*$",
    re.I,
)
_PASSIVE_Q = re.compile(rf"\b(?i:who\s+{_AUX})\s+([a-z]+)\b")  # "Who is Eunice …" is no verb
_AGENT_Q = re.compile(r"\b([a-z]+ed)\b(?:\s+\S+){0,3}?\s+by (?:whom|who)\b", re.I)
# "What did the government instruct BP to do?": the answer is the "to ..." after the verb.
_TO_DO_Q = re.compile(r"^(.*?)\s+to do\b", re.I)
# The prepositions a question may end its verb with ("accused of", "struggle with").
_PREP = "to|of|with|from|for|about|as|on|in|at|against"
# "What did X struggle with?", "What is Liu charged with?", "X is accused of what?"
_OBJECT_Q = re.compile(
    r"\bwhat\s+(?:did|does|do|is|was|were|are|has|have|had|will)\s+(?:\S+\s+){1,6}?"
    rf"([a-z]+)(?:\s+({_PREP}))?\s*\??\s*$",
    re.I,
)
_PREPOSITION = re.compile(rf"\s+(?:{_PREP}|over)\b", re.I)
_COPULA_Q = re.compile(r"\bwhat\s+(?:is|was|are|were)\s", re.I)
_CLOZE_Q = re.compile(rf"\b([a-z]+)(?:\s+({_PREP}))?\s+what\b", re.I)
# Where a clause ends: punctuation, a reporting verb ("…, officials said"), a relative
# pronoun, or "and" before a second verb ("refuses to concede defeat and plans …").
_CLAUSE_END = re.compile(
    r"[;:\"“”—–]|\s--\s|,(?!\d)|[.!?](?=\s|$)|\s(?:and|but)\s+\w+(?:s|ed)\b"
    r"|\s(?:said|says|according|told|who|which|while|but)\b"
)
_CLAUSE_START = re.compile(r"[,;:\"“”—–]|--\s|\b(?:that|said|says|when|after|as|because)\s")
MAX_WORDS = 12
_PLACE_OR_TIME = re.compile(r"\s(?:in|on|at|during|after|before|since|near)\s", re.I)
MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DATED = re.compile(rf"\s*the\s+{MONTH}\s+\d{{1,2}},\s+\d{{4}},\s+")
# When the thing was done or said, which the sentence adds after it ("revive the frozen
# nematodes | in 2018", "a hearing on UFOs | in decades"): a "what" answer ends before it.
_TIME_TAIL = re.compile(
    rf"\s+(?:(?:in|on|since|during|by|until)\s+(?:the\s+)?(?:\d{{4}}s?|{MONTH}(?:\s+\d+)?"
    rf"|{WEEKDAY}|decades?|years?|months?|weeks?)|(?:last|this|next)\s+(?:week|month|year|{WEEKDAY})"
    rf"|(?:on\s+)?{WEEKDAY}|yesterday|today)$"
)
_NOT_A_PHRASE = frozenset("he she they it we i you who which that said says told added".split())


def _trim(sentence: str, start: int, end: int) -> Span | None:
    """The span without surrounding spaces, quotes and brackets; None when nothing is left."""
    text = sentence[start:end]
    lead = len(text) - len(text.lstrip(" ,\"'“”—–"))
    text = text.strip(" ,\"'“”—–")
    words = text.lower().split()
    # "He added, X, ...", "he'll …": a clause of its own, not a description of X.
    if not words or re.sub(r"['’](?:ll|s|re|d|ve|m)$", "", words[0]) in _NOT_A_PHRASE:
        return None
    start += lead
    if (tail := _TIME_TAIL.search(text)) and tail.start() > 0:
        text = text[: tail.start()]
        words = text.lower().split()
    if len(words) > MAX_WORDS:
        # A long clause: its first words carry the answer, up to the place or time it adds
        # ("to scale back its use of oil dispersants | in the Gulf of Mexico").
        cut = [
            m.start()
            for m in _PLACE_OR_TIME.finditer(text)
            if len(text[: m.start()].split()) < MAX_WORDS
        ]
        end = cut[-1] if cut else list(re.finditer(r"\S+", text))[MAX_WORDS - 1].end()
        return start, start + end
    return start, start + len(text)


def _clause_after(sentence: str, at: int) -> Span | None:
    """From `at` to the end of its clause; a bracket stays whole."""
    # "the December 9, 1981, murder of …": the date's commas end nothing, and the answer is
    # what happened then.
    if dated := _DATED.match(sentence, at):
        at = dated.end()
    depth, i = 0, at
    while i < len(sentence):
        depth = max(0, depth + (sentence[i] == "(") - (sentence[i] == ")"))
        if depth == 0 and i > at and _CLAUSE_END.match(sentence, i):
            break
        i += 1
    return _trim(sentence, at, i)


def _clause_before(sentence: str, at: int) -> Span | None:
    """From the start of the clause that ends at `at` to `at`; a bracket stays whole."""
    depth, i = 0, at
    while i > 0:
        depth = max(0, depth + (sentence[i - 1] == ")") - (sentence[i - 1] == "("))
        if depth == 0 and (m := _CLAUSE_START.match(sentence, i - 1)):
            return _trim(sentence, m.end(), at)
        i -= 1
    return _trim(sentence, 0, at)


def _participle(word: str) -> bool:
    """A lower-case "-ed" / "-en" word: "appointed", "chosen" (not "Who is Eunice …?")."""
    return word.islower() and word not in STOPWORDS and word.endswith(("ed", "en"))


def _find_stem(sentence: str, word: str, stem: StemFn) -> list[re.Match[str]]:
    target = stem(word.lower())
    return [m for m in re.finditer(r"\w+", sentence) if stem(m.group().lower()) == target]


def defines(question: str) -> bool:
    """Whether the question asks who or what a name is ("Who is Debbie Rowe?")."""
    return _defined(question) is not None


def _defined(question: str) -> str | None:
    """The name a "Who is X?" question asks to define. "Who is the Secretary General of
    NATO?" names an office: it asks who holds it."""
    m = _DEFINE_Q.match(question)
    subject = m.group(1) if m else None
    if subject and subject.lower().startswith("the ") and " of " in subject:
        return None
    return subject


def phrase_spans(sentence: str, question: str, stem: StemFn) -> list[Span]:
    """Spans where the question's grammar puts its answer in `sentence`, best first."""
    out: list[Span] = []
    if subject := _defined(question):
        out += _definitions(sentence, subject)
    out += _subjects(sentence, question, stem)
    if m := _PASSIVE_Q.search(question):
        for v in _find_stem(sentence, m.group(1), stem):
            aux = re.search(rf"\b{_AUX}\s+(?:\w+ly\s+)?$", sentence[: v.start()])
            # "Among the dead was Ayoub al-Jebawi": the subject after the verb.
            inverted = _INVERTED.match(sentence, v.end())
            if aux:
                span = _clause_before(sentence, aux.start())
            elif inverted:
                span = _clause_after(sentence, inverted.end())
            elif (
                _participle(m.group(1))
                and v.group() == m.group(1)
                # "a teenager accused of beating …" is passive too: no object follows.
                and not _PREPOSITION.match(sentence, v.end())
            ):
                # Told actively ("the Union has appointed Andy Robinson, …"): the object.
                span = _clause_after(sentence, v.end())
            else:
                span = None
            if span:
                out.append(span)
    if m := _AGENT_Q.search(question):
        for v in _find_stem(sentence, m.group(1), stem):
            by = re.compile(r"\bby\s+").search(sentence, v.end(), v.end() + 50)
            if by and (span := _clause_after(sentence, by.end())):
                out.append(span)
    if m := _TO_DO_Q.search(question):
        # The verb is the last lower-case content word before "to do": "instruct BP to do".
        verbs = [w for w in m.group(1).split() if w.islower() and w not in STOPWORDS][-1:]
        for v in (v for verb in verbs for v in _find_stem(sentence, verb, stem)):
            to = re.compile(r"\bto\s+").search(sentence, v.end(), v.end() + 50)
            if to and (span := _clause_after(sentence, to.start())):
                out.append(span)
        return out
    out += cloze_spans(sentence, question)
    m = _OBJECT_Q.search(question) or _CLOZE_Q.search(question)
    # The verb is in lower case: "sell to FARC?" has no verb "FARC"; after "what is / was"
    # without a preposition to end on, it is a participle ("What was he called?"): "What is
    # the name of Talabani's party?" has no verb "party".
    verb = m.group(1) if m else ""
    if (
        m
        and verb.islower()
        and verb not in STOPWORDS
        and (m.group(2) or _participle(verb) or not _COPULA_Q.search(question))
    ):
        for v in _find_stem(sentence, verb, stem):
            at = v.end()
            # The preposition the question ends on: "accused of" -> what follows "of".
            # ... with up to three words between: "sentenced him to", "pleaded guilty to".
            prep = re.compile(rf"(?:\s+[\w'’-]+){{0,3}}?\s+{m.group(2)}\b", re.I)
            if m.group(2):
                # "hearing about what?" is answered by "hearing on UFOs", but "invasion of
                # what?" not by "invasion, hoping that …".
                if not (p := prep.match(sentence, at) or _PREPOSITION.match(sentence, at)):
                    continue
                at = p.end()
            if span := _clause_after(sentence, at):
                out.append(span)
    return out


# The wh-phrase of a question: "which (social media) platform", "what country", "whom".
_WH_PHRASE = re.compile(
    r"\b(?:which|what)(?:\s+of the following)?(?:\s+[a-z’'-]+){0,3}?\s+[a-z’'-]+(?=\s|\?|$)"
    r"|\b(?:whom|who|what)\b",
    re.I,
)
_TOKEN = re.compile(r"[\w’'-]+")


def cloze_spans(sentence: str, question: str) -> list[Span]:
    """What stands in the sentence where the wh-phrase stands in the question.

    "Harrison Ford has had a new species of which animal named after him?" against "... a new
    species of snake named after Harrison Ford": "snake" sits between the words the question
    has before its wh-phrase ("species of") and after it ("named after").
    """
    out: list[Span] = []
    contexts = _contexts(question)
    tokens = [(t.start(), t.end(), t.group().lower()) for t in _TOKEN.finditer(sentence)]
    words = [t[2] for t in tokens]
    for before, after in contexts:
        # One word of context on the left is enough only when the right side matches too, or
        # when the wh-phrase ends the question.
        for k in (3, 2, 1):
            left = before[-k:]
            if len(left) < k or all(w in STOPWORDS for w in left):
                continue
            for i in range(len(words) - k):
                if words[i : i + k] != left:
                    continue
                start = tokens[i + k][0]
                end = _right_edge(tokens, words, i + k, after)
                span = _trim(sentence, start, end) if end is not None else None
                # Without right context, the noun phrase after the left one: "invaded what
                # country?" -> "Ukraine", not "Ukraine on Thursday".
                if span or (
                    (k > 1 or not after) and (span := _noun_phrase(sentence, tokens, i + k))
                ):
                    out.append(span)
            if out:
                break
    return out


@lru_cache(maxsize=256)
def _contexts(question: str) -> list[tuple[list[str], list[str]]]:
    """The three words before and after each wh-phrase of the question, within its sentence:
    "… her House seat. What is her name?" has none before."""
    out = []
    for m in _WH_PHRASE.finditer(question):
        before = re.split(r"[.?!]\s", question[: m.start()])[-1]
        out.append((_tokens(before)[-3:], _tokens(question[m.end() :])[:3]))
    return out


def _tokens(text: str) -> list[str]:
    return [w.lower() for w in _TOKEN.findall(text)]


def _right_edge(
    tokens: list[tuple[int, int, str]], words: list[str], at: int, after: list[str]
) -> int | None:
    """Where the question's following words resume in the sentence, within a few words."""
    for k in (2, 1):
        right = after[:k]
        if len(right) < k or (k == 1 and right[0] in STOPWORDS):
            continue
        for j in range(at + 1, min(at + 8, len(words) - k + 1)):
            if words[j : j + k] == right:
                while j - 1 > at and words[j - 1] in _VERB_AUX:
                    j -= 1
                return tokens[j - 1][1]
    return None


def _noun_phrase(sentence: str, tokens: list[tuple[int, int, str]], at: int) -> Span | None:
    """The words from `at` up to the next function word or punctuation ("Twitter on Tuesday"
    -> "Twitter", "dry shampoo, according" -> "dry shampoo"), at most four; a leading article
    or number word stays ("the White House")."""
    end = at
    while (
        end < len(tokens)
        and end - at < 4
        and (
            end == at
            or (
                tokens[end][2] not in STOPWORDS
                and not sentence[tokens[end - 1][1] : tokens[end][0]].strip()
            )
        )
    ):
        end += 1
    return (tokens[at][0], tokens[end - 1][1]) if end > at else None


def _subjects(sentence: str, question: str, stem: StemFn) -> list[Span]:
    """The subject of the question's verb in the sentence: "Who won …?", "Which team won …?"
    against "Emmanuel Macron has won …"."""
    words = question.split()
    # "What did Haim struggle with?" asks for an object, "who was killed?" a passive subject.
    if len(words) < 3 or _PASSIVE_Q.search(question) or re.match(_OBJECT_WH, question, re.I):
        return []
    first = words[0].lower()
    # The verb follows "who", or the head noun of "which team"; an auxiliary may come first.
    at = 1 if first == "who" else 2 if first in ("which", "what") else 0
    if at and words[at].lower() in _AUXILIARY:
        at += 1
    verb = words[at].strip("?,.") if 0 < at < len(words) else ""
    if not verb.islower() or verb in STOPWORDS:
        return []
    out: list[Span] = []
    for v in _find_stem(sentence, verb, stem):
        end = v.start()
        if aux := _AUX_END.search(sentence[:end]):
            end = aux.start()
        end = len(sentence[:end].rstrip(" ,"))
        span = _clause_before(sentence, end)
        # "Ayham Faisl al-Halqi, an ISIS Emir, used to facilitate": the subject is the name
        # before the appositive, not the appositive.
        before = sentence[: span[0]].rstrip() if span else ""
        if span and before.endswith(",") and sentence[span[1] :].lstrip().startswith(","):
            span = _clause_before(sentence, len(before) - 1) or span
        if span:
            out.append(_subject_name(sentence, span))
    return out


_ADVERB = re.compile(r"(?:\s+(?:\w+ly|first|also|now|then|still|later|already|just))+$")
_NAME_RUN = re.compile(r"(?:[A-Z][\w'’.-]*\s+(?:of\s+)?){1,4}[A-Z][\w'’.-]*$")


def _subject_name(sentence: str, span: Span) -> Span:
    """A subject without trailing adverbs ("Hans Asperger first"), and a long one ending in a
    name reduced to that name ("Austrian pediatrician Hans Asperger"), a title and all
    ("Secretary of State Condoleezza Rice", not "State Condoleezza Rice")."""
    start, end = span
    if adverb := _ADVERB.search(sentence[start:end]):
        end = start + adverb.start()
    text = sentence[start:end]
    if len(text.split()) > 3 and (name := _NAME_RUN.search(text)):
        start += name.start()
    return start, end


def _definitions(sentence: str, subject: str) -> list[Span]:
    """What the sentence says `subject` is: an appositive, a title, or a predicate."""
    out: list[Span] = []
    words = [w for w in re.findall(r"[\w'’.-]+", subject) if w.lower() not in STOPWORDS]
    if not words:
        return out
    # The last word of a name is how news copy refers to the person again ("Rowe").
    for m in re.finditer(rf"\b{re.escape(words[-1])}\b", sentence):
        after = sentence[m.end() :]
        found = []
        if a := re.match(r"\s*,\s*", after):
            found.append(_clause_after(sentence, m.end() + a.end()))
        if (name := sentence.rfind(words[0], max(0, m.start() - 40), m.end())) >= 0:
            # "Jackson's ex-wife, Debbie Rowe, ...": the appositive comes first.
            before = sentence[:name].rstrip()
            if before.endswith(","):
                found.append(_clause_before(sentence, len(before) - 1))
            # "Polygamist sect leader Warren Jeffs", "actress Jenny McCarthy": a title.
            elif not subject.lower().startswith("the "):
                found.append(_title_before(sentence, name))
        if a := _PREDICATE.match(after):
            found.append(_clause_after(sentence, m.end() + a.end()))
        out += [span for span in found if span]
    return out


# "X is / was ...", but not a verb ("Jeffs was released ...") nor an adverb ("is officially").
_PREDICATE = re.compile(rf"\s+{_AUX}\s+(?![a-z]+(?:ed|en|ly|ing)\b)")
_TITLE_WORD = re.compile(r"[\w-]+")
# After one of these, the words before a name are a verb and its object ("do believe Jenkins").
_BEFORE_VERB = _VERB_AUX | frozenset("to do does did".split())
# Words that open a clause, capitalised only where they open a sentence: never part of a
# name ("Upon", "Because") nor of a title ("Although Jenkins' car").
CLAUSE_OPENERS = frozenset(
    "upon because although though while despite according however meanwhile yet since unless "
    "until whereas instead besides even still thus therefore hence amid among".split()
)
# ... nor are words that name a name.
_NO_TITLE = (
    STOPWORDS | CLAUSE_OPENERS | frozenset("like including told asked called named dubbed".split())
)


def _title_before(sentence: str, name: int) -> Span | None:
    """The words that title the name starting at `name` ("Italian football manager"): back
    from it to a stop word, a number or punctuation. After a verb's auxiliary they are the
    verb and its object ("do believe Jenkins"), and a past tense is a verb ("defeated Nadal")."""
    start = name
    for w in reversed(list(_TITLE_WORD.finditer(sentence, 0, name))):
        between, word = sentence[w.end() : start], w.group()
        if between.strip() or word.lower() in _NO_TITLE or word[0].isdigit():
            if not between.strip() and word.lower() in _BEFORE_VERB:
                return None
            break
        start = w.start()
    if start == name:
        return None
    end = sentence.rindex(" ", start, name)
    last = sentence[start:end].split()[-1]
    return None if last.islower() and last.endswith("ed") else (start, end)
