"""Keeps the FAISS index in step with the archive: embed new chunks, drop removed ones."""

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
from newsdesk.index.vectors.base import StoreInfo
from newsdesk.index.vectors.embedder import Embedder
from newsdesk.index.vectors.faiss import VectorIndex
from newsdesk.index.vectors.ivf import build_ivf
from newsdesk.index.vectors.malloc import release_freed
from newsdesk.ingest.store.archive import Archive
from newsdesk.ingest.store.records import Article, ChunkHit

Progress = Callable[[int], object]
# Chunks embedded between two saves of the index: bounds the work a crash can lose.
SYNC_BATCH = 512
# Passages per model call. The call's activations grow with it: 32 passages of 256 word
# pieces peaked 310 MB over the loaded model, 16 peaked 190 MB; a dev ingest with calls of 8
# peaked 27 MB below 16, at the same speed (bench/README.md, memory).
ENCODE_SLICE = 8
# An IVF trained on fewer than this share of the vectors it holds is retrained at the next
# sync: its lists were drawn for an archive half today's, and a search probes ever longer
# lists. Retraining at each doubling keeps about √n lists for a total cost linear in n.
RETRAIN_BELOW = 0.5
TRAINED_ON = "vector_index_trained_on"  # archive meta: how many vectors the IVF was trained on
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


def multi_path(path: Path) -> Path:
    """The multilingual vector set's file, beside the main index's."""
    return path.with_name(f"{path.stem}-multilingual{path.suffix}")


