"""Names in answers: the name in full a story gave, one name for one thing, and whether a span
names the noun a question asks about."""

from __future__ import annotations

import re

from newsdesk.index.read.spans import common_words, norm, nouns, spans, stem, stems
from newsdesk.text.sentences import quoted, split_sentences

# The word right before a span, an opening quote between them at most ("sitcom “Full House”").
_WORD_BEFORE = re.compile(r"([\w'’-]+) [\"“‘']?$")


def names_head(sentence: str, span: str, head: str) -> bool:
    """Whether a span is the thing asked about: it holds the question's noun ("Lake Chad" for
    "which lake?"), or comes straight after it ("attorney Alan Dershowitz", "the sitcom “Full
    House”")."""
    if head in stems(span):
        return True
    m = _WORD_BEFORE.search(sentence, 0, max(sentence.find(span), 0))
    return m is not None and stem(m.group(1).lower()) == head


def full_name(span: str, text: str) -> str:
    """The name in full where a story first gives it and then shortens it ("Ronnie James Dio
    … Dio", "the Los Angeles Galaxy … the Galaxy"): the article's first longer name ending
    with the one-word span, or the span itself."""
    if " " in span or not span[:1].isupper():
        return span
    common, titles = common_words(text), nouns(text)
    for s, e in split_sentences(text):
        sentence = quoted(text[s:e])
        for a, b in spans(sentence, "name", common):
            name = sentence[a:b]
            # "Striker Maria Okafor" opening a sentence: the title is capitalised only there.
            first, _, rest = name.partition(" ")
            if a == 0 and first.lower() in titles and " " in rest:
                name = rest
            # "the Middle District of Florida", "Harry and Dio" are other things than the span.
            if name.endswith("-" + span) or (
                name.endswith(" " + span) and name.split()[-2] not in ("of", "and", "the")
            ):
                return name
            # A quote calls a person by the first name the story gave in full ("David").
            after = name.split()[1:]
            if (
                name.startswith(span + " ")
                and len(after) <= 2
                and all(map(_SURNAME.fullmatch, after))
            ):
                return name
    return span


_SURNAME = re.compile(r"(?:[a-z]{1,3}-)?[A-Z][a-z][\w'’-]*")


def same_thing(a: str, b: str) -> bool:
    """One span inside the other: "Jebawi" and "Ayoub al-Jebawi" name one person."""
    na, nb = norm(a), norm(b)
    return na in nb or nb in na
