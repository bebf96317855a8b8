"""Who and where: what the archive holds about a person, group or place.

English articles carry the named entities found at ingest (ingest/entities.py): a name counts
where the article's text spells it inside an entity (a person, group or place), and the other
entities of those articles are the names seen with it. Arabic articles have no entities: there
the keyword index finds the name, folded as it folds every word (الجباوي = جباوي), and a Latin
name finds its Arabic spellings among the index's words of the same consonant skeleton whose
written vowels it spells too (Jassim → جاسم, not جسم), and back (جاسم → Jassim) among the
archive's Latin names, as questions do (text/arabic.py, index/search/names.py).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from newsdesk.errors import QueryError
from newsdesk.index.search.names import latin_spellings
from newsdesk.ingest.models import Entity
from newsdesk.ingest.store.archive import Archive
from newsdesk.ingest.store.records import Article, Filters
from newsdesk.text import arabic
from newsdesk.text.sentences import split_sentences
from newsdesk.text.terms import STOPWORDS

# spaCy's labels for names (OntoNotes): people, nationalities and groups, organisations,
# countries and towns, other places, buildings, named events. Dates, numbers and titles of
# works are not names of anyone or anywhere.
NAME_LABELS = frozenset({"PERSON", "NORP", "ORG", "GPE", "LOC", "FAC", "EVENT"})
KINDS = {
    "PERSON": "person",
    "NORP": "group",
    "ORG": "group",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "EVENT": "event",
}
MAX_NAME_WORDS = 8  # "Eighth Brigade Russian backed Fifth Corps": common words aside
MAX_PASSAGES = 2000  # keyword hits read for one name (its best-ranked passages)
RELATED = 10  # names seen with it, listed
SENTENCE_CHARS = 320  # a longer sentence is cut around the name
_PROCLITICS = "وبلفك"  # one-letter words written onto the next: وجاسم "and Jassim", بجاسم "in …"
_LATIN_ARTICLES = frozenset({"al", "el"})
_ARABIC_WORD = re.compile(r"[\w\u064b-\u065f\u0670\u06d6-\u06ed\u0640]+")  # marks stay inside
_WORD = re.compile(r"\w+")
# The keyword index's words, read in alphabetical ranges. A temporary table of this
# connection: FTS5's own view of its vocabulary, nothing written to the archive.
_VOCABULARY = "temp.newsdesk_vocabulary"


@dataclass
class Mention:
    """One article that names it: the first sentence that does, and how it spells it."""

    article: Article
    sentence: str
    spelling: str  # the name as the article writes it ("al-Jebawi", "الجباوي")
    label: str | None = None  # the entity's label (PERSON, GPE, …); None: no entities stored
    times: int = 1  # how often the article names it

    @property
    def date(self) -> str | None:
        return self.article.date


@dataclass
class RelatedName:
    """A name that appears in the same stories, and in how many of them."""

    name: str
    label: str | None
    stories: int


@dataclass
class EntityProfile:
    """What the archive holds about a name: who or what it is (by its entities' labels),
    the articles that name it (oldest first, undated last) and the names seen with it."""

    name: str
    mentions: list[Mention] = field(default_factory=list)
    related: list[RelatedName] = field(default_factory=list)
    spellings: list[str] = field(default_factory=list)  # as written, most frequent first
    labels: dict[str, int] = field(default_factory=dict)  # entity labels of its mentions

    @property
    def found(self) -> bool:
        return bool(self.mentions)

    @property
    def kind(self) -> str | None:
        """ "person", "place", "group" or "event" by its most frequent label; None unknown."""
        for label, _ in Counter(self.labels).most_common():
            if label in KINDS:
                return KINDS[label]
        return None

    @property
    def first_seen(self) -> str | None:
        dates = [m.date for m in self.mentions if m.date]
        return min(dates) if dates else None

    @property
    def last_seen(self) -> str | None:
        dates = [m.date for m in self.mentions if m.date]
        return max(dates) if dates else None

    @property
    def stories(self) -> int:
        """Distinct stories among the articles (near-copies counted once)."""
        return len({m.article.cluster_id or -m.article.id for m in self.mentions})


# ------------------------------------------------------------------------------ the name


@dataclass
class _Word:
    """One word of the name, and how each script may spell it, as the keyword index does."""

    word: str
    latin: set[str]  # lower case
    arabic: set[str]  # folded, the forms with a one-letter proclitic (وجاسم) included
    shaped: bool  # has a consonant skeleton: another script could spell it


def name_words(name: str) -> list[str]:
    """The words of a name as the keyword index spells them: lower case, Arabic folded, the
    article (al-, el-, ال) and common words left out."""
    words = _WORD.findall(arabic.fold(name.lower()))
    kept = [w for w in words if w not in _LATIN_ARTICLES and w not in STOPWORDS]
    if not kept:
        raise QueryError(f"“{name.strip()}” has no name in it, only common words")
    if len(kept) > MAX_NAME_WORDS:
        raise QueryError(f"a name of at most {MAX_NAME_WORDS} words, please")
    return kept


def _spellings(archive: Archive, word: str) -> _Word:
    shape = arabic.skeleton(word)
    if arabic.has_arabic(word):
        own = {word, *(p + word for p in _PROCLITICS)}
        return _Word(word, _latin_names_of(archive, word), own, bool(shape))
    latin = {word, *latin_spellings(archive, word)}
    found = set()
    for spelling in latin:
        found |= _arabic_spellings(archive, spelling)
    return _Word(word, latin, found, bool(shape))


def _latin_names_of(archive: Archive, word: str) -> set[str]:
    """The archive's Latin names that could spell an Arabic word (الجباوي: Jebawi, not
    Jabba): the same skeleton, and its vowels."""
    shape = arabic.skeleton(word)
    if not shape:
        return set()
    names = archive.names_like(shape, limit=8)
    return {n for n in names if arabic.could_spell(word, n) and _spelled_alike(word, n)}


def _arabic_spellings(archive: Archive, latin: str) -> set[str]:
    """The keyword index's Arabic words that could spell a Latin name (جاسم for Jassim,
    وجاسم too): the same consonant skeleton, a length and first letter it could have, and
    vowels it spells."""
    shape = arabic.skeleton(latin)
    if not shape:
        return set()
    if latin[:1] in "aeiou":  # Idlib: ادلب, Adra: عدرا
        initials = ["ا", "ع"]
    else:
        initials = [letter for letter, c in _consonants().items() if c == shape[0]]
    found = set()
    for initial in initials:
        for prefix in ["", *_PROCLITICS]:
            for term in _index_words(archive, prefix + initial):
                stem = term[len(prefix) :]
                if (
                    arabic.has_arabic(stem)
                    and arabic.skeleton(stem) == shape
                    and arabic.could_spell(stem, latin)
                    and _spelled_alike(stem, latin)
                ):
                    found.add(term)
    return found


# Arabic writes long vowels (ا و ي) and leaves short ones out; a Latin spelling writes both.
# So each long vowel must be there in the Latin between the same consonants, with a sound it
# can have, and a Latin vowel of two letters or more ("aa", "ou", "awi") is a long one, which
# Arabic writes. ع is a consonant Latin spellings write as "a" (Daraa درعا, Saad سعد) or
# leave out (Ismail اسماعيل). Even so, a few consonants and short vowels spell many words
# ("Jassim" could be جسم, body): a match needs four signs, each consonant of the skeleton and
# each letter written alike counting one.
_LONG_VOWELS = {"ا": "ae", "و": "ouw", "ي": "iey"}
_AIN = "ع"
_LATIN_VOWELS = "aeiouwy"
_DIGRAPH_SECOND = "h"  # sh, kh, th, dh, gh, ph: one consonant
MIN_SIGNS = 4


def _spelled_alike(word: str, latin: str) -> bool:
    """Whether an Arabic word (folded) and a Latin spelling of the same consonant skeleton
    are one name by their vowels: Jassim جاسم, not جوسم nor جسم; Jebawi جباوي, not جيب."""
    ours, theirs = _vowel_slots(word), _latin_vowel_slots(latin)
    if len(ours) != len(theirs):
        return False
    signs = len(arabic.skeleton(word))
    for slot, (written, spelled) in enumerate(zip(ours, theirs, strict=True)):
        if len(spelled) >= 2 and not written:
            return False
        found = _slot_signs(written, spelled, opening=slot == 0)
        if found is None:
            return False
        signs += found
    return signs >= MIN_SIGNS


def _slot_signs(written: str, spelled: str, *, opening: bool) -> int | None:
    """How many of the letters Arabic writes between two consonants the Latin vowels there
    spell, in order (None: one of its long vowels is not spelled)."""
    if not written:
        return 0
    ch, rest = written[0], written[1:]
    if opening and ch == "ا":  # an opening alif carries a hamza: any vowel (إدلب, أسامة)
        sounds = _LATIN_VOWELS
    else:
        sounds = "a" if ch == _AIN else _LONG_VOWELS.get(ch, "")
    at = next((i for i, c in enumerate(spelled) if c in sounds), None)
    taken = None if at is None else _slot_signs(rest, spelled[at + 1 :], opening=False)
    if taken is not None:
        return taken + 1
    # ع may go unwritten in the Latin; a long vowel may not.
    return _slot_signs(rest, spelled, opening=False) if ch == _AIN else None


def _vowel_slots(word: str) -> list[str]:
    """The letters an Arabic word writes before, between and after its consonants (those
    its skeleton keeps, doubles as one)."""
    folded = arabic.fold_word(word)
    consonants = _consonants()
    slots, last = [""], ""
    for i, ch in enumerate(folded):
        sound = consonants.get(ch, "")
        if i == 0 and ch in "وي":
            sound = ch
        elif ch in "وي":
            sound = ""
        if not sound:
            slots[-1] += ch
            last = ""
        elif sound != last or slots[-1]:
            slots.append("")
            last = sound
    return slots


def _latin_vowel_slots(latin: str) -> list[str]:
    """The vowels of a Latin spelling before, between and after its consonants (doubles and
    digraphs as one; w and y are vowels but at the start, as in a skeleton)."""
    slots, last = [""], ""
    for i, ch in enumerate(latin.lower()):
        vowel = ch in _LATIN_VOWELS and not (i == 0 and ch in "wy")
        if vowel:
            slots[-1] += ch
            last = ""
        elif ch == _DIGRAPH_SECOND and last and not slots[-1]:
            continue
        elif ch != last or slots[-1]:
            slots.append("")
            last = ch
    return slots


@cache
def _consonants() -> dict[str, str]:
    """Each Arabic letter and the Latin consonant it stands for in a skeleton (text/arabic.py)
    ("" for a letter that is only a vowel there), found by asking `skeleton` itself: the
    letter before two others, two probes so that the letter's own sound is never squeezed
    into the probe's."""
    found = {}
    for letter in "ابتثجحخدذرزسشصضطظعغفقكلمنهوي":
        for probe in ("دب", "تم"):
            shape = arabic.skeleton(letter + probe)
            if len(shape) == 3:
                found[letter] = shape[0]
                break
        else:
            found[letter] = ""
    return found


