"""Names spelled another way: an Arabic name's Latin spellings, and a typo's archive spelling."""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from newsdesk.ingest.store.archive import Archive
from newsdesk.text import arabic
from newsdesk.text.terms import query_terms


def latin_spellings(archive: Archive, query: str) -> list[str]:
    """The archive's Latin spellings of the query's Arabic names (جاسم → Jassim), and of
    Latin words it never uses that are names it spells another way (Jasim → Jassim, Isrel →
    Israel): transliterated names have many spellings, and questions have typos."""
    names = []
    shapes = {t: shape for t in query_terms(query) if (shape := arabic.skeleton(t))}
    for term, shape in shapes.items():
        if arabic.has_arabic(term):
            found = archive.names_like(shape, limit=4)
            names += [n for n in found if arabic.could_spell(term, n)][:2]
    # Only a word the archive never uses may be a misspelling: one it holds is a word.
    latin = [t for t in shapes if not arabic.has_arabic(t) and len(t) >= MIN_VARIANT]
    for term, df in zip(latin, archive.term_frequencies(latin, 1)[1], strict=True):
        if df == 0:
            alike = archive.names_like(shapes[term], limit=4)
            names += [n for n in alike if spelled_alike(term, n)][:2]
    return names


MIN_VARIANT = 5  # shorter words have too many neighbours one letter away ("Bryd": Brad)


def spelled_alike(a: str, b: str) -> bool:
    """Another spelling of the same name: the same first letter, one letter changed, added or
    dropped (two in a word over five letters), and not the same word."""
    if a == b or a[:1] != b[:1]:
        return False
    most = 1 if len(a) <= 5 else 2
    # The cutoff lets rapidfuzz stop as soon as the distance is known to exceed `most`.
    return Levenshtein.distance(a, b, score_cutoff=most) <= most
