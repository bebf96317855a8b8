"""Keeps the FAISS index in step with the archive: embed new chunks, drop removed ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.archive import Archive, ChunkHit
from ingest.errors import ModelMismatchError, SearchIndexError

from .embedder import Embedder
from .vectors import VectorIndex

Progress = Callable[[int], object]
# Chunks embedded between two saves of the index: bounds the work a crash can lose.
SYNC_BATCH = 512


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
    """The archive's vector index, loaded once; `sync` after every change to the archive."""

    def __init__(
        self, archive: Archive, embedder: Embedder, path: Path, *, fresh: bool = False
    ) -> None:
        """Load the index; `fresh` starts an empty one instead, for `reindex` to fill."""
        self.archive, self.embedder, self.path = archive, embedder, path
        self.vectors = VectorIndex(embedder.dim)
        if fresh:
            return
        recorded = archive.get_meta("embedding_model")
        if recorded is not None and recorded != embedder.name:
            raise ModelMismatchError(
                f"the archive was indexed with the model {recorded!r}, but newsdesk is set to use "
                f"{embedder.name!r}; run `newsdesk reindex` to re-embed every chunk with it"
            )
        if path.exists():
            self.vectors = VectorIndex.load(path, embedder.dim)
        elif archive.embedded_chunk_ids():
            raise SearchIndexError(
                f"the vector index {path} is missing; run `newsdesk reindex` to rebuild it"
            )

    def sync(self, progress: Progress | None = None) -> int:
        """Drop vectors of removed chunks and embed pending ones; returns how many were embedded."""
        removed = self.archive.removed_chunk_ids()
        if removed:
            self.vectors.remove(removed)
            self.vectors.save(self.path)
            self.archive.forget_removed(removed)
        if self.archive.get_meta("embedding_model") is None:
            self.archive.set_meta("embedding_model", self.embedder.name)
            self.archive.set_meta("embedding_dim", str(self.embedder.dim))
        done = 0
        while batch := self.archive.pending_chunks(SYNC_BATCH):
            vectors = self.embedder.encode([passage_text(hit) for hit in batch])
            ids = [hit.chunk_id for hit in batch]
            self.vectors.add(ids, vectors)
            # Save before marking: a crash in between only means re-embedding these chunks.
            self.vectors.save(self.path)
            self.archive.mark_embedded(ids)
            done += len(ids)
            if progress:
                progress(len(ids))
        return done

    def check(self) -> CheckReport:
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
        self.vectors = VectorIndex(self.embedder.dim)
        self.archive.mark_all_unembedded()
        self.archive.forget_removed(self.archive.removed_chunk_ids())
        self.archive.set_meta("embedding_model", self.embedder.name)
        self.archive.set_meta("embedding_dim", str(self.embedder.dim))
        self.vectors.save(self.path)
        return self.sync(progress)