def _index_words(archive: Archive, prefix: str) -> list[str]:
    """The keyword index's words that begin with `prefix` (a range scan of its vocabulary)."""
    archive.rows(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {_VOCABULARY} USING fts5vocab(main, chunks_fts, row)"
    )
    stop = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    rows = archive.rows(
        f"SELECT term FROM {_VOCABULARY} WHERE term >= ? AND term < ?", [prefix, stop]
    )
    return [r[0] for r in rows]


def _side(spellings: list[set[str]], words: list[_Word]) -> list[set[str]] | None:
    """The spellings of each word in one script, in order, or None when the name cannot be
    found in that script: a word that could be spelled there (it has a skeleton) but isn't.
    Words that have no skeleton ("Ayoub") are left out rather than block the rest."""
    side = []
    for found, word in zip(spellings, words, strict=True):
        if found:
            side.append(found)
        elif word.shaped:
            return None
    return side or None


def _fts(groups: list[set[str]]) -> str:
    """An FTS5 expression: every word, in any of its spellings."""
    return " AND ".join(
        "(" + " OR ".join('"' + s.replace('"', "") + '"' for s in sorted(g)) + ")" for g in groups
    )


def _latin_pattern(groups: list[set[str]]) -> re.Pattern[str]:
    """The name in Latin text: its words in order, each may carry an article (al-Jebawi)."""
    parts = [
        r"(?:(?:al|el)[-‐\s])?(?:"
        + "|".join(re.escape(s) for s in sorted(g, key=len, reverse=True))
        + ")"
        for g in groups
    ]
    return re.compile(r"(?<![\w-])" + r"[\s\u00a0]+".join(parts) + r"(?!\w)", re.IGNORECASE)


