"""The FAISS backend: a vector set in a file beside the archive, as one process holds it.

Searching processes map the file read-only (one copy in the page cache for all of them); a
writer reads a private copy, saves it atomically (temp file + rename) and maps the new file.
Whoever finds the file replaced by another process (inode, time, size) reloads it. Past
`Settings.vector_threshold` vectors the flat index becomes an IVF trained on the archive's own
vectors, retrained as the archive doubles (ivf.py).
"""

from __future__ import annotations

from pathlib import Path

from newsdesk.config import Settings
from newsdesk.index.vectors.base import StoreInfo, VectorStore
from newsdesk.index.vectors.faiss import VectorIndex
from newsdesk.index.vectors.ivf import build_ivf
from newsdesk.ingest.store.archive import Archive

# An IVF trained on fewer than this share of the vectors it holds is retrained at the next
# sync: its lists were drawn for an archive half today's, and a search probes ever longer
# lists. Retraining at each doubling keeps about √n lists for a total cost linear in n.
RETRAIN_BELOW = 0.5
TRAINED_ON = "vector_index_trained_on"  # archive meta: how many vectors the IVF was trained on

Stamp = tuple[int, int, int]


def multi_path(path: Path) -> Path:
    """The multilingual vector set's file, beside the main index's."""
    return path.with_name(f"{path.stem}-multilingual{path.suffix}")


class FaissSet:
    """A `VectorIndex` kept in `path`. Only MiniLM's set (`trains`) becomes an IVF: the
    multilingual one holds leads and non-English passages only, far fewer."""

    def __init__(self, path: Path, dim: int, settings: Settings, *, trains: bool = True) -> None:
        self.path, self.dim, self.settings, self.trains = path, dim, settings, trains
        self.index = VectorIndex(dim)
        self._loaded: Stamp | None = None  # the file as this process last read or wrote it

    @property
    def store(self) -> VectorStore:
        return self.index

    @property
    def where(self) -> str:
        return f"the vector index {self.path}"

    def exists(self) -> bool:
        return self.path.exists()

    def take(self, *, mapped: bool) -> None:
        stamp = _stamp(self.path)
        if stamp is None or (stamp == self._loaded and self.index.mapped == mapped):
            return
        self.index.reload(self.path, mapped=mapped, probes=self.settings.ivf_probes)
        self._loaded = stamp

    def changed(self) -> bool:
        return _stamp(self.path) not in (None, self._loaded)

    def save(self) -> None:
        self.index.save(self.path)
        self._loaded = _stamp(self.path)

    def reset(self) -> None:
        self.index.replace(VectorIndex(self.dim))

    def maintain(self, archive: Archive) -> None:
        if self.trains and (self._over_threshold() or self.retrain_advised(archive)):
            self._train(archive)

    def retrain_advised(self, archive: Archive) -> bool:
        if self.index.info().kind == "flat":
            return False
        trained_on = int(archive.get_meta(TRAINED_ON) or 0)
        return trained_on < RETRAIN_BELOW * len(self.index)

    def retrain(self, archive: Archive) -> StoreInfo:
        if self._over_threshold() or self.index.info().kind != "flat":
            self._train(archive)
            self.save()
        return self.index.info()

    def close(self) -> None:
        pass  # a mapping is let go with the index; the file stays for the next process

    def _over_threshold(self) -> bool:
        return self.index.info().kind == "flat" and len(self.index) > self.settings.vector_threshold

    def _train(self, archive: Archive) -> None:
        """Replace the index by an IVF trained on its own vectors (the caller saves)."""
        built = build_ivf(
            self.index,
            lists=self.settings.ivf_lists,
            probes=self.settings.ivf_probes,
            codes=self.settings.ivf_codes,
        )
        self.index.replace(built)
        archive.set_meta(TRAINED_ON, str(len(built)))


def _stamp(path: Path) -> Stamp | None:
    """What changes when the file is replaced: inode, modification time, size."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size
