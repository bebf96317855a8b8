"""Search latency of the vector stores at scale: FAISS as newsdesk keeps it vs Milvus Lite.

    python -m bench.vector_stores [--sizes 100000,1000000] [--queries 200] [--k 10]

Synthetic vectors (no model): unit vectors of 384 dimensions drawn around 2,000 random
centres, as sentence embeddings cluster by topic; queries are stored vectors with noise. Per
size: FAISS as `Settings` builds it (flat up to `vector_threshold`, past it IVF-fp16 with 128
lists probed) and a Milvus Lite collection written as the indexer writes it (upserts of 1,000,
AUTOINDEX, inner product; then flushed, so its index is built). Each answers the queries one at
a time: p50 / p95 ms, recall of the exact top k. Baseline: FAISS, same run. Memory: the vectors
(1.5 GB at 1M) plus each store's copy; Milvus Lite's folder is on disk (--work).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import Timer, latency, save
from newsdesk.config import Settings
from newsdesk.index.vectors.base import VectorStore
from newsdesk.index.vectors.faiss import VectorIndex
from newsdesk.index.vectors.ivf import build_ivf
from newsdesk.index.vectors.milvus import MilvusSet

DIM = 384
CENTRES = 2000
BLOCK = 50_000


def vectors(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    """n unit vectors around the centres, made a block at a time."""
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, BLOCK):
        size = min(BLOCK, n - start)
        picked = centres[rng.integers(0, len(centres), size)]
        block = picked + rng.normal(scale=0.06, size=(size, DIM)).astype(np.float32)
        out[start : start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact(data: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """The true top-k ids (row numbers) of each query, by inner product, a block at a time."""
    best = np.full((len(queries), k), -1, dtype=np.int64)
    scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    for start in range(0, len(data), BLOCK):
        block = queries @ data[start : start + BLOCK].T
        both = np.concatenate([scores, block], axis=1)
        ids = np.concatenate(
            [best, np.broadcast_to(np.arange(start, start + block.shape[1]), block.shape)], axis=1
        )
        top = np.argsort(-both, axis=1)[:, :k]
        scores, best = np.take_along_axis(both, top, 1), np.take_along_axis(ids, top, 1)
    return best


def measure(store: VectorStore, queries: np.ndarray, truth: np.ndarray, k: int) -> dict[str, Any]:
    store.search(queries[0], k)  # warm-up (Milvus loads segments on the first search)
    times, found = [], 0
    for query, true in zip(queries, truth, strict=True):
        with Timer() as t:
            hits = store.search(query, k)
        times.append(t.seconds * 1000)
        found += len({i for i, _ in hits} & {int(x) for x in true})
    ms = latency(times)
    return {"p50_ms": ms["p50"], "p95_ms": ms["p95"], f"recall@{k}": found / truth.size}


def faiss_store(data: np.ndarray, settings: Settings) -> tuple[VectorIndex, float]:
    with Timer() as t:
        index = VectorIndex(DIM)
        for start in range(0, len(data), BLOCK):
            index.add(
                range(start, start + min(BLOCK, len(data) - start)), data[start : start + BLOCK]
            )
        if len(index) > settings.vector_threshold:
            index = build_ivf(
                index,
                lists=settings.ivf_lists,
                probes=settings.ivf_probes,
                codes=settings.ivf_codes,
            )
    return index, t.seconds


def milvus_store(data: np.ndarray, work: Path) -> tuple[MilvusSet, float]:
    store = MilvusSet(str(work / f"bench-{len(data)}.db"), "bench_vectors", DIM, "bench")
    store.reset()
    with Timer() as t:
        for start in range(0, len(data), BLOCK):
            ids = list(range(start, start + min(BLOCK, len(data) - start)))
            store.add(ids, data[start : start + BLOCK])
        store.client.flush(store.collection)
    return store, t.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="passages, comma-separated")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--work", type=Path, help="where Milvus Lite writes (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threshold", type=int, default=Settings.vector_threshold, help="FAISS flat up to this"
    )
    args = parser.parse_args()
    settings = Settings(vector_threshold=args.threshold)
    rng = np.random.default_rng(args.seed)
    centres = rng.normal(size=(CENTRES, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            data = vectors(size, rng, centres)
            picked = data[rng.integers(0, size, args.queries)]
            noisy = picked + rng.normal(scale=0.03, size=picked.shape).astype(np.float32)
            queries = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
            truth = exact(data, queries, args.k)
            faiss, faiss_build = faiss_store(data, settings)
            row: dict[str, Any] = {
                "faiss": {"index": str(faiss.info()), "build_s": faiss_build}
                | measure(faiss, queries, truth, args.k)
            }
            del faiss
            milvus, milvus_build = milvus_store(data, Path(tmp))
            try:
                row["milvus_lite"] = {"build_s": milvus_build} | measure(
                    milvus, queries, truth, args.k
                )
            finally:
                milvus.close()
            row["p50_milvus_vs_faiss"] = row["milvus_lite"]["p50_ms"] / row["faiss"]["p50_ms"]
            results[str(size)] = row
            for name in ("faiss", "milvus_lite"):
                r = row[name]
                print(
                    f"{size:>9} {name:<12} build {r['build_s']:7.1f} s  p50 {r['p50_ms']:7.2f} ms"
                    f"  p95 {r['p95_ms']:7.2f} ms  recall@{args.k} {r[f'recall@{args.k}']:.3f}"
                )
            print(f"{size:>9} milvus / faiss p50: {row['p50_milvus_vs_faiss']:.2f}")
    save("vector_stores", results, {k: str(v) for k, v in vars(args).items()})


if __name__ == "__main__":
    main()
