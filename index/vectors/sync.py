"""Keeps the vector sets in step with the archive: embed new chunks, drop removed ones.

The sets live where `Settings.vectors` says (FAISS files or Milvus: factory.py); this module
holds what does not depend on it: which chunks to embed or drop, in what order, the lock that
makes one writer at a time, and `check`."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from newsdesk.config import Settings
from newsdesk.errors import ModelMismatchError, SearchIndexError
from newsdesk.index.vectors.base import StoreInfo, VectorSet, VectorStore
from newsdesk.index.vectors.embedder import Embedder
from newsdesk.index.vectors.factory import open_set
from newsdesk.index.vectors.faiss_set import TRAINED_ON as TRAINED_ON
from newsdesk.index.vectors.faiss_set import multi_path
from newsdesk.index.vectors.malloc import release_freed
from newsdesk.index.vectors.onnx import INT8
from newsdesk.ingest.store.archive import Archive
from newsdesk.ingest.store.records import Article, ChunkHit

Progress = Callable[[int], object]
# Chunks embedded between two saves of the index: bounds the work a crash can lose.
SYNC_BATCH = 512
# Passages per model call. The call's activations grow with it: 32 passages of 256 word
# pieces peaked 310 MB over the loaded model, 16 peaked 190 MB; a dev ingest with calls of 8
# peaked 27 MB below 16, at the same speed (bench/README.md, memory). An embedder may ask for
# more (`encode_slice`: a server, to keep several requests in flight).
ENCODE_SLICE = 8
MULTI_MODEL = "multilingual_model"  # archive meta: the model of the multilingual vector set


class Passage(Protocol):
    """A chunk's text and its article (a stored chunk, or a search hit)."""

    @property
    def text(self) -> str: ...

    @property
    def article(self) -> Article: ...


def passage_text(hit: Passage) -> str:
    """What gets embedded: a header (title, outlet, date) above the chunk's own text."""
    a = hit.article
    about = ", ".join(x for x in (a.source, (a.date or "")[:10]) if x)
    header = f"{a.title} ({about})" if about else a.title
    return f"{header}\n{hit.text}"


@dataclass
class CheckReport:
    """Drift between the archive and the vector index."""

    chunks: int
    vectors: int
    pending: list[int] = field(default_factory=list)  # stored, not embedded yet
    missing: list[int] = field(default_factory=list)  # marked embedded, no vector
    stale: list[int] = field(default_factory=list)  # a vector whose chunk is gone
    index: str = ""  # what kind of index holds the vectors (StoreInfo)
    retrain_advised: bool = False  # an IVF trained on too small a share of its vectors
    # The multilingual set (index/vectors/multilingual.py); "off" when Settings.multilingual is.
    multi_index: str = "off"
    multi_missing: list[int] = field(default_factory=list)  # should have a vector, has none
    multi_stale: list[int] = field(default_factory=list)  # a vector that should not be there
    # Articles whose named entities are not found yet (ingest/entities.py): the next ingest
    # or reindex finds them; answers do without them meanwhile.
    entities_pending: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.multi_missing or self.multi_stale)


