"""Keeps the FAISS index in step with the archive: embed new chunks, drop removed ones."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from newsdesk.config import Settings
from newsdesk.errors import ModelMismatchError, SearchIndexError
from newsdesk.ingest.archive import Archive, ChunkHit

from .embedder import Embedder
from .heap import release_freed
from .ivf import build_ivf
from .vectors import StoreInfo, VectorIndex

Progress = Callable[[int], object]
# Chunks embedded between two saves of the index: bounds the work a crash can lose.
SYNC_BATCH = 512
# Passages per model call. The call's activations grow with it: 32 passages of 256 word
# pieces peaked 310 MB over the loaded model, 16 peaked 190 MB (bench/README.md, memory).
ENCODE_SLICE = 16
# An IVF trained on fewer than this share of the vectors it holds is retrained at the next
# sync: its lists were drawn for an archive half today's, and a search probes ever longer
# lists. Retraining at each doubling keeps about √n lists for a total cost linear in n.
RETRAIN_BELOW = 0.5
TRAINED_ON = "vector_index_trained_on"  # archive meta: how many vectors the IVF was trained on


def passage_text(hit: ChunkHit) -> str:
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

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale)


class Indexer:
    """The archive's vector index, loaded once; `sync` after every change to the archive.

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
    ) -> None:
        """Load the index; `fresh` starts an empty one instead, for `reindex` to fill."""
        self.archive, self.embedder, self.path = archive, embedder, path
        self.settings = settings or Settings()
        self.vectors = VectorIndex(embedder.dim)
        self._thread_lock = threading.RLock()
        self._loaded: tuple[int, int, int] | None = None
        self._writing = 0  # nested `writing()` blocks: keep the private copy until the last ends
        if fresh:
            return
        recorded = archive.get_meta("embedding_model")
        if recorded is not None and recorded != embedder.name:
            raise ModelMismatchError(
                f"the archive was indexed with the model {recorded!r}, but newsdesk is set to use "
                f"{embedder.name!r}"
            )
        if path.exists():
            self._take_file(mapped=self.settings.map_index)
        elif archive.embedded_chunk_ids():
            raise SearchIndexError(f"the vector index {path} is missing")

    def _take_file(self, *, mapped: bool) -> None:
        """Hold the file's current contents, mapped or as a private copy, unless we do."""
        stamp = _stamp(self.path)
        if stamp is None or (stamp == self._loaded and self.vectors.mapped == mapped):
            return
        self.vectors.reload(self.path, mapped=mapped, probes=self.settings.ivf_probes)
        self._loaded = stamp

    def refresh(self) -> None:
        """Reload the index file if another process has rewritten it since we read it."""
        if _stamp(self.path) in (None, self._loaded):
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

    def _save(self) -> None:
        self.vectors.save(self.path)
        self._loaded = _stamp(self.path)

    def sync(self, progress: Progress | None = None) -> int:
        """Drop vectors of removed chunks and embed pending ones; returns how many were embedded."""
        with self._exclusive():
            return self._sync(progress)

    def _sync(self, progress: Progress | None) -> int:
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
            # Texts of like length share a call, so little of each call is padding.
            texts = sorted(((passage_text(h), h.chunk_id) for h in batch), key=lambda p: len(p[0]))
            for i in range(0, len(texts), ENCODE_SLICE):
                # Small calls: between them, questions on other threads get the model.
                part = texts[i : i + ENCODE_SLICE]
                vectors = self.embedder.encode([text for text, _ in part])
                release_freed()  # the call's activations, before the heap fragments further
                self.vectors.add([chunk_id for _, chunk_id in part], vectors)
                if progress:
                    progress(len(part))
            if self._over_threshold() or self._retrain_advised():
                # Past the threshold the flat index becomes an IVF trained on what is there.
                self._train()
            # Save before marking: a crash in between only means re-embedding these chunks.
            self._save()
            self.archive.mark_embedded([hit.chunk_id for hit in batch])
            done += len(batch)
        return done

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

    def info(self) -> StoreInfo:
        return self.vectors.info()

    def check(self) -> CheckReport:
        with self._exclusive(write=False):
            in_faiss = {int(i) for i in self.vectors.ids()}
            all_ids = set(self.archive.all_chunk_ids())
            embedded = set(self.archive.embedded_chunk_ids())
            index, retrain = str(self.vectors.info()), self._retrain_advised()
        return CheckReport(
            chunks=len(all_ids),
            vectors=len(in_faiss),
            pending=sorted(all_ids - embedded),
            missing=sorted(embedded - in_faiss),
            stale=sorted(in_faiss - all_ids),
            index=index,
            retrain_advised=retrain,
        )

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
