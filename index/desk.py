"""The archive, the embedding model and the vector index, loaded once per process."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import BinaryIO

from newsdesk.config import Settings
from newsdesk.ingest.archive import Archive, Filters, StoreResult
from newsdesk.ingest.models import RawArticle, ReadFailure
from newsdesk.ingest.pipeline import IngestReport, ingest
from newsdesk.ingest.readers import read_inputs

from .embedder import Embedder, SentenceTransformerEmbedder
from .indexer import SYNC_BATCH, CheckReport, Indexer, Progress
from .search import Hit, Mode, Searcher


class Newsdesk:
    """Everything the CLI and the bot call. The model loads on first use, then stays."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.archive = Archive(settings.db_path)
        self._embedder = embedder
        self._indexer: Indexer | None = None

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> Newsdesk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = SentenceTransformerEmbedder(
                self.settings.model,
                threads=self.settings.torch_threads,
                batch_size=self.settings.embed_batch_size,
            )
        return self._embedder

    @property
    def indexer(self) -> Indexer:
        if self._indexer is None:
            self._indexer = Indexer(self.archive, self.embedder, self.settings.index_path)
        return self._indexer

    @property
    def searcher(self) -> Searcher:
        return Searcher(self.archive, self.embedder, self.indexer.vectors)

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
        on_stored: Callable[[RawArticle, StoreResult], object] | None = None,
        on_failure: Callable[[ReadFailure], object] | None = None,
        on_embedded: Progress | None = None,
        index: bool = True,
    ) -> IngestReport:
        """Read files, directories, URLs or stdin ("-") into the archive and the index."""
        items = read_inputs(targets, self.settings, stdin)
        return self.ingest_items(
            items, on_stored=on_stored, on_failure=on_failure, on_embedded=on_embedded, index=index
        )

    def delete(self, article_id: int) -> None:
        """Remove an article from the archive and its vectors from the index."""
        indexer = self.indexer  # first: an unusable index must stop the delete, not follow it
        self.archive.delete(article_id)
        indexer.sync()

    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        filters: Filters = Filters(),
        mode: Mode = "hybrid",
        per_story: int = 1,
    ) -> list[Hit]:
        self.indexer.refresh()  # another process may have added articles since
        return self.searcher.search(
            query, k or self.settings.search_k, filters=filters, mode=mode, per_story=per_story
        )

    def check(self) -> CheckReport:
        return self.indexer.check()

    def reindex(self, progress: Progress | None = None) -> int:
        """Re-embed every chunk into a new index; works when the old one is missing or corrupt."""
        self._indexer = Indexer(self.archive, self.embedder, self.settings.index_path, fresh=True)
        return self._indexer.reindex(progress)
