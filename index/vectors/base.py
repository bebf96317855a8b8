"""What search and the indexer ask of a vector store (chunk ids and their vectors only), and of
the backend that keeps one: FAISS files beside the archive (faiss_set.py) or Milvus (milvus.py),
chosen by `Settings.vectors` (factory.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from newsdesk.ingest.store.archive import Archive


@dataclass(frozen=True)
class StoreInfo:
    """What kind of index holds the vectors, for `check` and `stats`."""

    kind: str  # "flat" (exact), "ivf-sq8" / "ivf-fp16" (approximate), or "milvus"
    vectors: int
    lists: int = 0  # IVF only: clusters the vectors are filed under
    probes: int = 0  # IVF only: clusters searched per query
    mapped: bool = False  # memory-mapped from the file, read-only
    where: str = ""  # a server's store: which collection, where

    def __str__(self) -> str:
        how = " (memory-mapped)" if self.mapped else ""
        if self.kind == "milvus":
            return f"milvus, {self.where}, {self.vectors} vectors"
        if self.kind == "flat":
            return f"flat, exact, {self.vectors} vectors{how}"
        return f"{self.kind}, {self.lists} lists, {self.probes} probed, {self.vectors} vectors{how}"


class VectorStore(Protocol):
    """What search and the indexer need from a vector store, FAISS or a server (Qdrant, Milvus).

    Ids are chunk row ids; vectors are unit length, so inner product is cosine similarity.
    """

    @property
    def dim(self) -> int: ...

    def __len__(self) -> int: ...

    def ids(self) -> np.ndarray:
        """Every stored id (for `check`)."""
        ...

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Add vectors, replacing any already stored under the same ids."""
        ...

    def remove(self, ids: Sequence[int]) -> int:
        """Drop the vectors of these ids; returns how many there were."""
        ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(chunk id, cosine similarity), best first."""
        ...

    def get(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The stored vectors of these ids (ids without one are left out)."""
        ...

    def info(self) -> StoreInfo: ...


class VectorSet(Protocol):
    """One vector set (MiniLM's, or the multilingual one) where it is kept, as this process
    holds it. The indexer (sync.py) calls these under its lock, one writer at a time across
    the processes of the machine that holds the archive; search reads `store`.

    A FAISS set lives in a file that each process reads (or maps) and rewrites whole: `take`
    reloads it when another process has replaced it, and `save` writes it. A Milvus set lives
    in the server: every write is there at once, and `take` and `save` have nothing to do.
    """

    @property
    def store(self) -> VectorStore:
        """The vectors, for search and the indexer: the same object for the set's life."""
        ...

    @property
    def where(self) -> str:
        """What the set is, for messages: "the vector index /…/index.faiss"."""
        ...

    def exists(self) -> bool:
        """Whether the set has been kept (a file, a collection) before."""
        ...

    def take(self, *, mapped: bool) -> None:
        """Hold what is kept, if it changed since this process took it. `mapped`: shared
        read-only (FAISS maps its file); else a private, writable copy."""
        ...

    def changed(self) -> bool:
        """Whether another process has rewritten the set since this one took it."""
        ...

    def save(self) -> None:
        """Keep what `store` holds now: afterwards a crash loses none of it."""
        ...

    def reset(self) -> None:
        """Start empty (`reindex`), kept at the next `save`."""
        ...

    def maintain(self, archive: Archive) -> None:
        """After vectors were added, before `save`: reorganise the store if it has outgrown
        its form (FAISS: flat to IVF past the threshold, retrained as it doubles)."""
        ...

    def retrain_advised(self, archive: Archive) -> bool:
        """Whether `maintain` would reorganise the store now (for `check`)."""
        ...

    def retrain(self, archive: Archive) -> StoreInfo:
        """Reorganise the store from the vectors it holds, embedding nothing, and keep it."""
        ...

    def close(self) -> None:
        """Let go of what the set holds open (a server connection)."""
        ...