# ------------------------------------------------------------------------------ the lookup


def profile_entity(
    archive: Archive, name: str, *, filters: Filters = Filters(), related: int = RELATED
) -> EntityProfile:
    """What the archive holds about a person, group or place (QueryError: no name given)."""
    words = [_spellings(archive, w) for w in name_words(name)]
    latin = _side([w.latin for w in words], words)
    arab = _side([w.arabic for w in words], words)
    articles: dict[int, Article] = {}
    for groups in (latin, arab):
        if groups:
            chunk_ids = [c for c, _ in archive.keyword_search(_fts(groups), MAX_PASSAGES, filters)]
            for hit in archive.chunks(chunk_ids):
                articles.setdefault(hit.article.id, hit.article)
    # In date order (undated last): mentions are listed so, and equal counts of spellings
    # go the way they were first written.
    found = sorted(articles.values(), key=lambda a: (a.date is None, a.date or "", a.id))
    entities = archive.entities([a.id for a in found if not _in_arabic(a)])
    profile = EntityProfile(" ".join(name.split()))
    spans: dict[int, list[tuple[int, int]]] = {}
    spellings: Counter[str] = Counter()
    pattern = _latin_pattern(latin) if latin else None
    for article in found:
        labelled: list[tuple[int, int, str | None]]
        if _in_arabic(article):
            hits = _arabic_mentions(article.text, arab) if arab else []
            labelled = [(s, e, None) for s, e in hits]
        else:
            labelled = _latin_mentions(article.text, pattern, entities[article.id])
        if not labelled:
            continue
        spans[article.id] = [(s, e) for s, e, _ in labelled]
        start, end, label = labelled[0]
        for s, e, lab in labelled:
            spellings[article.text[s:e]] += 1
            if lab:
                profile.labels[lab] = profile.labels.get(lab, 0) + 1
        sentence = _sentence(article.text, start, end)
        mention = Mention(article, sentence, article.text[start:end], label, len(labelled))
        profile.mentions.append(mention)
    profile.spellings = [s for s, _ in spellings.most_common()]
    own = {_key(s) for s in spellings}
    profile.related = _related(profile.mentions, entities, spans, own, related)
    return profile


