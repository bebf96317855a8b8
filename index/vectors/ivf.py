"""Building the approximate index: an IVF trained on the archive's own vectors.

Vectors are kept by scalar quantization, 16-bit floats by default. Product quantization
(IVF-PQ48) kept about half of the exact top 10 and SQ8 at most 0.975 at 1M passages; fp16
0.99, in 776 MB for 1M vectors (bench/README.md, `bench/scale.py`). Re-ranking by full
vectors would rescue PQ, but newsdesk keeps no full vectors beside the index.
"""

from __future__ import annotations

import math
from typing import Any

import faiss
import numpy as np

from newsdesk.errors import NewsdeskError
from newsdesk.index.vectors.faiss import VectorIndex

# How each vector is stored in the lists: 8-bit (384 bytes a vector) or 16-bit floats (768).
CODES = {"sq8": faiss.ScalarQuantizer.QT_8bit, "fp16": faiss.ScalarQuantizer.QT_fp16}
# Vectors per list the clustering is trained on: FAISS warns below 39; more costs time only.
TRAIN_PER_LIST = 64


def lists_for(vectors: int) -> int:
    """About √n lists (a power of two), but never fewer than 39 training vectors per list."""
    by_size = 2 ** round(math.log2(max(1.0, math.sqrt(vectors))))
    return max(1, min(by_size, vectors // 39))


def new_ivf(dim: int, lists: int, codes: str) -> Any:
    if codes not in CODES:
        known = " or ".join(CODES)
        raise NewsdeskError(f"unknown vector codes {codes!r} for the IVF index: use {known}")
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, lists, CODES[codes], faiss.METRIC_INNER_PRODUCT
    )
    # Codes of the vectors themselves, not of their offset from the list's centroid: the
    # vectors can then be decoded without the centroids, to retrain from them later.
    ivf.by_residual = False
    return ivf


def build_ivf(
    source: VectorIndex, *, lists: int, probes: int, codes: str, seed: int = 0
) -> VectorIndex:
    """An IVF-SQ8 index holding every vector of `source` (flat or IVF) under the same ids,
    trained on a sample of them; `lists` 0 chooses by size. Memory: the new index, the
    training sample and one block of decoded vectors beside `source`."""
    total = len(source)
    lists = lists or lists_for(total)
    ivf = new_ivf(source.dim, lists, codes)
    ivf.train(_sample(source, min(total, lists * TRAIN_PER_LIST), seed))
    for ids, vectors in source.blocks():
        ivf.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
    ivf.nprobe = min(probes, lists)
    return VectorIndex(source.dim, ivf)


def _sample(source: VectorIndex, size: int, seed: int) -> np.ndarray:
    """`size` vectors drawn evenly at random from every block of `source`."""
    total = len(source)
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(total, size=size, replace=False))
    parts, seen = [], 0
    for ids, vectors in source.blocks():
        inside = keep[(keep >= seen) & (keep < seen + len(ids))] - seen
        parts.append(np.asarray(vectors, dtype=np.float32)[inside])
        seen += len(ids)
    return np.ascontiguousarray(np.concatenate(parts))
