"""Hybrid retrieval: FAISS dense top-k and FTS5 bm25 top-k fused by reciprocal rank."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from newsdesk.errors import EmptyArchiveError, QueryError
from newsdesk.ingest import arabic
from newsdesk.ingest.archive import Archive, Article, ChunkHit, Filters

from .embedder import Embedder
from .indexer import passage_text
from .multilingual import on_minilm_scale
from .vectors import VectorStore

Mode = Literal["hybrid", "dense", "keyword"]
RRF_K = 60  # the usual constant of reciprocal rank fusion
# Dense ranks count less than keyword ranks: on the dev set (bench/README.md) weights of
# 1.0 / 1.0 gave MRR 0.937, 0.4 / 1.0 gave 0.948, BM25 alone 0.942, dense alone 0.891.
DENSE_WEIGHT, KEYWORD_WEIGHT = 0.4, 1.0
# The multilingual set's ranks (index/multilingual.py) for a question not in English, where
# they stand in for MiniLM's: 1.0 put the gold article in the top 5 for 14 of 20 Arabic dev
# questions, 0.4 for 11 (bench/README.md, "Arabic and cross-lingual retrieval"). For an
# English question, a passage in another language has only this ranking (MiniLM and the
# keyword index cannot read it): it weighs as much as the two together.
MULTI_WEIGHT = 1.0
# English articles the multilingual set found by their lead passage for a question in
# another language: their passages are embedded on the fly, so the right one can be read.
EXPAND = 2
CANDIDATES = 50  # taken from each retriever before fusing
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


@dataclass
class Hit:
    """One retrieved passage with its article and the scores that ranked it."""

    chunk_id: int
    text: str
    start: int
    end: int
    article: Article
    score: float  # fused (RRF) score; higher is better
    dense: float | None = None  # cosine similarity, when FAISS found it
    keyword: float | None = None  # bm25, when FTS5 found it
    multi: float | None = None  # cosine similarity in the multilingual set
    both_english: bool = True  # question and passage: else MiniLM's similarity means little

    @property
    def similarity(self) -> float | None:
        """What answers weigh: MiniLM's similarity, or where the question or the passage is
        not English (MiniLM reads English only) the multilingual one on MiniLM's scale."""
        if not self.both_english and self.multi is not None:
            return on_minilm_scale(self.multi)
        return self.dense


def is_english(article: Article) -> bool:
    """Whether MiniLM can read the article (the multilingual set holds only its lead)."""
    return article.language == "en"


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
    if abs(len(a) - len(b)) > most:
        return False
    # Levenshtein distance, row by row.
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1] <= most


def query_terms(query: str) -> list[str]:
    """Content words of a query (Arabic ones folded), stop words dropped (kept when nothing
    else is left)."""
    # Folded before splitting: Arabic diacritics are not word characters to a regex.
    words = [w for w in _TERM.findall(arabic.fold(query.lower())) if len(w) > 1 or w.isdigit()]
    content = [w for w in words if w not in STOPWORDS] or words
    return list(dict.fromkeys(content))[:MAX_TERMS]


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


