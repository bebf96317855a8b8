"""How well an article matches a followed topic: one absolute score, so that a threshold can
say "this is about it" (alerts) and "this is not" (timelines).

Hybrid search ranks passages by reciprocal rank, which says which passage is best but not
whether any is good: the best of a thousand unrelated articles still ranks first. The score
here uses the same two signals on an absolute scale: the cosine between the topic and the
article's best passage vector (the ones FAISS holds), plus a bonus for the share of the
topic's content words the article contains. bench/README.md calibrates both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from newsdesk.errors import QueryError
from newsdesk.index.vectors.base import VectorStore
from newsdesk.index.vectors.embedder import Embedder
from newsdesk.ingest.store.archive import Archive
from newsdesk.ingest.store.follows import Follow, FollowStore, QueuedAlert
from newsdesk.ingest.store.records import Article
from newsdesk.text.terms import STOPWORDS, clean_query

KEYWORD_BONUS = 0.3  # per share of topic words found; calibrated by bench/follow_threshold.py
_WORD = re.compile(r"\w+", re.UNICODE)


def topic_terms(topic: str) -> list[str]:
    """The content words of a follow topic; QueryError when it has none to match on."""
    words = [w for w in _WORD.findall(clean_query(topic).lower()) if len(w) > 1 or w.isdigit()]
    content = list(dict.fromkeys(w for w in words if w not in STOPWORDS))
    if not content:
        raise QueryError(
            "that topic has only common words; name what to follow, e.g. “Jassim clashes”"
        )
    return content


class Matcher:
    """Scores articles against topics with the archive's stored passage vectors; what it
    reads of each article is kept for the matcher's life (one round of matching)."""

    def __init__(self, archive: Archive, embedder: Embedder, vectors: VectorStore) -> None:
        self.archive, self.embedder, self.vectors = archive, embedder, vectors
        self._profiles: dict[int, tuple[np.ndarray | None, set[str]]] = {}

    def features(self, topic: str, articles: Sequence[Article]) -> dict[int, tuple[float, float]]:
        """(best passage cosine, share of topic words in the article) for each article."""
        terms = topic_terms(topic)
        query = self.embedder.encode([clean_query(topic)])[0]
        out = {}
        for article in articles:
            vectors, words = self._profile(article)
            dense = float(np.max(vectors @ query)) if vectors is not None else 0.0
            out[article.id] = (dense, sum(t in words for t in terms) / len(terms))
        return out

    def scores(self, topic: str, articles: Sequence[Article]) -> dict[int, float]:
        """Each article's match score for the topic (articles without vectors: words only)."""
        return {
            article_id: dense + KEYWORD_BONUS * coverage
            for article_id, (dense, coverage) in self.features(topic, articles).items()
        }

    def _profile(self, article: Article) -> tuple[np.ndarray | None, set[str]]:
        if article.id not in self._profiles:
            chunk_ids = [c.chunk_id for c in self.archive.article_chunks(article.id)]
            found = list(self.vectors.get(chunk_ids).values())
            words = set(_WORD.findall(f"{article.title}\n{article.text}".lower()))
            self._profiles[article.id] = (np.stack(found) if found else None, words)
        return self._profiles[article.id]


def match_follows(store: FollowStore, matcher: Callable[[], Matcher], threshold: float) -> int:
    """Judge every article not yet matched against every follow, queue an alert per chat and
    story for those that reach the threshold; returns how many were queued. `matcher` is
    called only when there is something to match."""
    queued = 0
    while articles := store.unchecked():
        follows = store.all()
        alerts = _judge(matcher(), follows, articles, threshold) if follows else []
        queued += store.queue(alerts, checked_up_to=articles[-1].id)
    return queued


def _judge(
    scorer: Matcher, follows: Sequence[Follow], articles: Sequence[Article], threshold: float
) -> list[QueuedAlert]:
    by_id = {a.id: a for a in articles}
    alerts = []
    for f in follows:
        newer = [a for a in articles if a.id > f.after_article]
        for article_id, score in scorer.scores(f.topic, newer).items():
            if score >= threshold:
                story = by_id[article_id].cluster_id or article_id
                alerts.append(QueuedAlert(f.chat_id, story, article_id, f.id, score))
    return alerts
