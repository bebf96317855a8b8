"""Question words and answer kinds: stems, the kind of answer asked for, candidate spans."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from newsdesk.index.read.phrases import CLAUSE_OPENERS, MONTH, WEEKDAY, phrase_spans
from newsdesk.text import arabic
from newsdesk.text.terms import STOPWORDS

Kind = Literal["number", "date", "name"]

_NUMBER_Q = re.compile(
    r"\bhow (?:many|much|old|long|far|tall|big|large|often)\b|\bwhat (?:percentage|percent|number"
    r"|age|amount|score|sum)\b"
    # "What was the combined weight …?", "What is Albert's sister's age?": a measure is a number.
    r"|\bwhat (?:is|was|are|were) (?:the |(?:[\w.-]+ ){0,2}[\w.-]+['’]s? (?:\w+['’]s )?)"
    r"(?:[\w-]+ ){0,2}(?:earnings|costs?|price|weight|height|toll|budget|salary|value|population"
    r"|temperature|distance|speed|total|age|turnover|rate|number)\b",
    re.I,
)
_DATE_Q = re.compile(r"\bwhen\b|\b(?:what|which) (?:year|date|day|month|time)\b", re.I)
# "Which team …", "Who …", "Where …": the answer is a name (person, place, organisation, title).
_NAME_Q = re.compile(r"\bwho(?:m|se)?\b|\bwhere\b|\b(?:which|what) [a-z0-9]+", re.I)
# "What is the name of …?", "What is it called?": a name, though "what is" asks for a phrase.
_CALLED_Q = re.compile(r"\bwhat (?:is|was|are|were)\b[^.?!]*\b(?:names?|called)\b", re.I)
# "What did X do / say / …" asks for an action, not a name.
_ACTION_Q = re.compile(r"\bwhat (?:did|does|do|is|was|are|were|has|have|had|will|can)\b", re.I)

_SCALE = r"(?:hundred|thousand|million|billion|trillion|percent|per cent|%)"
_NUMWORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty"
    r"|forty|fifty|hundred|hundreds|thousands|millions|dozens?|a dozen|half)"
)
# Words that never are the noun a number counts ("9 percent versus …").
_NOT_COUNTED = (
    "and|or|of|in|on|at|to|the|a|was|were|is|are|from|by|for|versus|than|with|over|into|since"
    "|after|before|under|while|when|who|that|per|other|others"
)
_NUMBER = re.compile(
    # Whole words only: no "eight" in "Weight", no "3" in "Mazda3".
    rf"(?<!\w)(?:(?:about|nearly|almost|around|more than|over|at least|up to|some|roughly)\s+)?"
    # A comma or full stop after the digits ends the number ("in 1963, satellites").
    rf"(?:(?:[$€£]\s?)?\d(?:[\d,.]*\d)?|{_NUMWORD}\b)(?:\s+{_SCALE})?"
    # … and the lower-case noun it counts ("7 pounds", not "eight Watchers").
    rf"(?:\s+(?!(?:{_NOT_COUNTED})\b)(?-i:[a-z]{{3,}}))?"
    r"(?:\s+per\s+[a-z]{3,}|\s+(?:a|an)\s+(?:day|week|month|year|hour|person|barrel|share|gallon))?"
    # "three weeks or longer" is the quantity, not "three weeks".
    r"(?:\s+or\s+(?:more|longer|less|fewer|so)\b)?",
    re.I,
)
# A time of day ("10 a.m.", "8:20 p.m.") and a part of a month or year ("late 2010",
# "mid-September") belong to the date they come with.
_CLOCK = r"\b\d{1,2}(?::\d\d)?\s*[ap]\.m\."
_PART = r"(?:\b(?:early|mid|late)[- ])?"
_DATE = re.compile(
    rf"(?:{_CLOCK}\s+)?(?:{WEEKDAY},?\s+)?{_PART}{MONTH}\s+\d{{1,2}}\b(?:,?\s+\d{{4}})?"
    rf"|{_PART}{MONTH}\s+\d{{4}}|\d{{1,2}}\s+{MONTH}(?:\s+\d{{4}})?"
    rf"|(?:{_CLOCK}\s+)?{WEEKDAY}|{_PART}{MONTH}|{_PART}\b(?:19|20)\d\d\b|{_CLOCK}"
    r"|\b(?:last|next|this) (?:week|month|year)\b"
    r"|\b(?:a few|several|two|three) (?:days|weeks|months)"
)
# A run of capitalised words, allowing name particles ("al-Jebawi", "bin", "de", "of").
_NAME = re.compile(
    r"(?<![\w'’])(?:[A-Z][\w'’.\-]*|al-[A-Z][\w'’\-]*)(?:\s+(?:(?:of|de|da|van|von|bin|al|the|and)\s+)?"
    r"(?:[A-Z][\w'’.\-]*|al-[A-Z][\w'’\-]*))*"
)
_WORD = re.compile(r"\w+")
_ADJECTIVE = re.compile(r"[A-Z][\w'’]*-[a-z][\w-]*")
# A lawmaker's party and state after the name: "Sen. John McCain, R-Arizona".
_PARTY = re.compile(r"[DRI]-[A-Z][\w.]*")
_NUMWORD_RE = re.compile(_NUMWORD)
_COUNT_OF = re.compile(rf"{_NUMWORD}|many|several|none")  # "some", "most", … are stop words
# Prepositions that open a span but are not part of the answer; "to" is ("to scale back").
_LEADING = frozenset("with for of from about on in at as against by".split())
_POSSESSIVE = re.compile(r"['’]s$")
# "about 46 million" is a quantity, not a preposition before one.
_APPROXIMATE = re.compile(rf"(?i:about)\s+(?:[$€£]?\d|{_NUMWORD}\b)")


def question_kind(question: str) -> Kind | None:
    """The kind of span the question wants, or None for "why / what did … do" questions."""
    if _NUMBER_Q.search(question):
        return "number"
    if _DATE_Q.search(question):
        return "date"
    if re.search(r"\bwhy\b|\bhow\b", question, re.I):
        return None
    if _CALLED_Q.search(question) or (_NAME_Q.search(question) and not _ACTION_Q.search(question)):
        return "name"
    if re.search(r"\bwho(?:m|se)?\b|\bwhere\b", question, re.I):
        return "name"
    return None


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def _name_spans(sentence: str, common: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    spans = []
    for m in _NAME.finditer(sentence):
        start, end = m.span()
        words = sentence[start:end].split()
        # Drop capitalised function words ("The", "He", "In") at the front of a run, and a
        # count of what the run names ("Many of Rajapaksa's brothers", "One of Monday's").
        while words and (
            words[0].lower().strip("’'") in _NOT_NAME_START
            or (words[1:2] == ["of"] and _COUNT_OF.fullmatch(words[0].lower()) is not None)
        ):
            start += len(words[0]) + 1
            words = words[1:]
            while start < end and sentence[start].isspace():
                start += 1
        # One capitalised word that its story shows is no name: a nationality adjective
        # ("Kenyan officials"), or a sentence's first word that the story writes in lower
        # case elsewhere ("Nearly", "Police"). A longer run is kept ("Police Chief Ann Lee").
        # Nor is a compound adjective ("Oscar-winning") or a number opening a sentence ("One").
        if len(words) == 1 and (
            words[0] in common
            or _ADJECTIVE.fullmatch(words[0]) is not None
            or _PARTY.fullmatch(words[0].rstrip(".,")) is not None
            or _NUMWORD_RE.fullmatch(_POSSESSIVE.sub("", words[0].lower())) is not None
            or (
                not sentence[:start].strip(" \"“‘'(")
                and _POSSESSIVE.sub("", words[0]).lower() in common
            )
        ):
            continue
        # "President Kim Dae-Jung Sunday": a trailing day or month is not part of the name.
        while len(words) > 1 and _DATE.fullmatch(words[-1].rstrip(".,")):
            end = start + len(" ".join(words[:-1]))
            words = words[:-1]
        # A day or a month is a date, not a name ("on Sunday", "Monday's crash").
        if words and not _DATE.fullmatch(_POSSESSIVE.sub("", " ".join(words).rstrip(".,"))):
            spans.append((start, end))
    return spans


_NOT_NAME_START = STOPWORDS | CLAUSE_OPENERS
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z'’-]*")
_DEMONYM = re.compile(
    r"[A-Z][a-z]+(?:an|ese|i|ish)|Arab|Basque|Buddhist|Catholic|Croat|Czech|Dutch|French|Greek"
    r"|Hindu|Islamist|Muslim|Protestant|Serb|Shiite|Sikh|Swiss|Welsh"
)
_CAPITALISED = re.compile(r"(?<![\w'’-])([A-Z][a-z]+)\b(\W*)(\w*)")


@lru_cache(maxsize=64)  # one story's sentences are read for every question
def common_words(text: str) -> frozenset[str]:
    """Words of a story that are not names: those it writes in lower case ("nearly",
    "police"), and nationality adjectives ("Kenyan officials"): a capitalised word ending like
    one (-an, -ese, -i, -ish) that the story only ever puts before a lower-case word."""
    lower = {w for w in _LOWER_WORD.findall(text)}
    adjective: dict[str, bool] = {}
    for m in _CAPITALISED.finditer(text):
        word, gap, after = m.groups()
        if _DEMONYM.fullmatch(word):
            before_noun = gap == " " and after.islower() and after not in STOPWORDS
            adjective[word] = adjective.get(word, True) and before_noun
    return frozenset(lower | {w for w, a in adjective.items() if a})


# A lower-case word that ends a noun phrase somewhere: "the striker said", "the coach's".
_NOUN = re.compile(
    r"(?<![\w'’-])([a-z]+)(?=['’]s\b|[,.;:!?]|\s+(?:said|says|was|is|has|had|who|told)\b)"
)


@lru_cache(maxsize=64)
def nouns(text: str) -> frozenset[str]:
    """Lower-case words a story uses as nouns ("the striker said"): a title where one opens a
    sentence before a name ("Striker Maria Okafor")."""
    return frozenset(_NOUN.findall(text))


def spans(sentence: str, kind: Kind, common: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Candidate answer spans of the given kind in a sentence, as character offsets.
    `common` are words of its story that are not names (common_words)."""
    if kind == "name":
        return _name_spans(sentence, common)
    pattern = _NUMBER if kind == "number" else _DATE
    return [m.span() for m in pattern.finditer(sentence) if m.group().strip()]


