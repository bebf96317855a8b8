"""Words of a query: stop words (English and Arabic, folded), content terms, a clean query."""

from __future__ import annotations

import re
from functools import lru_cache

from newsdesk.errors import QueryError
from newsdesk.text import arabic

MAX_QUERY_CHARS = 2000  # the model reads 256 word pieces; more text only costs time
MAX_TERMS = 32
STOPWORDS = frozenset(
    """a an the and or but if of at by for with about against between into through during before
    after above below to from up down in out on off over under again further then once here there
    when where why how all any both each few more most other some such no nor not only own same so
    than too very can will just don should now is are was were be been being have has had having do
    does did doing i me my we our you your he him his she her it its they them their what which who
    whom this that these those am would could ought s t tell say said says also as""".split()
) | frozenset(
    # Arabic question and function words, folded as the keyword index folds them.
    arabic.fold_word(w)
    for w in """من في على عن إلى ما ماذا متى أين كيف لماذا هل هو هي هم هن التي الذي الذين و أو
    ثم قد لقد كان كانت يكون مع هذا هذه ذلك تلك بين بعد قبل عند كل أي لم لن إن أن""".split()
)

_TERM = re.compile(r"\w+", re.UNICODE)


# Search, the names lookup, the reader and abstention each want the question's terms: one
# question's are worked out once.
@lru_cache(maxsize=256)
def query_terms(query: str) -> tuple[str, ...]:
    """Content words of a query (Arabic ones folded), stop words dropped (kept when nothing
    else is left)."""
    # Folded before splitting: Arabic diacritics are not word characters to a regex.
    words = [w for w in _TERM.findall(arabic.fold(query.lower())) if len(w) > 1 or w.isdigit()]
    content = [w for w in words if w not in STOPWORDS] or words
    return tuple(dict.fromkeys(content))[:MAX_TERMS]


def clean_query(query: str) -> str:
    """The query trimmed to what the model can read; refuses one with no words at all."""
    query = " ".join(query.split())[:MAX_QUERY_CHARS]
    if not query:
        raise QueryError(
            "the query is empty: ask about something, e.g. “who was killed in Jassim?”"
        )
    if not _TERM.search(query):
        raise QueryError("the query has no words, only punctuation or symbols: ask with words")
    return query
