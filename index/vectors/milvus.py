"""The Milvus backend: a vector set as a Milvus collection, through pymilvus.

`Settings.vectors = "milvus:<uri>"`: a server ("milvus:http://host:19530", its token in
`Settings.milvus_token`), or a local Milvus Lite folder ("milvus:/path/vectors.db"), which
pymilvus runs in this process. Milvus Lite lets one process at a time open a folder: the bot and
a `newsdesk ingest` cannot share one (a server they can). Each set is a collection keyed by
chunk row id (`<milvus_collection>_vectors`, `<…>_multilingual`), compared by inner product
(the vectors are unit length: cosine, as with FAISS). Writes are in the server when the call
returns, so there is no file to save or reload; SQLite stays the record of what is embedded.
A collection is labelled with its archive's id, so two archives never share one unawares.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from newsdesk.errors import NewsdeskError, SearchIndexError
from newsdesk.index.vectors.base import StoreInfo, VectorStore
from newsdesk.ingest.store.archive import Archive

ARCHIVE_ID = "archive_id"  # archive meta: names the archive to the collections it owns
LABEL = "newsdesk.archive"  # the collection property holding that id
ID, VECTOR = "id", "vector"
ROWS = 1000  # rows per insert, get or delete call: keeps each gRPC message small
MAX_K = 16384  # Milvus's largest top-k (and query window)
# Milvus Lite builds HNSW for AUTOINDEX; a server chooses by its version and resources.
INDEX_TYPE = "AUTOINDEX"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# One client per URI in a process, shared by its desks and sets: Milvus Lite serves a folder
# to one process only, so a second client in another would be refused anyway.
_clients: dict[str, tuple[Any, int]] = {}
_clients_lock = threading.Lock()


def is_local(uri: str) -> bool:
    return "://" not in uri


def resolve(uri: str, home: Path) -> str:
    """A Milvus Lite path made absolute (relative to the archive folder), or a server URI."""
    if not is_local(uri):
        return uri
    path = Path(uri).expanduser()
    if path.suffix != ".db":
        raise NewsdeskError(
            f"{uri!r} is no Milvus URI: give a server's (milvus:http://host:19530) or a Milvus "
            "Lite path ending in .db (milvus:/path/vectors.db)"
        )
    return str(path if path.is_absolute() else home.expanduser() / path)


def _client(uri: str, token: str | None) -> Any:
    """The process's client for `uri`, connected on first use (pymilvus imported then)."""
    with _clients_lock:
        if uri in _clients:
            client, refs = _clients[uri]
            _clients[uri] = (client, refs + 1)
            return client
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        # Noise on stderr, said better by our own one-line errors: pymilvus's query iterator
        # warns on every call that Milvus Lite keeps no timestamps, the in-process gRPC server
        # logs a traceback for the call it lacks, and Milvus Lite one for a folder in use.
        # (After the import: pymilvus sets its loggers up as it is imported.)
        logging.getLogger("pymilvus").setLevel(logging.ERROR)
        if is_local(uri):
            logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
            logging.getLogger("milvus_lite").setLevel(logging.CRITICAL)

        if is_local(uri):
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            client = MilvusClient(uri=uri, token=token or "")
        except MilvusException as e:
            if is_local(uri):
                raise NewsdeskError(
                    f"cannot open the Milvus Lite store {uri} ({_reason(e)}): Milvus Lite lets "
                    "one process at a time open it; stop the other (the bot?), or serve the "
                    "vectors from a Milvus server"
                ) from None
            raise NewsdeskError(f"cannot reach Milvus at {_shown(uri)} ({_reason(e)})") from None
        _clients[uri] = (client, 1)
        return client


def _release(uri: str) -> None:
    """One user fewer of the client; the last closes it and, for Milvus Lite, stops the
    in-process server, so that another process may open the folder."""
    with _clients_lock:
        client, refs = _clients[uri]
        if refs > 1:
            _clients[uri] = (client, refs - 1)
            return
        del _clients[uri]
    client.close()
    if is_local(uri):
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)


def archive_id(archive: Archive) -> str:
    """The archive's own id, made on first need."""
    found = archive.get_meta(ARCHIVE_ID)
    if found is None:
        import uuid

        found = uuid.uuid4().hex
        archive.set_meta(ARCHIVE_ID, found)
    return found


def collection_name(prefix: str, multi: bool) -> str:
    if not _NAME.fullmatch(prefix):
        raise NewsdeskError(
            f"{prefix!r} cannot name a Milvus collection: set NEWSDESK_MILVUS_COLLECTION to "
            "letters, digits and _ (not starting with a digit)"
        )
    return f"{prefix}_{'multilingual' if multi else 'vectors'}"