def _in_arabic(article: Article) -> bool:
    """Whether the article is in Arabic script (no entities stored: the model reads English)."""
    return article.language != "en" and arabic.has_arabic(article.text)


def _latin_mentions(
    text: str, pattern: re.Pattern[str] | None, entities: Sequence[Entity]
) -> list[tuple[int, int, str | None]]:
    """Where an English article names it: inside a name entity, labelled as that entity.
    An article stored without entities (looked for by no model yet) takes a capitalised
    spelling as a name, unlabelled."""
    if pattern is None:
        return []
    names = [(s, e, label) for s, e, label in entities if label in NAME_LABELS]
    found: list[tuple[int, int, str | None]] = []
    for m in pattern.finditer(text):
        if not entities:
            if any(ch.isupper() for ch in m.group()):
                found.append((m.start(), m.end(), None))
            continue
        label = next((lab for s, e, lab in names if s < m.end() and m.start() < e), None)
        if label:
            found.append((m.start(), m.end(), label))
    return found


def _arabic_mentions(text: str, groups: list[set[str]]) -> list[tuple[int, int]]:
    """Where an Arabic article names it: its words in order, each folded as the keyword
    index folds it."""
    tokens = [
        (m.start(), m.end(), arabic.fold_word(m.group())) for m in _ARABIC_WORD.finditer(text)
    ]
    found = []
    n = len(groups)
    for i in range(len(tokens) - n + 1):
        if all(tokens[i + j][2] in groups[j] for j in range(n)):
            found.append((tokens[i][0], tokens[i + n - 1][1]))
    return found


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end], cut around the name when it is long."""
    s, e = next(((s, e) for s, e in split_sentences(text) if s <= start < e), (start, end))
    if e - s <= SENTENCE_CHARS:
        return text[s:e]
    room = (SENTENCE_CHARS - (end - start)) // 2
    cut_s, cut_e = max(s, start - room), min(e, end + room)
    return ("…" if cut_s > s else "") + text[cut_s:cut_e].strip() + ("…" if cut_e < e else "")


def _related(
    mentions: Iterable[Mention],
    entities: dict[int, list[Entity]],
    spans: dict[int, list[tuple[int, int]]],
    own: set[str],
    limit: int,
) -> list[RelatedName]:
    """The names in the same articles, by the stories they share with it (copies of a story
    count once). Left out: its own mentions and spellings (`own`, as keys), and each
    article's outlet ("North Press" in a North Press dateline, "CNN" in "CNN (NewsQA)")."""
    stories: dict[str, set[int]] = defaultdict(set)
    spelled: dict[str, Counter[str]] = defaultdict(Counter)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for m in mentions:
        article = m.article
        outlet = set(_key(article.source or "").split())
        named = spans.get(article.id, [])
        for s, e, label in entities.get(article.id, []):
            if label not in NAME_LABELS or any(s < ne and ns < e for ns, ne in named):
                continue
            shown = _shown(article.text[s:e])
            key = _key(shown)
            if not key or set(key.split()) <= outlet or key in own:
                continue
            stories[key].add(article.cluster_id or -article.id)
            spelled[key][shown] += 1
            labels[key][label] += 1
    ranked = sorted(stories, key=lambda k: (-len(stories[k]), -spelled[k].total(), k))
    return [
        RelatedName(
            spelled[k].most_common(1)[0][0], labels[k].most_common(1)[0][0], len(stories[k])
        )
        for k in ranked[:limit]
    ]


def _shown(surface: str) -> str:
    """An entity's text as a name: one line, without a leading "the" or trailing hyphen."""
    text = " ".join(surface.split())
    text = re.sub(r"^(?:the|The)\s+", "", text)
    return text.strip(" -‐,.;:'\"“”‘’()")


def _key(name: str) -> str:
    """A name's words, lower case and folded, articles left out: one key for its spellings."""
    words = _WORD.findall(arabic.fold(name.lower()))
    return " ".join(w for w in words if w not in _LATIN_ARTICLES)