def find_span(
    sentence: str,
    kind: Kind | None,
    question: str,
    avoid: str | None = None,
    story: str = "",
) -> tuple[str, bool] | None:
    """The span the question asks for: one its grammar places (see phrases.py), else the one of
    the right kind that sits nearest the question's words and isn't one of them; and whether
    the grammar placed it.

    `avoid` is a name that is never the answer, e.g. the outlet in "told North Press";
    `story` the text of the sentence's article, whose common words are no names.
    """
    placed = phrase_spans(sentence, question, stem)
    if kind is None and not placed:
        return None
    asked_stems, verbs, head = asked_words(question)
    found = [(m.start(), stem(m.group().lower())) for m in _WORD.finditer(sentence)]
    anchors = [i for i, s in found if s in verbs] or [i for i, s in found if s in asked_stems]
    # "Which produce item …?", "what animal …?" may be answered by a common noun that opens
    # a sentence ("Strawberries topped …"): only "who / where / what is the name of" ask for
    # a name. (Only they pay for reading the story's words, too.)
    person = _PERSON_Q.search(question) or _CALLED_Q.search(question)
    common = common_words(story) if story and person else frozenset()
    typed = spans(sentence, kind, common) if kind else []
    # "Which tennis star won …?" asks for a subject: a name opening the sentence's clause
    # ("Rafael Nadal clinched …") beats one the question's words sit nearer to ("… Medvedev").
    opening = _opening(sentence) if kind == "name" and _SUBJECT_Q.search(question) else -1
    who = kind == "name" and re.match(r"\s*who\b", question, re.I) is not None
    owner = _owner(question) if kind == "name" else ""
    best: tuple[float, str] | None = None
    for rank, (start, end) in enumerate(placed + typed):
        text = clean_span(sentence[start:end], asked_stems, head)
        new = {stem(w) for w in _words(text) - STOPWORDS} - asked_stems
        if not text or not new or (avoid and text.lower() == avoid.lower()):
            continue  # a span made of the question's own words is not an answer
        if _initials(text) in _acronyms(question):
            continue  # ... nor one the question abbreviates: "United States" for "the US"
        if kind == "name" and _mostly_asked(text, asked_stems):
            continue  # ... nor the question's name with a title: "Explorer Dennis Schmitt"
        if rank < len(placed):
            if kind == "name" and (_NO_NAME.fullmatch(text) or _CUT.search(text)):
                continue  # "The series has received …": it names the show elsewhere
            return text, True  # the grammar's answer slot beats any guess by proximity
        distance = min((abs(a - start) for a in anchors), default=len(sentence))
        # Nearer the question's words is better; a longer name is a fuller answer.
        score = distance / max(len(sentence), 1) - 0.05 * len(new)
        # "195 million doses" for "how many doses …?": the span before cleaning holds it.
        score -= 1.0 if head and head in {stem(w) for w in _words(sentence[start:end])} else 0.0
        # "the sitcom “Full House”" for "which sitcom …?": the name the noun introduces.
        before = _LAST_WORD.search(sentence, 0, start) if head else None
        score -= 1.0 if before and stem(before.group(1).lower()) == head else 0.0
        score -= SUBJECT_BONUS if start < opening else 0.0
        # "Tim Russert, who became … the host of NBC's …": the person the clause describes.
        score -= SUBJECT_BONUS if who and _RELATIVE.match(sentence, end) else 0.0
        # "Which team did she play for?": "her Seattle Storm", not the team it lost to.
        score -= SUBJECT_BONUS if owner and _owned_by(sentence, start, owner) else 0.0
        # "Who won …?" asks for a person: "in Miami" is where.
        score += SUBJECT_BONUS if who and _PLACE_BEFORE.search(sentence, 0, start) else 0.0
        if best is None or score < best[0]:
            best = (score, text)
    return (best[1], False) if best else None


