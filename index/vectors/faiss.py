"""The vector store: chunk ids and their vectors only; everything else lives in SQLite.

`VectorStore` is all that search and the indexer ask of a store. `VectorIndex` is the FAISS
one, in a file beside the archive: exact (flat) while the archive is small, an inverted-file
index with 8-bit scalar quantization (IVF-SQ8) past `Settings.vector_threshold` vectors.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from newsdesk.errors import SearchIndexError
from newsdesk.index.vectors.base import StoreInfo
from newsdesk.ingest.store.files import atomic_path

_DIRECT_MAP: Any = faiss.DirectMap  # type: ignore[attr-defined]  # missing from faiss's stubs
# A flat index file begins with its id map's tag; anything else newsdesk writes is an IVF.
_FLAT_TAGS = (b"IxM2", b"IxMp")


class VectorIndex:
    """A FAISS index keyed by chunk row id: IndexIDMap2 over IndexFlatIP, or an IndexIVF
    (whose inverted lists carry the ids themselves). A mapped one is read-only."""

    def __init__(self, dim: int, index: Any = None, *, mapped: bool = False) -> None:
        self.dim = dim
        # Any: faiss's generated stubs omit the numpy-accepting wrappers used below.
        self.index: Any = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.mapped = mapped
        # The bot searches on worker threads while an ingest adds to the same index.
        self._lock = threading.RLock()

    @classmethod
    def load(
        cls, path: Path, dim: int, *, mapped: bool = False, probes: int | None = None
    ) -> VectorIndex:
        """Read the index file, refusing a corrupt one or one of another dimension.

        `mapped` maps the vectors from the file instead of copying them into this process:
        processes that only search then share one copy in the page cache. The mapping stays
        valid after a writer replaces the file (the old inode lives until it is unmapped).
        """
        try:
            with path.open("rb") as f:
                tag = f.read(4)
            # FAISS maps a flat index's codes with one flag and an IVF's lists with another,
            # and refuses the two together.
            flags = faiss.IO_FLAG_MMAP_IFC if tag in _FLAT_TAGS else faiss.IO_FLAG_MMAP
            index = faiss.read_index(str(path), flags | faiss.IO_FLAG_READ_ONLY if mapped else 0)
        except FileNotFoundError:
            raise SearchIndexError(f"the vector index {path} is missing") from None
        except (RuntimeError, OSError, ValueError) as e:
            reason = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
            raise SearchIndexError(f"the vector index {path} is unreadable ({reason})") from None
        if index.d != dim:
            raise SearchIndexError(f"the vector index {path} has {index.d} dimensions, not {dim}")
        ivf = _ivf(index)
        if ivf is not None and probes is not None:
            ivf.nprobe = probes
        return cls(dim, index, mapped=mapped)

    def reload(self, path: Path, *, mapped: bool = False, probes: int | None = None) -> None:
        """Take the file's contents in place, so every holder of this object sees them."""
        self.replace(VectorIndex.load(path, self.dim, mapped=mapped, probes=probes))

    def replace(self, other: VectorIndex) -> None:
        """Take another index's contents in place (a reload, or an IVF built from this one)."""
        with self._lock:
            self.index, self.mapped = other.index, other.mapped

    def save(self, path: Path) -> None:
        """Write atomically: a crash leaves either the old file or the new one, never half."""
        with atomic_path(path) as tmp, self._lock:
            # Straight to the file: serializing to bytes first held two more copies of the
            # index in memory while it was written.
            faiss.write_index(self.index, str(tmp))

    def __len__(self) -> int:
        with self._lock:
            return int(self.index.ntotal)

    def info(self) -> StoreInfo:
        with self._lock:
            ivf = _ivf(self.index)
            if ivf is None:
                return StoreInfo("flat", int(self.index.ntotal), mapped=self.mapped)
            codes = "fp16" if ivf.sq.qtype == faiss.ScalarQuantizer.QT_fp16 else "sq8"
            return StoreInfo(
                f"ivf-{codes}",
                int(ivf.ntotal),
                lists=int(ivf.nlist),
                probes=int(ivf.nprobe),
                mapped=self.mapped,
            )

    def ids(self) -> np.ndarray:
        with self._lock:
            if _ivf(self.index) is None:
                return faiss.vector_to_array(self.index.id_map).astype(np.int64)
            parts = [ids for ids, _ in self.blocks(decode=False)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def blocks(self, *, decode: bool = True, rows: int = 65536) -> Iterator[tuple[Any, Any]]:
        """(ids, float32 vectors) a block at a time, for building another index from this
        one without a second full copy in memory; `decode=False` yields ids only."""
        with self._lock:
            ivf = _ivf(self.index)
            if ivf is None:
                ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
                flat = faiss.downcast_index(self.index.index)
                for start in range(0, len(ids), rows):
                    n = min(rows, len(ids) - start)
                    vectors = flat.reconstruct_n(start, n) if decode else None
                    yield ids[start : start + n], vectors
                return
            lists = ivf.invlists
            for number in range(ivf.nlist):
                n = lists.list_size(number)
                if not n:
                    continue
                ids = faiss.rev_swig_ptr(lists.get_ids(number), n).astype(np.int64)
                vectors = None
                if decode:
                    codes = faiss.rev_swig_ptr(lists.get_codes(number), n * lists.code_size)
                    # Codes are of the vectors themselves, not residuals (see ivf.py).
                    vectors = ivf.sq.decode(np.array(codes).reshape(n, lists.code_size))
                yield ids, vectors

    def _writable(self) -> None:
        if self.mapped:
            # FAISS aborts the whole process on a write to a mapped IVF; refuse it here.
            raise SearchIndexError("the vector index is open read-only (memory-mapped)")

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Add vectors, replacing any already stored under the same ids."""
        if not len(ids):
            return
        id_array = np.asarray(ids, dtype=np.int64)
        with self._lock:
            self._writable()
            self.index.remove_ids(id_array)
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), id_array)

    def remove(self, ids: Sequence[int]) -> int:
        if not len(ids):
            return 0
        with self._lock:
            self._writable()
            return int(self.index.remove_ids(np.asarray(ids, dtype=np.int64)))

    def get(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The stored vectors of these ids (ids without one are left out)."""
        found = {}
        with self._lock:
            ivf = _ivf(self.index)
            if ivf is not None and ivf.direct_map.type == _DIRECT_MAP.NoMap:
                # An IVF finds a vector by its id only through a map from ids to list
                # positions, built once here (8 bytes a vector; it lives in memory even
                # when the lists are mapped from the file).
                ivf.set_direct_map_type(_DIRECT_MAP.Hashtable)
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


def _ivf(index: Any) -> Any:
    """The IVF inside an index, or None for a flat one."""
    try:
        return faiss.downcast_index(faiss.extract_index_ivf(index))
    except RuntimeError:
        return None