class Indexer:
    """The archive's vector sets, loaded once; `sync` after every change to the archive.

    With a `multi` embedder, a second vector set (index/vectors/multilingual.py) is kept beside
    the first, under the same lock. It holds no state of its own in the archive: which chunks
    it should hold is a query, so a sync adds what is missing and drops what is stale, whatever
    happened in between (a crash, a run with the setting off).

    Where the sets live is the backend's business (`VectorSet`: FAISS files or Milvus,
    factory.py). Several threads (the bot) and processes (the bot and a `newsdesk ingest`) may
    share one archive, which is on one machine: writers take an exclusive lock beside it, and
    whoever finds a set rewritten by someone else takes it again before using or changing it.
    With `Settings.map_index`, FAISS searches use the file memory-mapped (one copy in the page
    cache for every process); a write reads a private copy, saves it, then maps the new file.
    """

    def __init__(
        self,
        archive: Archive,
        embedder: Embedder,
        path: Path,
        *,
        fresh: bool = False,
        settings: Settings | None = None,
        multi: Embedder | None = None,
    ) -> None:
        """Load the sets; `fresh` starts empty ones instead, for `reindex` to fill. `path` is
        the FAISS index file (beside it: the lock, and the multilingual file)."""
        self.archive, self.embedder, self.path = archive, embedder, path
        self.settings = settings or Settings()
        self.multi_embedder = multi
        self.multi_path = multi_path(path)
        self._thread_lock = threading.RLock()
        self._writing = 0  # nested `writing()` blocks: keep the private copy until the last ends
        if not fresh:
            _check_models(archive, embedder, multi)
        self._main = open_set(self.settings, archive, embedder.dim)
        self._multi = open_set(self.settings, archive, multi.dim, multi=True) if multi else None
        if fresh:
            return
        if self._main.exists():
            self._take(mapped=self.settings.map_index)
        elif archive.embedded_chunk_ids():
            raise SearchIndexError(f"{self._main.where} is missing")

    @property
    def vectors(self) -> VectorStore:
        """MiniLM's vector set (or the configured model's)."""
        return self._main.store

    @property
    def multi(self) -> VectorStore | None:
        """The multilingual vector set, when there is a model for it."""
        return self._multi.store if self._multi is not None else None

    def close(self) -> None:
        """Let go of the sets (a Milvus connection; Milvus Lite's folder for other processes)."""
        for found in self._sets():
            found.close()

    def _sets(self) -> list[VectorSet]:
        return [self._main] if self._multi is None else [self._main, self._multi]

    def _take(self, *, mapped: bool) -> None:
        """Hold each set's kept contents, mapped or as a private copy, unless we do."""
        for found in self._sets():
            found.take(mapped=mapped)

    def refresh(self) -> None:
        """Take the sets again if another process has rewritten one since we took it."""
        if not any(found.changed() for found in self._sets()):
            return
        # A writer in this process holds the lock, maybe for minutes while it waits for
        # another process: searches go on with the vectors in memory rather than queue.
        if not self._thread_lock.acquire(blocking=False):
            return
        try:
            self._take(mapped=self.settings.map_index)
        finally:
            self._thread_lock.release()

    @contextmanager
    def _exclusive(self, *, reload: bool = True, write: bool = True) -> Iterator[None]:
        """One writer of the vector sets at a time, across threads and processes."""
        with self._thread_lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.with_suffix(".lock").open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    if reload:
                        # A mapped index is read-only: a writer works on a private copy.
                        self._take(mapped=self.settings.map_index and not write)
                    yield
                finally:
                    try:
                        if write and self.settings.map_index and not self._writing:
                            # Back to the shared mapping; anything unsaved was not meant to stay.
                            self._take(mapped=True)
                    finally:
                        fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Keep the private copy between the syncs of one long write (an ingest), rather
        than read the whole file again for each batch; the shared mapping comes back after."""
        with self._thread_lock:
            self._writing += 1
        try:
            yield
        finally:
            with self._thread_lock:
                self._writing -= 1
                if not self._writing and self.settings.map_index:
                    self._take(mapped=True)

    def sync(self, progress: Progress | None = None, *, multi: bool = True) -> int:
        """Drop vectors of removed chunks and embed pending ones; returns how many were embedded.

        `multi=False` leaves the multilingual set for a later sync: a long ingest embeds it once
        at the end, so its model is not held in memory beside MiniLM's while MiniLM works.
        """
        with self._exclusive():
            return self._sync(progress, multi=multi)

    def _sync(self, progress: Progress | None, *, multi: bool = True) -> int:
        removed = self.archive.removed_chunk_ids()
        if removed:
            self.vectors.remove(removed)
            self._main.save()
            self.archive.forget_removed(removed)
        if self.archive.get_meta("embedding_model") is None:
            self.archive.set_meta("embedding_model", self.embedder.name)
            self.archive.set_meta("embedding_dim", str(self.embedder.dim))
        done = 0
        while batch := self.archive.pending_chunks(SYNC_BATCH):
            self._embed(self.vectors, self.embedder, batch, progress)
            # Past the threshold a flat FAISS index becomes an IVF trained on what is there.
            self._main.maintain(self.archive)
            # Save before marking: a crash in between only means re-embedding these chunks.
            self._main.save()
            self.archive.mark_embedded([hit.chunk_id for hit in batch])
            done += len(batch)
        if multi:
            self._sync_multi()
        return done

    def _sync_multi(self) -> int:
        """Bring the multilingual set in line with the archive; returns how many it embedded."""
        if self._multi is None or self.multi_embedder is None:
            return 0
        store = self._multi.store
        wanted = self.archive.multilingual_chunk_ids(embedded_only=True)
        present = {int(i) for i in store.ids()}
        stale = present - set(wanted)
        todo = [i for i in wanted if i not in present]
        if stale:
            store.remove(sorted(stale))
            self._multi.save()
        self.archive.set_meta(MULTI_MODEL, self.multi_embedder.name)
        for i in range(0, len(todo), SYNC_BATCH):
            self._embed(store, self.multi_embedder, self.archive.chunks(todo[i : i + SYNC_BATCH]))
            self._multi.save()
        return len(todo)

    def _embed(
        self,
        vectors: VectorStore,
        embedder: Embedder,
        batch: list[ChunkHit],
        progress: Progress | None = None,
    ) -> None:
        """Embed chunks into a vector set, in small calls of texts of like length."""
        # Texts of like length share a call, so little of each call is padding.
        texts = sorted(((passage_text(h), h.chunk_id) for h in batch), key=lambda p: len(p[0]))
        size = max(ENCODE_SLICE, int(getattr(embedder, "encode_slice", ENCODE_SLICE)))
        for i in range(0, len(texts), size):
            # Small calls: between them, questions on other threads get the model.
            part = texts[i : i + size]
            encoded = embedder.encode([text for text, _ in part])
            release_freed()  # the call's activations, before the heap fragments further
            vectors.add([chunk_id for _, chunk_id in part], encoded)
            if progress:
                progress(len(part))

    def check(self) -> CheckReport:
        with self._exclusive(write=False):
            in_store = {int(i) for i in self.vectors.ids()}
            all_ids = set(self.archive.all_chunk_ids())
            embedded = set(self.archive.embedded_chunk_ids())
            index = str(self.vectors.info())
            retrain = self._main.retrain_advised(self.archive)
            multi = self._check_multi()
        return CheckReport(
            chunks=len(all_ids),
            vectors=len(in_store),
            pending=sorted(all_ids - embedded),
            missing=sorted(embedded - in_store),
            stale=sorted(in_store - all_ids),
            index=index,
            retrain_advised=retrain,
            **multi,
        )

    def _check_multi(self) -> dict[str, Any]:
        """The multilingual set's part of the check report."""
        if self.multi is None:
            return {}
        present = {int(i) for i in self.multi.ids()}
        wanted = set(self.archive.multilingual_chunk_ids(embedded_only=True))
        return {
            "multi_index": str(self.multi.info()),
            "multi_missing": sorted(wanted - present),
            "multi_stale": sorted(present - wanted),
        }

    def reindex(self, progress: Progress | None = None) -> int:
        """Rebuild the sets from every chunk in the archive, with the current model: flat,
        or past the threshold an IVF (trained at the threshold, retrained as it doubles)."""
        with self._exclusive(reload=False):  # what is kept may be the broken thing
            self.archive.mark_all_unembedded()
            self.archive.forget_removed(self.archive.removed_chunk_ids())
            self.archive.set_meta("embedding_model", self.embedder.name)
            self.archive.set_meta("embedding_dim", str(self.embedder.dim))
            for found in self._sets():
                found.reset()
                found.save()
            return self._sync(progress)

    def retrain(self) -> StoreInfo:
        """Rebuild the IVF (or build one, past the threshold) from the stored vectors, without
        embedding anything again: minutes where `reindex` of a large archive takes hours."""
        with self._exclusive():
            return self._main.retrain(self.archive)


def _check_models(archive: Archive, embedder: Embedder, multi: Embedder | None) -> None:
    """Refuse an archive whose vectors another model made: its vectors mean nothing to ours."""
    recorded = archive.get_meta("embedding_model")
    if recorded is not None and recorded != embedder.name:
        # The same model run another way (index/vectors/encoders.py): the archive's own way
        # is one setting away, no re-embedding needed.
        same = recorded.removesuffix(INT8) == embedder.name.removesuffix(INT8)
        hint = " (NEWSDESK_ENCODER=auto uses the archive's)" if same else ""
        raise ModelMismatchError(
            f"the archive was indexed with the model {recorded!r}, but newsdesk is set to use "
            f"{embedder.name!r}{hint}"
        )
    recorded = archive.get_meta(MULTI_MODEL)
    if multi is not None and recorded not in (None, multi.name):
        raise ModelMismatchError(
            f"the archive's multilingual vectors were made with the model {recorded!r}, "
            f"but newsdesk is set to use {multi.name!r}"
        )