class Indexer:
    """The archive's vector index, loaded once; `sync` after every change to the archive.

    With a `multi` embedder, a second vector set (index/vectors/multilingual.py) is kept beside the
    first, in its own file under the same lock. It holds no state of its own in the archive:
    which chunks it should hold is a query, so a sync adds what is missing and drops what is
    stale, whatever happened in between (a crash, a run with the setting off).

    Several threads (the bot) and processes (the bot and a `newsdesk ingest`) may share one
    archive: changes to the index file take an exclusive lock, and whoever finds the file
    rewritten by someone else reloads it before using or changing it. With
    `Settings.map_index`, searches use the file memory-mapped (one copy in the page cache for
    every process); a write reads a private copy, saves it, then maps the new file.
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
        """Load the index; `fresh` starts an empty one instead, for `reindex` to fill."""
        self.archive, self.embedder, self.path = archive, embedder, path
        self.settings = settings or Settings()
        self.vectors = VectorIndex(embedder.dim)
        self.multi_embedder = multi
        self.multi = VectorIndex(multi.dim) if multi else None
        self.multi_path = multi_path(path)
        self._thread_lock = threading.RLock()
        self._loaded: dict[Path, tuple[int, int, int] | None] = {}
        self._writing = 0  # nested `writing()` blocks: keep the private copy until the last ends
        if fresh:
            return
        recorded = archive.get_meta("embedding_model")
        if recorded is not None and recorded != embedder.name:
            raise ModelMismatchError(
                f"the archive was indexed with the model {recorded!r}, but newsdesk is set to use "
                f"{embedder.name!r}"
            )
        recorded = archive.get_meta(MULTI_MODEL)
        if multi is not None and recorded not in (None, multi.name):
            raise ModelMismatchError(
                f"the archive's multilingual vectors were made with the model {recorded!r}, "
                f"but newsdesk is set to use {multi.name!r}"
            )
        if path.exists():
            self._take_file(mapped=self.settings.map_index)
        elif archive.embedded_chunk_ids():
            raise SearchIndexError(f"the vector index {path} is missing")

    def _stores(self) -> list[tuple[VectorIndex, Path]]:
        """Each vector set with its file."""
        stores = [(self.vectors, self.path)]
        if self.multi is not None:
            stores.append((self.multi, self.multi_path))
        return stores

    def _take_file(self, *, mapped: bool) -> None:
        """Hold the files' current contents, mapped or as a private copy, unless we do."""
        for vectors, path in self._stores():
            stamp = _stamp(path)
            if stamp is None or (stamp == self._loaded.get(path) and vectors.mapped == mapped):
                continue
            vectors.reload(path, mapped=mapped, probes=self.settings.ivf_probes)
            self._loaded[path] = stamp

    def refresh(self) -> None:
        """Reload the index files if another process has rewritten one since we read it."""
        if all(_stamp(path) in (None, self._loaded.get(path)) for _, path in self._stores()):
            return
        # A writer in this process holds the lock, maybe for minutes while it waits for
        # another process: searches go on with the vectors in memory rather than queue.
        if not self._thread_lock.acquire(blocking=False):
            return
        try:
            self._take_file(mapped=self.settings.map_index)
        finally:
            self._thread_lock.release()

    @contextmanager
    def _exclusive(self, *, reload: bool = True, write: bool = True) -> Iterator[None]:
        """One writer of the index file at a time, across threads and processes."""
        with self._thread_lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.with_suffix(".lock").open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    if reload:
                        # A mapped index is read-only: a writer works on a private copy.
                        self._take_file(mapped=self.settings.map_index and not write)
                    yield
                finally:
                    try:
                        if write and self.settings.map_index and not self._writing:
                            # Back to the shared mapping; anything unsaved was not meant to stay.
                            self._take_file(mapped=True)
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
                    self._take_file(mapped=True)

    def _save(self, multi: bool = False) -> None:
        vectors, path = (self.multi, self.multi_path) if multi else (self.vectors, self.path)
        assert vectors is not None  # only a desk with the multilingual set saves it
        vectors.save(path)
        self._loaded[path] = _stamp(path)

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
            self._save()
            self.archive.forget_removed(removed)
        if self.archive.get_meta("embedding_model") is None:
            self.archive.set_meta("embedding_model", self.embedder.name)
            self.archive.set_meta("embedding_dim", str(self.embedder.dim))
        done = 0
        while batch := self.archive.pending_chunks(SYNC_BATCH):
            self._embed(self.vectors, self.embedder, batch, progress)
            if self._over_threshold() or self._retrain_advised():
                # Past the threshold the flat index becomes an IVF trained on what is there.
                self._train()
            # Save before marking: a crash in between only means re-embedding these chunks.
            self._save()
            self.archive.mark_embedded([hit.chunk_id for hit in batch])
            done += len(batch)
        if multi:
            self._sync_multi()
        return done

    def _sync_multi(self) -> int:
        """Bring the multilingual set in line with the archive; returns how many it embedded."""
        if self.multi is None or self.multi_embedder is None:
            return 0
        wanted = self.archive.multilingual_chunk_ids(embedded_only=True)
        present = {int(i) for i in self.multi.ids()}
        stale = present - set(wanted)
        todo = [i for i in wanted if i not in present]
        if stale:
            self.multi.remove(sorted(stale))
            self._save(multi=True)
        self.archive.set_meta(MULTI_MODEL, self.multi_embedder.name)
        for i in range(0, len(todo), SYNC_BATCH):
            self._embed(
                self.multi, self.multi_embedder, self.archive.chunks(todo[i : i + SYNC_BATCH])
            )
            self._save(multi=True)
        return len(todo)

    def _embed(
        self,
        vectors: VectorIndex,
        embedder: Embedder,
        batch: list[ChunkHit],
        progress: Progress | None = None,
    ) -> None:
        """Embed chunks into a vector set, in small calls of texts of like length."""
        # Texts of like length share a call, so little of each call is padding.
        texts = sorted(((passage_text(h), h.chunk_id) for h in batch), key=lambda p: len(p[0]))
        for i in range(0, len(texts), ENCODE_SLICE):
            # Small calls: between them, questions on other threads get the model.
            part = texts[i : i + ENCODE_SLICE]
            encoded = embedder.encode([text for text, _ in part])
            release_freed()  # the call's activations, before the heap fragments further
            vectors.add([chunk_id for _, chunk_id in part], encoded)
            if progress:
                progress(len(part))

    def _over_threshold(self) -> bool:
        return (
            self.vectors.info().kind == "flat"
            and len(self.vectors) > self.settings.vector_threshold
        )

    def _train(self) -> None:
        """Replace the index by an IVF trained on its own vectors (the caller saves)."""
        built = build_ivf(
            self.vectors,
            lists=self.settings.ivf_lists,
            probes=self.settings.ivf_probes,
            codes=self.settings.ivf_codes,
        )
        self.vectors.replace(built)
        self.archive.set_meta(TRAINED_ON, str(len(built)))

    def _retrain_advised(self) -> bool:
        if self.vectors.info().kind == "flat":
            return False
        trained_on = int(self.archive.get_meta(TRAINED_ON) or 0)
        return trained_on < RETRAIN_BELOW * len(self.vectors)

    def check(self) -> CheckReport:
        with self._exclusive(write=False):
            in_faiss = {int(i) for i in self.vectors.ids()}
            all_ids = set(self.archive.all_chunk_ids())
            embedded = set(self.archive.embedded_chunk_ids())
            index, retrain = str(self.vectors.info()), self._retrain_advised()
            multi = self._check_multi()
        return CheckReport(
            chunks=len(all_ids),
            vectors=len(in_faiss),
            pending=sorted(all_ids - embedded),
            missing=sorted(embedded - in_faiss),
            stale=sorted(in_faiss - all_ids),
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
        """Rebuild the index from every chunk in the archive, with the current model: flat,
        or past the threshold an IVF (trained at the threshold, retrained as it doubles)."""
        with self._exclusive(reload=False):  # the old file may be the broken thing
            self.vectors = VectorIndex(self.embedder.dim)
            self.archive.mark_all_unembedded()
            self.archive.forget_removed(self.archive.removed_chunk_ids())
            self.archive.set_meta("embedding_model", self.embedder.name)
            self.archive.set_meta("embedding_dim", str(self.embedder.dim))
            self._save()
            if self.multi_embedder is not None:
                self.multi = VectorIndex(self.multi_embedder.dim)
                self._save(multi=True)
            return self._sync(progress)

    def retrain(self) -> StoreInfo:
        """Rebuild the IVF (or build one, past the threshold) from the stored vectors, without
        embedding anything again: minutes where `reindex` of a large archive takes hours."""
        with self._exclusive():
            if self._over_threshold() or self.vectors.info().kind != "flat":
                self._train()
                self._save()
            return self.vectors.info()


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when the file is replaced: inode, modification time, size."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size
