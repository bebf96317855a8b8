"""The FAISS index: chunk ids and their vectors only; everything else lives in SQLite."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from newsdesk.errors import SearchIndexError


class VectorIndex:
    """Inner-product search over unit vectors, keyed by chunk row id (IndexIDMap2)."""

    def __init__(self, dim: int, index: Any = None) -> None:
        self.dim = dim
        # Any: faiss's generated stubs omit the numpy-accepting wrappers used below.
        self.index: Any = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        # The bot searches on worker threads while an ingest adds to the same index.
        self._lock = threading.RLock()

    @classmethod
    def load(cls, path: Path, dim: int) -> VectorIndex:
        """Read the index file, refusing a corrupt one or one of another dimension."""
        try:
            data = np.fromfile(path, dtype=np.uint8)
            index = faiss.deserialize_index(data)
        except FileNotFoundError:
            raise SearchIndexError(f"the vector index {path} is missing") from None
        except (RuntimeError, OSError, ValueError) as e:
            reason = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
            raise SearchIndexError(f"the vector index {path} is unreadable ({reason})") from None
        if index.d != dim:
            raise SearchIndexError(f"the vector index {path} has {index.d} dimensions, not {dim}")
        return cls(dim, index)

    def reload(self, path: Path) -> None:
        """Take the file's contents in place, so every holder of this object sees them."""
        loaded = VectorIndex.load(path, self.dim)
        with self._lock:
            self.index = loaded.index

    def save(self, path: Path) -> None:
        """Write atomically: a crash leaves either the old file or the new one, never half."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            data = faiss.serialize_index(self.index)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data.tobytes())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def __len__(self) -> int:
        with self._lock:
            return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        with self._lock:
            return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Add vectors, replacing any already stored under the same ids."""
        if not len(ids):
            return
        id_array = np.asarray(ids, dtype=np.int64)
        with self._lock:
            self.index.remove_ids(id_array)
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), id_array)

    def remove(self, ids: Sequence[int]) -> int:
        if not len(ids):
            return 0
        with self._lock:
            return int(self.index.remove_ids(np.asarray(ids, dtype=np.int64)))

    def get(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The stored vectors of these ids (ids without one are left out)."""
        found = {}
        with self._lock:
            for i in ids:
                try:
                    found[int(i)] = self.index.reconstruct(int(i))
                except RuntimeError:  # no vector under this id
                    continue
        return found

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(chunk id, cosine similarity), best first."""
        with self._lock:
            total = int(self.index.ntotal)
            if total == 0 or k <= 0:
                return []
            query = vector.reshape(1, -1).astype(np.float32)
            scores, ids = self.index.search(query, min(k, total))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