class Searcher:
    """Hybrid search over one archive and its vector index, and the multilingual set
    (its model and store) when there is one."""

    def __init__(
        self,
        archive: Archive,
        embedder: Embedder,
        vectors: VectorStore,
        *,
        multi: tuple[Embedder, VectorStore] | None = None,
    ) -> None:
        self.archive, self.embedder, self.vectors = archive, embedder, vectors
        self.multi = multi

    def dense(
        self, vector: np.ndarray, k: int, filters: Filters, store: VectorStore | None = None
    ) -> list[tuple[int, float]]:
        # Over-fetch under filters: FAISS cannot filter by date or outlet itself.
        fetch = k if filters == Filters() else k * 8
        found = (store or self.vectors).search(vector, fetch)
        allowed = self.archive.allowed_chunk_ids([i for i, _ in found], filters)
        return [(i, s) for i, s in found if i in allowed][:k]

    def multilingual(
        self, vector: np.ndarray, english: bool, filters: Filters
    ) -> list[tuple[int, float, int]]:
        """(chunk id, similarity, rank) from the multilingual set. An English question takes
        only passages MiniLM cannot read (of articles in other languages), each at its rank
        among all, English leads included: one comes first only when it beats every English
        article's lead. Any other question takes all, the passages of the first English
        articles found by their lead ranked in place of that lead."""
        assert self.multi is not None
        embedder, store = self.multi
        found = self.dense(vector, CANDIDATES, filters, store)
        chunks = {c.chunk_id: c for c in self.archive.chunks([i for i, _ in found])}
        out: list[tuple[int, float, int]] = []
        expanded = 0
        for rank, (chunk_id, score) in enumerate(found):
            chunk = chunks.get(chunk_id)
            if chunk is None or (english and is_english(chunk.article)):
                continue
            if english or not is_english(chunk.article) or expanded >= EXPAND:
                out.append((chunk_id, score, rank if english else len(out)))
                continue
            expanded += 1
            passages = self.archive.article_chunks(chunk.article.id)
            scores = embedder.encode([passage_text(p) for p in passages]) @ vector
            ranked = sorted(zip(passages, scores, strict=True), key=lambda p: -p[1])
            out += [(p.chunk_id, float(s), len(out) + i) for i, (p, s) in enumerate(ranked)]
        return out[:CANDIDATES]

    def keyword(
        self, query: str, k: int, filters: Filters, names: Sequence[str] = ()
    ) -> list[tuple[int, float]]:
        """(chunk id, bm25) for the query's words and `names`, other spellings of them."""
        terms = query_terms(query)
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', "") + '"' for t in dict.fromkeys([*terms, *names]))
        return self.archive.keyword_search(match, k, filters)

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        filters: Filters = Filters(),
        mode: Mode = "hybrid",
        per_story: int = 1,
        names: Sequence[str] | None = None,
    ) -> list[Hit]:
        """The k best passages; a story (an article and its copies) gets `per_story` first.
        `names` are the query's `latin_spellings` where the caller has them already."""
        query = clean_query(query)
        if self.archive.is_empty():
            raise EmptyArchiveError("the archive is empty")
        english = not arabic.has_arabic(query)
        # A name may be spelled otherwise in the archive: جاسم or Jasim → Jassim.
        if names is None:
            names = latin_spellings(self.archive, query)
        # MiniLM reads the archive's spelling beside the asker's ("Isrel" finds nothing);
        # the multilingual model reads an Arabic question better without Latin names.
        seen_as = " ".join([query, *names]) if english else query
        # MiniLM's similarity is read only where question and passage are English, so an
        # Arabic question skips it when the multilingual set can stand in.
        use_minilm = mode != "keyword" and (english or self.multi is None)
        vector = self.embedder.encode([seen_as])[0] if use_minilm else None
        # MiniLM reads English only: its ranking of an Arabic question is noise (it found 0
        # of 5 seed passages, ../shared/MODELS.md).
        dense = self.dense(vector, CANDIDATES, filters) if vector is not None and english else []
        multi_vector = None
        # An English question takes from the multilingual set only what MiniLM cannot read:
        # in an archive all in English, that second embedding (~35 ms) finds nothing.
        if (
            self.multi is not None
            and mode != "keyword"
            and (not english or self.archive.has_other_languages())
        ):
            multi_vector = self.multi[0].encode([query])[0]
        multi = (
            self.multilingual(multi_vector, english, filters) if multi_vector is not None else []
        )
        keyword = self.keyword(query, CANDIDATES, filters, names) if mode != "dense" else []
        fused: dict[int, float] = {}
        multi_weight = DENSE_WEIGHT + KEYWORD_WEIGHT if english else MULTI_WEIGHT
        weighted = (
            (DENSE_WEIGHT, [(chunk_id, rank) for rank, (chunk_id, _) in enumerate(dense)]),
            (multi_weight, [(chunk_id, rank) for chunk_id, _, rank in multi]),
            (KEYWORD_WEIGHT, [(chunk_id, rank) for rank, (chunk_id, _) in enumerate(keyword)]),
        )
        for weight, ranked in weighted:
            for chunk_id, rank in ranked:
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (RRF_K + rank + 1)
        order = sorted(fused, key=fused.__getitem__, reverse=True)
        dense_by_id, keyword_by_id = dict(dense), dict(keyword)
        multi_by_id = {chunk_id: score for chunk_id, score, _ in multi}
        # One story may not crowd out the rest: its passages beyond `per_story` wait until
        # every other story has had its turn.
        first: list[ChunkHit] = []
        later: list[ChunkHit] = []
        seen: dict[int, int] = {}
        for chunk in self.archive.chunks(order):
            story = chunk.article.cluster_id or chunk.article.id
            seen[story] = seen.get(story, 0) + 1
            (first if seen[story] <= per_story else later).append(chunk)
        hits = [
            Hit(
                c.chunk_id,
                c.text,
                c.start,
                c.end,
                c.article,
                fused[c.chunk_id],
                dense_by_id.get(c.chunk_id),
                keyword_by_id.get(c.chunk_id),
                multi_by_id.get(c.chunk_id),
                both_english=english and is_english(c.article),
            )
            for c in (first + later)[:k]
        ]
        if multi_vector is not None:
            self.fill_multi(hits, multi_vector)
        if vector is not None:
            # A passage only bm25 found still gets its similarity, from its stored vector:
            # answers weigh every passage by it.
            stored = self.vectors.get([h.chunk_id for h in hits if h.dense is None])
            for hit in hits:
                if hit.chunk_id in stored:
                    hit.dense = float(stored[hit.chunk_id] @ vector)
        return hits

    def fill_multi(self, hits: list[Hit], vector: np.ndarray) -> None:
        """The multilingual similarity of every passage not read in English: from its stored
        vector, or embedded now (a passage of an English article past its lead)."""
        assert self.multi is not None
        embedder, store = self.multi
        lacking = [h for h in hits if not h.both_english and h.multi is None]
        stored = store.get([h.chunk_id for h in lacking])
        unstored = [h for h in lacking if h.chunk_id not in stored]
        fresh = embedder.encode([passage_text(h) for h in unstored])
        for hit, row in zip(unstored, fresh, strict=True):
            stored[hit.chunk_id] = row
        for hit in lacking:
            hit.multi = float(stored[hit.chunk_id] @ vector)
