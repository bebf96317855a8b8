"""Which embedder makes an archive's vectors: torch, ONNX Runtime (fp32 or int8), or a server.

The archive records the name of the model that made its vectors and refuses another
(`ModelMismatchError`, index/vectors/sync.py). ONNX fp32 is torch's model to within 1e-6, so
both record the packaged name ("all-MiniLM-L6-v2") and read each other's archives; int8 makes
other vectors and records "all-MiniLM-L6-v2-int8"; a server records the name it serves the
model under (`Settings.embeddings_model`).

`Settings.encoder = "auto"` follows the archive, so no archive needs re-embedding for a newer
newsdesk: one made by torch or ONNX fp32 is embedded by ONNX fp32 (the same vectors, without
torch's ~400 MB in the process), one made by int8 by int8, and a new one by `DEFAULT`. Moving
an archive to another encoder is one `NEWSDESK_ENCODER=… newsdesk reindex`; from then on
"auto" follows it.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from newsdesk.config import Settings
from newsdesk.errors import EmbeddingError, NewsdeskError
from newsdesk.index.vectors.embedder import Embedder, load_embedder, model_path
from newsdesk.index.vectors.onnx import OnnxEmbedder, int8_name, onnx_supported
from newsdesk.index.vectors.remote import RemoteEmbedder

ENCODERS = ("auto", "torch", "onnx", "onnx-int8")
# What "auto" gives a new archive. int8 ONNX: about twice torch's passages/s on 2 cores in a
# first measure (bench/README.md, "Encoders", to be confirmed by `bench.encoders`) at the same
# dev recall@5, and no torch in the process.
DEFAULT = "onnx-int8"


def encoder_for(settings: Settings, recorded: str | None) -> str:
    """The encoder a desk uses for an archive whose vectors `recorded` names (None: none yet)."""
    if settings.encoder not in ENCODERS:
        raise NewsdeskError(
            f"unknown encoder {settings.encoder!r}: set NEWSDESK_ENCODER to one of "
            + ", ".join(ENCODERS)
        )
    if settings.encoder != "auto":
        return settings.encoder
    if not onnx_available(settings.model):
        return "torch"
    if recorded == settings.model:
        return "onnx"
    if recorded == int8_name(settings.model):
        return "onnx-int8"
    # A new archive, or one of another model (refused with the fix when the index opens).
    return DEFAULT


def onnx_available(model: str) -> bool:
    """Whether ONNX Runtime is installed and the export reproduces this model."""
    return importlib.util.find_spec("onnxruntime") is not None and onnx_supported(model_path(model))


def load_encoder(
    settings: Settings, recorded: str | None = None, recorded_dim: int | None = None
) -> Embedder:
    """The embedder the settings ask for, for an archive whose vectors were made by the model
    `recorded` (of `recorded_dim` dimensions); local models are loaded once per process."""
    if settings.embeddings_url:
        if not settings.embeddings_model:
            raise EmbeddingError(
                "NEWSDESK_EMBEDDINGS_URL is set but not NEWSDESK_EMBEDDINGS_MODEL: name the "
                "model as the server serves it (the archive records it)"
            )
        known = recorded == settings.embeddings_model
        return RemoteEmbedder(
            settings.embeddings_url,
            settings.embeddings_model,
            api_key=settings.embeddings_api_key,
            timeout=settings.embeddings_timeout,
            batch=settings.embeddings_batch,
            requests=settings.embeddings_requests,
            retries=settings.embeddings_retries,
            # Known from the archive: `check`, `delete`, `stats` then need no server.
            dim=recorded_dim if known else None,
        )
    kind = encoder_for(settings, recorded)
    if kind == "torch":
        return load_embedder(
            settings.model, threads=settings.torch_threads, batch_size=settings.embed_batch_size
        )
    return load_onnx(
        settings.model,
        int8=kind == "onnx-int8",
        cache=settings.encoder_cache,
        threads=settings.torch_threads,
        batch_size=settings.embed_batch_size,
    )


@functools.cache
def load_onnx(
    name: str, *, int8: bool, cache: Path, threads: int = 2, batch_size: int = 32
) -> OnnxEmbedder:
    """The ONNX model, loaded once per process (exported into `cache` first if need be)."""
    return OnnxEmbedder(name, int8=int8, cache=cache, threads=threads, batch_size=batch_size)
