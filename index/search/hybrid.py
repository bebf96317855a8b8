"""Hybrid retrieval: FAISS dense top-k and FTS5 bm25 top-k fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from newsdesk.errors import EmptyArchiveError
from newsdesk.index.search.names import latin_spellings
from newsdesk.index.vectors.base import VectorStore
from newsdesk.index.vectors.embedder import Embedder
from newsdesk.index.vectors.multilingual import on_minilm_scale
from newsdesk.index.vectors.sync import Indexer, passage_text
from newsdesk.ingest.store.archive import Archive
from newsdesk.ingest.store.records import Article, ChunkHit, Filters
from newsdesk.text import arabic
from newsdesk.text.terms import query_terms

Mode = Literal["hybrid", "dense", "keyword"]
RRF_K = 60  # the usual constant of reciprocal rank fusion
# Dense ranks count less than keyword ranks: on the dev set (bench/README.md) weights of
# 1.0 / 1.0 gave MRR 0.937, 0.4 / 1.0 gave 0.948, BM25 alone 0.942, dense alone 0.891.
DENSE_WEIGHT, KEYWORD_WEIGHT = 0.4, 1.0
# The multilingual set's ranks (index/vectors/multilingual.py) for a question not in English, where
# they stand in for MiniLM's: 1.0 put the gold article in the top 5 for 14 of 20 Arabic dev
# questions, 0.4 for 11 (bench/README.md, "Arabic and cross-lingual retrieval"). For an
# English question, a passage in another language has only this ranking (MiniLM and the
# keyword index cannot read it): it weighs as much as the two together.
MULTI_WEIGHT = 1.0
# English articles the multilingual set found by their lead passage for a question in
# another language: their passages are embedded on the fly, so the right one can be read.
EXPAND = 2
CANDIDATES = 50  # taken from each retriever before fusing


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


class Searcher:
    """Hybrid search over one archive and the vector sets its indexer keeps: MiniLM's, and
    the multilingual one when there is a `multi` model for it."""

    def __init__(
        self,
        archive: Archive,
        embedder: Embedder,
        indexer: Indexer,
        *,
        multi: Embedder | None = None,
    ) -> None:
        self.archive, self.embedder, self.indexer = archive, embedder, indexer
        self.multi_embedder = multi

    @property
    def vectors(self) -> VectorStore:
        return self.indexer.vectors

    @property
    def multi(self) -> tuple[Embedder, VectorStore] | None:
        """The multilingual model and its vector set, when both are there."""
        store = self.indexer.multi
        if self.multi_embedder is None or store is None:
            return None
        return self.multi_embedder, store

    def names(self, query: str) -> list[str]:
        """The archive's spellings of the query's names: Latin ones of its Arabic names, and
        those of names it spells otherwise (`latin_spellings`)."""
        return latin_spellings(self.archive, query)

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
        """The k best passages of a clean query (`clean_query`); a story (an article and its
        copies) gets `per_story` first. `names` are the query's `names()` where the caller has
        them already."""
        if self.archive.is_empty():
            raise EmptyArchiveError("the archive is empty")
        self.indexer.refresh()  # another process may have added articles since
        second = self.multi
        english = not arabic.has_arabic(query)
        # A name may be spelled otherwise in the archive: جاسم or Jasim → Jassim.
        if names is None:
            names = self.names(query)
        # MiniLM reads the archive's spelling beside the asker's ("Isrel" finds nothing);
        # the multilingual model reads an Arabic question better without Latin names.
        seen_as = " ".join([query, *names]) if english else query
        # MiniLM's similarity is read only where question and passage are English, so an
        # Arabic question skips it when the multilingual set can stand in.
        use_minilm = mode != "keyword" and (english or second is None)
        vector = self.embedder.encode([seen_as])[0] if use_minilm else None
        # MiniLM reads English only: its ranking of an Arabic question is noise (it found 0
        # of 5 seed passages, ../shared/MODELS.md).
        dense = self.dense(vector, CANDIDATES, filters) if vector is not None and english else []
        multi_vector = None
        # An English question takes from the multilingual set only what MiniLM cannot read:
        # in an archive all in English, that second embedding (~35 ms) finds nothing.
        if second and mode != "keyword" and (not english or self.archive.has_other_languages()):
            multi_vector = second[0].encode([query])[0]
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