class MilvusSet:
    """A vector set in a Milvus collection: both the store (`VectorStore`) and the set."""

    def __init__(
        self, uri: str, collection: str, dim: int, owner: str, *, token: str | None = None
    ) -> None:
        self.uri, self.collection, self.dim, self.owner = uri, collection, dim, owner
        self.client = _client(uri, token)
        self._ready = False  # created (or checked) and loaded
        self._lock = threading.Lock()
        self._closed = False

    # -- the set ----------------------------------------------------------------------------

    @property
    def store(self) -> VectorStore:
        return self

    @property
    def where(self) -> str:
        return f"the Milvus collection {self.collection} at {_shown(self.uri)}"

    def exists(self) -> bool:
        with self._errors():
            return bool(self.client.has_collection(self.collection))

    def take(self, *, mapped: bool) -> None:
        if self.exists():
            self._ensure()

    def changed(self) -> bool:
        return False  # the server is the one copy: nothing to reload

    def save(self) -> None:
        pass  # every write is in the server once its call returns

    def reset(self) -> None:
        with self._lock, self._errors():
            if self.client.has_collection(self.collection):
                self.client.drop_collection(self.collection)
            self._ready = False
        self._ensure()

    def maintain(self, archive: Archive) -> None:
        pass  # Milvus builds and rebuilds its own index as segments fill

    def retrain_advised(self, archive: Archive) -> bool:
        return False

    def retrain(self, archive: Archive) -> StoreInfo:
        return self.info()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _release(self.uri)

    # -- the store --------------------------------------------------------------------------

    def __len__(self) -> int:
        if not self._ensure(create=False):
            return 0
        with self._errors():
            rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def ids(self) -> np.ndarray:
        if not self._ensure(create=False):
            return np.zeros(0, dtype=np.int64)
        found: list[int] = []
        with self._errors():
            pages = self.client.query_iterator(
                self.collection, batch_size=MAX_K, filter="", output_fields=[ID]
            )
            try:
                while page := pages.next():
                    found.extend(int(row[ID]) for row in page)
            finally:
                pages.close()
        return np.array(sorted(found), dtype=np.int64)

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        if not len(ids):
            return
        self._ensure()
        vectors = np.asarray(vectors, dtype=np.float32)
        with self._errors():
            for start in range(0, len(ids), ROWS):
                rows = [
                    {ID: int(i), VECTOR: v.tolist()}
                    for i, v in zip(
                        ids[start : start + ROWS], vectors[start : start + ROWS], strict=True
                    )
                ]
                self.client.upsert(self.collection, rows)

    def remove(self, ids: Sequence[int]) -> int:
        if not len(ids) or not self._ensure(create=False):
            return 0
        removed = 0
        with self._errors():
            for start in range(0, len(ids), ROWS):
                part = [int(i) for i in ids[start : start + ROWS]]
                # Milvus's delete echoes the ids asked for, present or not: count them first.
                removed += len(self.client.get(self.collection, ids=part, output_fields=[ID]))
                self.client.delete(self.collection, ids=part)
        return removed

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if k <= 0 or not self._ensure(create=False):
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
        with self._errors():
            found = self.client.search(
                self.collection,
                data=[query],
                anns_field=VECTOR,
                limit=min(k, MAX_K),
                output_fields=[ID],
                search_params={"metric_type": "IP"},
            )
        return [(int(hit["id"]), float(hit["distance"])) for hit in found[0]]

    def get(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        if not len(ids) or not self._ensure(create=False):
            return {}
        found: dict[int, np.ndarray] = {}
        with self._errors():
            for start in range(0, len(ids), ROWS):
                part = [int(i) for i in ids[start : start + ROWS]]
                for row in self.client.get(self.collection, ids=part, output_fields=[VECTOR]):
                    found[int(row[ID])] = np.asarray(row[VECTOR], dtype=np.float32)
        return found

    def info(self) -> StoreInfo:
        return StoreInfo("milvus", len(self), where=f"{self.collection} at {_shown(self.uri)}")

    # -- the collection ---------------------------------------------------------------------

    def _ensure(self, *, create: bool = True) -> bool:
        """Whether the collection is there and loaded, creating it if `create`; checks once
        that it is this archive's, of this dimension."""
        if self._ready:
            return True
        with self._lock, self._errors():
            if self._ready:
                return True
            if not self.client.has_collection(self.collection):
                if not create:
                    return False
                self._create()
            self._check()
            self.client.load_collection(self.collection)
            self._ready = True
        return True

    def _create(self) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field(ID, DataType.INT64, is_primary=True)
        schema.add_field(VECTOR, DataType.FLOAT_VECTOR, dim=self.dim)
        index = self.client.prepare_index_params()
        index.add_index(field_name=VECTOR, index_type=INDEX_TYPE, metric_type="IP")
        # Strong: a search sees every write made before it (the default, Bounded, may lag),
        # as a chunk marked embedded must be searchable at once.
        self.client.create_collection(
            self.collection, schema=schema, index_params=index, consistency_level="Strong"
        )
        self.client.alter_collection_properties(self.collection, properties={LABEL: self.owner})

    def _check(self) -> None:
        described = self.client.describe_collection(self.collection)
        owner = (described.get("properties") or {}).get(LABEL)
        if owner != self.owner:
            # Not a SearchIndexError: its fix, `reindex`, would drop the other archive's vectors.
            raise NewsdeskError(
                f"{self.where} holds the vectors of another archive ({owner or 'not newsdesk'}); "
                "set NEWSDESK_MILVUS_COLLECTION to a name of this archive's own"
            )
        dims = [f.get("params", {}).get("dim") for f in described.get("fields", [])]
        dim = next((int(d) for d in dims if d), None)
        if dim != self.dim:
            raise SearchIndexError(f"{self.where} has {dim} dimensions, not {self.dim}")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Milvus's exceptions as one line naming the collection."""
        from pymilvus.exceptions import MilvusException

        try:
            yield
        except MilvusException as e:
            raise NewsdeskError(f"{self.where} failed: {_reason(e)}") from None


def _reason(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return " ".join(str(message).split())[:200]


def _shown(uri: str) -> str:
    """A server URI without credentials (user:password@), or the Milvus Lite path."""
    return re.sub(r"//[^/@]*@", "//", uri)