def _mostly_asked(span: str, asked: frozenset[str]) -> bool:
    """Two of three words of a name or more are the question's own."""
    words = _WORD.findall(span.lower())
    return len(words) > 1 and 3 * sum(stem(w) in asked for w in words) >= 2 * len(words)


@lru_cache(maxsize=256)
def _acronyms(question: str) -> frozenset[str]:
    """The question's abbreviations, without their dots: "US", "WHO", "NHL"."""
    return frozenset(a.replace(".", "") for a in _ACRONYM.findall(question))


def _initials(span: str) -> str:
    """The initials of a name of two or more capitalised words ("United States": "US")."""
    words = [w for w in span.split() if w[:1].isupper()]
    return "".join(w[0] for w in words) if len(words) > 1 else ""


_ACRONYM = re.compile(r"\b(?:[A-Z]\.){2,}|\b[A-Z]{2,}\b")
# Questions whose answer is a person's or a place's name.
_PERSON_Q = re.compile(r"\b(?:who|whom|whose|where)\b", re.I)
# The question's last sentence opens with its wh-phrase and has no "did / does / do": the
# wh-phrase is the subject ("Which country is set to …?", not "Which team did she play for?").
_SUBJECT_Q = re.compile(
    r"(?:^|[.?!]\s+)(?:which|what)\s(?![^.?!]*\b(?:did|does|do)\b)[^.?!]*\??\s*$", re.I
)
# Where a name is asked for, a subject the grammar places is none when it refers back ("The
# series", "the company").
_NO_NAME = re.compile(r"(?i:the|this|that|these|those)(?:\s+[a-z][a-z-]*){1,2}")
# ... or a clause cut short ("The case drew national attention and").
_CUT = re.compile(r"\s(?:and|or|but|the|a|an|to|of|for|with|by|at|in|on)$")
_RELATIVE = re.compile(r"['’]?,\s+who\b")
_PRONOUN = re.compile(r"\b(she|he|they)\b", re.I)
_POSSESSIVE_OF = {"she": "her", "he": "his", "they": "their"}


