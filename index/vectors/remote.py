"""Embeddings from a server speaking OpenAI's `/v1/embeddings` API (text-embeddings-inference,
Infinity, vLLM, Ollama, a hosted API), for an archive that outgrows one machine's CPU.

Texts go in batches, several requests in flight; a busy answer (429, 5xx) or no answer is
tried again after a pause (the server's Retry-After when it sends one, else doubling), and a
request that never succeeds is one line naming the server, never its credentials. A failure
mid-ingest loses nothing: chunks are marked embedded only once their vectors are saved, so
the next ingest embeds what is left (index/vectors/sync.py).
"""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np

from newsdesk.errors import EmbeddingError
from newsdesk.index.vectors.embedder import model_path

# The longest pause between two tries, whatever a server's Retry-After asks for: a request
# that must wait longer has failed.
MAX_PAUSE = 30.0
# Chunking counts word pieces of the packaged MiniLM, whatever model the server runs: the same
# passages as with the model in-process, so answers and recall stay comparable.
COUNTING_MODEL = "all-MiniLM-L6-v2"


def shown_url(url: str) -> str:
    """The URL as messages show it: no user, password or query (where credentials hide)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _without_user(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def endpoint(url: str) -> str:
    """The embeddings endpoint of a base URL (".../v1") or of the endpoint itself."""
    url = url.rstrip("/")
    return url if url.endswith("/embeddings") else f"{url}/embeddings"


@functools.cache
def _piece_counter(model: str) -> Any:
    """A fast tokenizer of a packaged model, without truncation, to count word pieces."""
    from tokenizers import Tokenizer

    counter = Tokenizer.from_file(str(Path(model_path(model)) / "tokenizer.json"))
    counter.no_truncation()
    counter.no_padding()
    return counter


class RemoteEmbedder:
    """An embedding model on a server: `name` is the model's name there, which the archive
    records, and `dim` what it answered (or, for an archive it made, what was recorded)."""

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        batch: int = 32,
        requests: int = 4,
        retries: int = 5,
        backoff: float = 0.5,
        dim: int | None = None,
    ) -> None:
        # Credentials in the URL go in a header, so that the URL httpx logs carries none.
        parts = urlsplit(url)
        auth = (
            httpx.BasicAuth(parts.username or "", parts.password or "") if parts.username else None
        )
        self.url, self.shown, self.name = endpoint(_without_user(url)), shown_url(url), model
        self.batch, self.requests = max(1, batch), max(1, requests)
        self.retries, self.backoff, self.timeout = max(1, retries), backoff, timeout
        self._dim = dim
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(
            auth=auth,
            headers=headers,
            timeout=timeout,
            limits=httpx.Limits(max_connections=self.requests, max_keepalive_connections=4),
        )
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        # The index sync hands this many passages to one `encode`: enough for every request
        # in flight to carry a full batch (a local model takes 8 at a time, for its memory).
        self.encode_slice = self.batch * self.requests

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = self._post(["dimension probe"]).shape[1]
        return self._dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [list(texts[i : i + self.batch]) for i in range(0, len(texts), self.batch)]
        if len(batches) == 1:
            parts = [self._post(batches[0])]
        else:
            parts = list(self._executor().map(self._post, batches))
        vectors = np.concatenate(parts)
        if self._dim is not None and vectors.shape[1] != self._dim:
            raise EmbeddingError(
                f"the embeddings server at {self.shown} gave {vectors.shape[1]}-dimensional "
                f"vectors for {self.name!r}, the archive's have {self._dim}: it serves another "
                "model under that name; run `newsdesk reindex` if that is meant"
            )
        self._dim = vectors.shape[1]
        # Unit length whatever the server does: the index compares by inner product.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(_piece_counter(COUNTING_MODEL).encode(text, add_special_tokens=False).ids)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self.client.close()

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.requests, thread_name_prefix="embeddings")
            return self._pool

    def _post(self, texts: list[str]) -> np.ndarray:
        """One request's vectors, in the order of `texts`, tried up to `retries` times."""
        body = {"model": self.name, "input": texts}
        failure = ""
        for attempt in range(self.retries):
            pause = self.backoff * 2**attempt * random.uniform(0.8, 1.2)  # jitter: no herd
            try:
                response = self.client.post(self.url, json=body)
            except httpx.TimeoutException:
                failure = f"no answer within {self.timeout:g} s"
            except httpx.TransportError as e:
                failure = f"cannot reach it ({type(e).__name__})"
            else:
                status = response.status_code
                if status == 200:
                    return self._vectors(response, len(texts))
                if status != 429 and status < 500:
                    raise EmbeddingError(
                        f"the embeddings server at {self.shown} refused the request "
                        f"({status}: {_reason(response)}){_fix(status)}"
                    )
                failure = f"busy ({status})"
                pause = _retry_after(response, pause)
            if attempt + 1 < self.retries:
                time.sleep(pause)
        raise EmbeddingError(
            f"the embeddings server at {self.shown} failed {self.retries} tries, last: "
            f"{failure}; start it or fix NEWSDESK_EMBEDDINGS_URL (stored articles not yet "
            "embedded are embedded by the next ingest)"
        )

    def _vectors(self, response: httpx.Response, count: int) -> np.ndarray:
        try:
            rows = response.json()["data"]
            rows = sorted(rows, key=lambda row: row.get("index", 0))
            vectors = np.array([row["embedding"] for row in rows], dtype=np.float32)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise EmbeddingError(
                f"the embeddings server at {self.shown} sent an answer that is not OpenAI's "
                "embeddings format ({'data': [{'embedding': [...]}]}); is the URL its /v1?"
            ) from None
        if vectors.ndim != 2 or len(vectors) != count:
            raise EmbeddingError(
                f"the embeddings server at {self.shown} sent {len(vectors)} vectors for "
                f"{count} texts"
            )
        return vectors


def _retry_after(response: httpx.Response, default: float) -> float:
    """The server's Retry-After (seconds or an HTTP date), within bounds; else `default`."""
    value = response.headers.get("retry-after")
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return default
    return min(max(seconds, 0.0), MAX_PAUSE)


def _reason(response: httpx.Response) -> str:
    """The server's own one-line reason, if it gave one."""
    try:
        error = response.json().get("error")
        message = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        message = None
    text = str(message or response.reason_phrase or "no reason given")
    return " ".join(text.split())[:200]


def _fix(status: int) -> str:
    if status in (401, 403):
        return "; check NEWSDESK_EMBEDDINGS_API_KEY"
    if status == 404:
        return "; check NEWSDESK_EMBEDDINGS_URL (its /v1) and NEWSDESK_EMBEDDINGS_MODEL"
    return ""
