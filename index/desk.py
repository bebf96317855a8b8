"""The facade: everything the CLI and the bot call, over one archive and its vector index."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import BinaryIO

from newsdesk.config import Settings
from newsdesk.errors import SearchIndexError
from newsdesk.ingest.archive import Archive, ArchiveStats, Article, Filters, StoreResult
from newsdesk.ingest.memory import ChatMemory
from newsdesk.ingest.models import RawArticle, ReadFailure
from newsdesk.ingest.pipeline import IngestReport, ingest
from newsdesk.ingest.readers import read_inputs

from .answer import Answer, Answerer, FollowUp
from .embedder import Embedder, load_embedder
from .indexer import SYNC_BATCH, CheckReport, Indexer, Progress
from .search import Hit, Mode, Searcher
from .vectors import StoreInfo, VectorIndex


@dataclass
class DeskStats(ArchiveStats):
    """What the archive holds, and what kind of vector index holds its vectors."""

    vector_index: str = "none yet"


class Newsdesk:
    """One archive, its model and its vector index. The model and the index load on first
    use (once, whichever thread gets there first), then stay; threads may share a desk."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.archive = Archive(settings.db_path)
        self.memory = ChatMemory(
            self.archive, keep_days=settings.memory_days, per_chat=settings.memory_per_chat
        )
        self._embedder = embedder
        self._indexer: Indexer | None = None
        self._answerer: Answerer | None = None
        self._loading = threading.RLock()

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> Newsdesk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what loads on first use -----------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._loading:
                if self._embedder is None:
                    self._embedder = load_embedder(
                        self.settings.model,
                        threads=self.settings.torch_threads,
                        batch_size=self.settings.embed_batch_size,
                    )
        return self._embedder

    @property
    def indexer(self) -> Indexer:
        if self._indexer is None:
            with self._loading:
                if self._indexer is None:
                    self._indexer = Indexer(
                        self.archive,
                        self.embedder,
                        self.settings.index_path,
                        settings=self.settings,
                    )
        return self._indexer

    @property
    def answerer(self) -> Answerer:
        """What turns questions into answers; assign another to change how answers are made."""
        if self._answerer is None:
            with self._loading:
                if self._answerer is None:
                    self._answerer = Answerer(self, k=self.settings.answer_k)
        return self._answerer

    @answerer.setter
    def answerer(self, answerer: Answerer) -> None:
        self._answerer = answerer

    def warm_up(self) -> None:
        """Load the model and the index now and run the model once, so that the first
        question is as quick as the rest (a bot at start-up, a benchmark)."""
        self.embedder.encode(["warm-up"])
        _ = self.indexer

    # -- questions -----------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        filters: Filters = Filters(),
        as_of: date | None = None,
        context: FollowUp | None = None,
    ) -> Answer:
        """A cited answer, or "found nothing" with the closest articles."""
        return self.answerer.ask(question, filters=filters, as_of=as_of, context=context)

    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        filters: Filters = Filters(),
        mode: Mode = "hybrid",
        per_story: int = 1,
    ) -> list[Hit]:
        """The k best passages (default `Settings.search_k`)."""
        self.indexer.refresh()  # another process may have added articles since
        searcher = Searcher(self.archive, self.embedder, self.indexer.vectors)
        return searcher.search(
            query, k or self.settings.search_k, filters=filters, mode=mode, per_story=per_story
        )

    # -- the archive ---------------------------------------------------------------------

    def ingest_items(
        self,
        items: Iterable[RawArticle | ReadFailure],
        *,
        on_stored: Callable[[RawArticle, StoreResult], object] | None = None,
        on_failure: Callable[[ReadFailure], object] | None = None,
        on_embedded: Progress | None = None,
        index: bool = True,
    ) -> IngestReport:
        """Store and index articles, embedding in batches as they arrive (unless not `index`)."""
        indexer = self.indexer if index else None

        def stored(article: RawArticle, result: StoreResult) -> None:
            if on_stored:
                on_stored(article, result)
            if indexer and self.archive.count_pending() >= SYNC_BATCH:
                indexer.sync(on_embedded)

        with indexer.writing() if indexer else nullcontext():
            report = ingest(
                items,
                self.archive,
                self.settings,
                count_tokens=self.embedder.count_tokens,
                on_stored=stored,
                on_failure=on_failure,
            )
            if indexer:
                indexer.sync(on_embedded)
        return report

    def ingest(
        self,
        targets: Iterable[str],
        *,
        stdin: BinaryIO | None = None,
        labels: dict[str, str] | None = None,
        on_stored: Callable[[RawArticle, StoreResult], object] | None = None,
        on_failure: Callable[[ReadFailure], object] | None = None,
        on_embedded: Progress | None = None,
        index: bool = True,
    ) -> IngestReport:
        """Read files, directories, URLs or stdin ("-") into the archive and the index.

        `labels` renames targets in the report (an uploaded file's temporary path → its name).
        """
        items: Iterable[RawArticle | ReadFailure] = read_inputs(targets, self.settings, stdin)
        if labels:
            items = (_relabel(item, labels) for item in items)
        return self.ingest_items(
            items,
            on_stored=on_stored,
            on_failure=on_failure,
            on_embedded=on_embedded,
            index=index,
        )

    def get(self, ref: int | str) -> Article:
        """An article by its id or its external id (ArticleNotFound when there is none)."""
        return self.archive.get(ref)

    def articles(self, filters: Filters = Filters(), limit: int | None = 20) -> list[Article]:
        """Articles, newest first."""
        return self.archive.articles(filters, limit=limit)

    def delete(self, article_id: int) -> Article:
        """Remove an article from the archive and its vectors from the index; returns it."""
        indexer = self.indexer  # first: an unusable index must stop the delete, not follow it
        article = self.archive.get(article_id)
        self.archive.delete(article_id)
        indexer.sync()
        return article

    def stats(self) -> DeskStats:
        return DeskStats(**asdict(self.archive.stats()), vector_index=str(self.vector_info()))

    def vector_info(self) -> StoreInfo | str:
        """The index in use, or else the file's, mapped: `stats` need not load the model."""
        if self._indexer is not None:
            return self._indexer.info()
        path = self.settings.index_path
        if not path.exists():
            return "none yet"
        dim = int(self.archive.get_meta("embedding_dim") or 0)
        try:
            return VectorIndex.load(path, dim, mapped=True, probes=self.settings.ivf_probes).info()
        except SearchIndexError as e:
            return str(e)

    def feedback(
        self, *, chat_id: int | None, user_id: int | None, question: str, answer: str, rating: int
    ) -> None:
        """Record a 👍 (1) or 👎 (-1) on an answer."""
        self.archive.add_feedback(
            chat_id=chat_id, user_id=user_id, question=question, answer=answer, rating=rating
        )

    # -- the vector index ----------------------------------------------------------------

    def check(self) -> CheckReport:
        return self.indexer.check()

    def reindex(self, progress: Progress | None = None) -> int:
        """Re-embed every chunk into a new index; works when the old one is missing or corrupt."""
        with self._loading:
            self._indexer = Indexer(
                self.archive,
                self.embedder,
                self.settings.index_path,
                fresh=True,
                settings=self.settings,
            )
        return self._indexer.reindex(progress)

    def retrain(self) -> StoreInfo:
        """Retrain the approximate index on the vectors it holds, re-embedding nothing."""
        return self.indexer.retrain()


def _relabel(item: RawArticle | ReadFailure, labels: dict[str, str]) -> RawArticle | ReadFailure:
    origin = item.origin
    for target, label in labels.items():
        origin = origin.replace(target, label)
    return replace(item, origin=origin)