def _owner(question: str) -> str:
    """The possessive of the person a question asks about by pronoun: "did she …?" → "her"."""
    m = _PRONOUN.search(question)
    return _POSSESSIVE_OF[m.group(1).lower()] if m else ""


def _owned_by(sentence: str, start: int, owner: str) -> bool:
    """Whether the span at `start` follows that possessive ("her Seattle Storm")."""
    before = _LAST_WORD.search(sentence, 0, start)
    return before is not None and before.group(1).lower() == owner


_PLACE_BEFORE = re.compile(r"\b(?:in|at|near)\s+$")
_LAST_WORD = re.compile(r"(\w+)\s*[“\"‘']?\s*$")
# Dev short EM with 0 / 0.2 / 0.3 / 0.5 / 1: .192 / .231 / .238 / .223 / .223.
SUBJECT_BONUS = 0.3


def _opening(sentence: str) -> int:
    """Where the sentence's first lower-case content word (its verb, usually) begins."""
    for m in _WORD.finditer(sentence):
        if m.group().islower() and m.group() not in STOPWORDS:
            return m.start()
    return len(sentence)


# "What is the name of the lake / of Talabani's party?": the noun named ("Lake Chad"). A
# capitalised word after a word is part of the phrase, not past it: "the key House committee".
_NAME_OF = re.compile(
    r"\bname of (?:the |a |an |his |her |their |its )?(?:\S+['’]s )?(?:[\w-]+ ){0,2}?([a-z][\w-]*)"
    r"(?=\s+(?:who|that|which|where|when|in|of|on|at|for|to|with|from|was|is|are|were|did"
    r"|does|has|had)|\s*[?.]|$)"
)


