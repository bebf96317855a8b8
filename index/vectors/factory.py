"""Which backend keeps the vector sets, from `Settings.vectors`: "faiss" (files beside the
archive, the default) or "milvus:<uri>" (a Milvus server, or a Milvus Lite folder)."""

from __future__ import annotations

from newsdesk.config import Settings
from newsdesk.errors import NewsdeskError, SearchIndexError
from newsdesk.index.vectors.base import StoreInfo, VectorSet
from newsdesk.index.vectors.faiss import VectorIndex
from newsdesk.index.vectors.faiss_set import FaissSet, multi_path
from newsdesk.ingest.store.archive import Archive

BACKENDS = ("faiss", "milvus:<uri>")


def backend(settings: Settings) -> tuple[str, str]:
    """("faiss", "") or ("milvus", its URI, a Milvus Lite path made absolute)."""
    spec = settings.vectors.strip()
    if spec == "faiss":
        return "faiss", ""
    kind, _, target = spec.partition(":")
    if kind == "milvus" and target:
        from newsdesk.index.vectors.milvus import resolve

        return "milvus", resolve(target, settings.home)
    raise NewsdeskError(
        f"unknown vector store {settings.vectors!r}: set NEWSDESK_VECTORS to "
        + " or ".join(BACKENDS)
    )


def open_set(settings: Settings, archive: Archive, dim: int, *, multi: bool = False) -> VectorSet:
    """MiniLM's vector set (or with `multi` the multilingual one), as the settings keep it;
    nothing is read yet (the indexer `take`s it)."""
    kind, uri = backend(settings)
    if kind == "faiss":
        path = multi_path(settings.index_path) if multi else settings.index_path
        return FaissSet(path, dim, settings, trains=not multi)
    from newsdesk.index.vectors.milvus import MilvusSet, archive_id, collection_name

    return MilvusSet(
        uri,
        collection_name(settings.milvus_collection, multi),
        dim,
        archive_id(archive),
        token=settings.milvus_token,
    )


def stored_info(
    settings: Settings, archive: Archive, dim: int, *, multi: bool = False
) -> StoreInfo | str:
    """What holds a set's vectors, read without a model (for `stats`): its file, mapped, or
    its collection; "none yet" before the first vector."""
    kind, _ = backend(settings)
    if kind == "faiss":
        path = multi_path(settings.index_path) if multi else settings.index_path
        if not path.exists():
            return "none yet"
        try:
            return VectorIndex.load(path, dim, mapped=True, probes=settings.ivf_probes).info()
        except SearchIndexError as e:
            return str(e)
    found = open_set(settings, archive, dim, multi=multi)
    try:
        return found.store.info() if found.exists() else "none yet"
    except SearchIndexError as e:
        return str(e)
    finally:
        found.close()
