"""What search and the indexer ask of a vector store: chunk ids and their vectors only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class StoreInfo:
    """What kind of index holds the vectors, for `check` and `stats`."""

    kind: str  # "flat" (exact), or "ivf-sq8" / "ivf-fp16" (approximate)
    vectors: int
    lists: int = 0  # IVF only: clusters the vectors are filed under
    probes: int = 0  # IVF only: clusters searched per query
    mapped: bool = False  # memory-mapped from the file, read-only

    def __str__(self) -> str:
        how = " (memory-mapped)" if self.mapped else ""
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