@lru_cache(maxsize=256)  # once per question, not once per sentence
def asked_words(question: str) -> tuple[frozenset[str], frozenset[str], str]:
    """The question's content stems; its own lower-case ones ("marry", "killed"), which say
    where the answer sits better than the names it repeats ("Polanski"); and the stem of the
    noun of "which brigade …?", "how many doses …?" or "the name of the lake?", which the
    answer's span holds ("the Eighth Brigade", "195 million doses", "Lake Chad")."""
    asked = frozenset(stem(w) for w in _words(question) - STOPWORDS)
    verbs = frozenset(stem(w.lower()) for w in _WORD.findall(question)[1:] if w.islower()) & asked
    m = _NAME_OF.search(question) or re.search(
        r"\b(?:which|what|how many|how much) (?:\d\w* )?(\w+)", question, re.I
    )
    # "What is …?", "which of the …": a function word is no noun to look for.
    head = stem(m.group(1).lower()) if m and m.group(1).lower() not in STOPWORDS else ""
    return asked, verbs, head


def clean_span(span: str, asked: frozenset[str], head: str = "") -> str:
    """No edge punctuation, trailing possessive or unmatched bracket; no leading preposition
    ("with drug addiction") or word the question already says ("Songwriter Joe Brooks"),
    unless it is the capitalised `head` noun the question asks the name of ("Lake Chad")."""
    text = _POSSESSIVE.sub("", span.strip(" ,.;:“”\"'"))
    # An abbreviation keeps its last full stop: "U.S.", not "U.S".
    if re.search(r"\b(?:[A-Z]\.)+[A-Z]$", text) and span.rstrip(" ,;:").endswith(text + "."):
        text += "."
    words = text.split()
    # "s School of …": what is left of "University's" when a span starts at its apostrophe.
    while len(words) > 1 and (
        (words[0].lower() in _LEADING and not _APPROXIMATE.match(" ".join(words)))
        or (
            stem(words[0].lower()) in asked
            and not (words[0].istitle() and stem(words[0].lower()) == head)
        )
        or words[0] == "s"
    ):
        words = words[1:]
    # "195 million doses" for "how many doses …?", "dry shampoo products" for "which product
    # …?": the question already names what is counted or what kind of thing it is. (A name
    # keeps its capitalised noun: "the Eighth Brigade".)
    counted = any(w[:1].isdigit() for w in words)
    if (
        len(words) > 1
        and (counted or words[-1].islower())
        and stem(words[-1].lower()) in asked
        # "10 percent" for "what percentage …?": without its unit the number says nothing.
        and not re.fullmatch(_SCALE, words[-1].lower())
    ):
        words = words[:-1]
    text = " ".join(words)
    while (
        (text[:1] in "()" and text)
        or text.endswith("(")
        or (text.endswith(")") and text.count("(") < text.count(")"))
    ):
        text = (text[1:] if text[:1] in "()" else text[:-1]).strip(" ,.;:“”\"'")
    return text


# News questions and articles name the same event with different words ("killed" / "dead").
_SYNONYMS = {
    w: head
    for head, words in {
        "kill": "killed kills killing dead die died dies dying death deaths slain",
        "win": "won wins winning winner victory victorious",
        "arrest": "arrested arrests detained detain custody",
        "injur": "injured injuries injury wound wounded wounds hurt",
        "marry": "married marries marriage wed wedding",
        "accus": "accused accuses accusing suspected suspect suspects",
        "lawyer": "lawyer lawyers attorney attorneys",
    }.items()
    for w in words.split()
}


@lru_cache(maxsize=1 << 16)  # every sentence's words are stemmed for every question
def stem(word: str) -> str:
    """A crude stem: "killed" meets "killing", "strategically" meets "strategic", "charged"
    meets "charge" and "losing" "lose"."""
    if word in _SYNONYMS:
        return _SYNONYMS[word]
    for suffix in ("ing", "ed", "ly", "es", "s"):
        # A verb's stem may be three letters ("losing"); a noun's or an adverb's four.
        shortest = 3 if suffix in ("ing", "ed") else 4
        if len(word) >= len(suffix) + shortest and word.endswith(suffix):
            word = word[: -len(suffix)]
            # "topped" meets "top", "planned" meets "plan".
            if suffix in ("ing", "ed") and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    # The silent "e" that "-ed" and "-ing" drop: "charge" meets "charged", "lose" "losing".
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word[:6]


def stems(text: str) -> set[str]:
    """The stems of a text's words (Arabic ones folded, as questions' terms are)."""
    return {stem(w) for w in _WORD.findall(arabic.fold(text.lower()))}


def norm(text: str) -> str:
    """Lower-case words joined by single spaces, for comparing sentences."""
    return " ".join(_WORD.findall(text.lower()))
