"""Keeps the FAISS index in step with the archive: embed new chunks, drop removed ones."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from newsdesk.errors import ModelMismatchError, SearchIndexError
from newsdesk.ingest.archive import Archive, ChunkHit

from .embedder import Embedder
from .vectors import VectorIndex

Progress = Callable[[int], object]
# Chunks embedded between two saves of the index: bounds the work a crash can lose.
SYNC_BATCH = 512
ENCODE_SLICE = 32


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

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale)


class Indexer:
    """The archive's vector index, loaded once; `sync` after every change to the archive.

    Several threads (the bot) and processes (the bot and a `newsdesk ingest`) may share one
    archive: changes to the index file take an exclusive lock, and whoever finds the file
    rewritten by someone else reloads it before using or changing it.
    """

    def __init__(
        self, archive: Archive, embedder: Embedder, path: Path, *, fresh: bool = False
    ) -> None:
        """Load the index; `fresh` starts an empty one instead, for `reindex` to fill."""
        self.archive, self.embedder, self.path = archive, embedder, path
        self.vectors = VectorIndex(embedder.dim)
        self._thread_lock = threading.RLock()
        self._loaded: tuple[int, int, int] | None = None
        if fresh:
            return
        recorded = archive.get_meta("embedding_model")
        if recorded is not None and recorded != embedder.name:
            raise ModelMismatchError(
                f"the archive was indexed with the model {recorded!r}, but newsdesk is set to use "
                f"{embedder.name!r}"
            )
        if path.exists():
            self._loaded = _stamp(path)
            self.vectors = VectorIndex.load(path, embedder.dim)
        elif archive.embedded_chunk_ids():
            raise SearchIndexError(f"the vector index {path} is missing")

    def refresh(self) -> None:
        """Reload the index file if another process has rewritten it since we read it."""
        if _stamp(self.path) in (None, self._loaded):
            return
        # A writer in this process holds the lock, maybe for minutes while it waits for
        # another process: searches go on with the vectors in memory rather than queue.
        if not self._thread_lock.acquire(blocking=False):
            return
        try:
            stamp = _stamp(self.path)
            if stamp is not None and stamp != self._loaded:
                self.vectors.reload(self.path)
                self._loaded = stamp
        finally:
            self._thread_lock.release()

    @contextmanager
    def _exclusive(self, *, reload: bool = True) -> Iterator[None]:
        """One writer of the index file at a time, across threads and processes."""
        with self._thread_lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.with_suffix(".lock").open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    if reload:
                        self.refresh()
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

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
                self.vectors.add([chunk_id for _, chunk_id in part], vectors)
                if progress:
                    progress(len(part))
            # Save before marking: a crash in between only means re-embedding these chunks.
            self._save()
            self.archive.mark_embedded([hit.chunk_id for hit in batch])
            done += len(batch)
        return done

    def check(self) -> CheckReport:
        with self._exclusive():
            in_faiss = {int(i) for i in self.vectors.ids()}
            all_ids = set(self.archive.all_chunk_ids())
            embedded = set(self.archive.embedded_chunk_ids())
        return CheckReport(
            chunks=len(all_ids),
            vectors=len(in_faiss),
            pending=sorted(all_ids - embedded),
            missing=sorted(embedded - in_faiss),
            stale=sorted(in_faiss - all_ids),
        )

    def reindex(self, progress: Progress | None = None) -> int:
        """Rebuild the index from every chunk in the archive, with the current model."""
        with self._exclusive(reload=False):  # the old file may be the broken thing
            self.vectors = VectorIndex(self.embedder.dim)
            self.archive.mark_all_unembedded()
            self.archive.forget_removed(self.archive.removed_chunk_ids())
            self.archive.set_meta("embedding_model", self.embedder.name)
            self.archive.set_meta("embedding_dim", str(self.embedder.dim))
            self._save()
            return self._sync(progress)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when the file is replaced: inode, modification time, size."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size
