"""Hybrid retrieval: FAISS dense top-k and FTS5 bm25 top-k fused by reciprocal rank."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from newsdesk.errors import EmptyArchiveError, QueryError
from newsdesk.ingest import arabic
from newsdesk.ingest.archive import Archive, Article, ChunkHit, Filters

from .embedder import Embedder
from .vectors import VectorStore

Mode = Literal["hybrid", "dense", "keyword"]
RRF_K = 60  # the usual constant of reciprocal rank fusion
# Dense ranks count less than keyword ranks: on the dev set (bench/README.md) weights of
# 1.0 / 1.0 gave MRR 0.937, 0.4 / 1.0 gave 0.948, BM25 alone 0.942, dense alone 0.891.
DENSE_WEIGHT, KEYWORD_WEIGHT = 0.4, 1.0
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
    """Hybrid search over one archive and its vector index."""

    def __init__(self, archive: Archive, embedder: Embedder, vectors: VectorStore) -> None:
        self.archive, self.embedder, self.vectors = archive, embedder, vectors

    def dense(self, vector: np.ndarray, k: int, filters: Filters) -> list[tuple[int, float]]:
        # Over-fetch under filters: FAISS cannot filter by date or outlet itself.
        fetch = k if filters == Filters() else k * 8
        found = self.vectors.search(vector, fetch)
        allowed = self.archive.allowed_chunk_ids([i for i, _ in found], filters)
        return [(i, s) for i, s in found if i in allowed][:k]

    def keyword(self, query: str, k: int, filters: Filters) -> list[tuple[int, float]]:
        terms = query_terms(query)
        if not terms:
            return []
        # An Arabic word may be a name the archive spells in Latin letters: جاسم → Jassim.
        names = [
            name
            for term in terms
            if arabic.has_arabic(term) and (shape := arabic.skeleton(term))
            for name in self.archive.names_like(shape)
        ]
        match = " OR ".join('"' + t.replace('"', "") + '"' for t in dict.fromkeys(terms + names))
        return self.archive.keyword_search(match, k, filters)

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        filters: Filters = Filters(),
        mode: Mode = "hybrid",
        per_story: int = 1,
    ) -> list[Hit]:
        """The k best passages; a story (an article and its copies) gets `per_story` first."""
        query = clean_query(query)
        if self.archive.is_empty():
            raise EmptyArchiveError("the archive is empty")
        vector = self.embedder.encode([query])[0] if mode != "keyword" else None
        dense = self.dense(vector, CANDIDATES, filters) if vector is not None else []
        keyword = self.keyword(query, CANDIDATES, filters) if mode != "dense" else []
        fused: dict[int, float] = {}
        for weight, ranked in ((DENSE_WEIGHT, dense), (KEYWORD_WEIGHT, keyword)):
            for rank, (chunk_id, _) in enumerate(ranked):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (RRF_K + rank + 1)
        order = sorted(fused, key=fused.__getitem__, reverse=True)
        dense_by_id, keyword_by_id = dict(dense), dict(keyword)
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
            )
            for c in (first + later)[:k]
        ]
        if vector is not None:
            # A passage only bm25 found still gets its similarity, from its stored vector:
            # answers weigh every passage by it.
            stored = self.vectors.get([h.chunk_id for h in hits if h.dense is None])
            for hit in hits:
                if hit.chunk_id in stored:
                    hit.dense = float(stored[hit.chunk_id] @ vector)
        return hits
