"""Vector index at archive scale: flat (exact) vs IVF-SQ8/FP16/PQ48 at 100k and 1M passages.

The passages are the dev archive's own vectors (`--home`, ~8.5k), repeated with Gaussian
noise (each copy at cosine ~0.86 from its original, so copies are neighbours, not twins) up
to the size asked; the queries are the 130 dev questions embedded by the model. For each
index: build time, file size, memory of a fresh process that opens the file and searches
(private and file-backed pages), search p50/p95 of one query through `VectorIndex.search`,
and recall of the exact (flat) top 10. Ratios are against the flat index of the same run.

    python -m bench.scale --home DEV_HOME [--sizes 100000,1000000] [--probes 32,64,128,256]

DEV_HOME is an indexed dev archive (`newsdesk --home DEV_HOME ingest
../shared/eval-dev/corpus.jsonl`); it is only read. The full run takes about 17 minutes and
peaks at 5.3 GB (the flat baseline and its exact answers beside each IVF).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from bench.common import DEV_QUESTIONS, Timer, dev_questions, percentile, require, save
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder
from newsdesk.index.vectors.faiss import VectorIndex
from newsdesk.index.vectors.ivf import build_ivf, lists_for

NOISE = 0.6  # length of the noise added to a unit vector before normalising again
K = 10

# A fresh process opens the index (mapped or copied), runs the queries, reports its memory.
READER = """
import sys, numpy as np
from pathlib import Path
from newsdesk.index.vectors.faiss import VectorIndex
index = VectorIndex.load(Path(sys.argv[1]), int(sys.argv[2]), mapped=sys.argv[3] == "1",
                         probes=int(sys.argv[4]))
for q in np.load(sys.argv[5]):
    index.search(q, 10)
s = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(int(s["RssAnon"].split()[0]) // 1024, int(s["RssFile"].split()[0]) // 1024)
"""


def dev_vectors(home: Path) -> np.ndarray:
    index = VectorIndex.load(require(home / "index.faiss"), 384)
    return np.concatenate([v for _, v in index.blocks()]).astype(np.float32)


Blocks = Iterator[tuple[np.ndarray, np.ndarray]]


def synthetic(base: np.ndarray, n: int, seed: int, block: int = 100_000) -> Callable[[], Blocks]:
    """Blocks of (ids, vectors): `base` repeated, each copy moved by noise, unit length."""

    def blocks() -> Blocks:
        rng = np.random.default_rng(seed)
        sigma = NOISE / np.sqrt(base.shape[1])
        for start in range(0, n, block):
            rows = np.arange(start, min(n, start + block))
            x = base[rows % len(base)] + rng.normal(0, sigma, (len(rows), base.shape[1]))
            x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
            yield rows.astype(np.int64), x

    return blocks


def timed_search(index: VectorIndex, queries: np.ndarray) -> tuple[np.ndarray, list[float]]:
    found, times = [], []
    for q in queries:
        with Timer() as t:
            hits = index.search(q, K)
        times.append(t.seconds * 1000)
        found.append([i for i, _ in hits] + [-1] * (K - len(hits)))
    return np.array(found), times


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(e)) / K for f, e in zip(found, exact, strict=True)]))


def reader_memory(path: Path, dim: int, mapped: bool, probes: int, queries: Path) -> str:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            READER,
            str(path),
            str(dim),
            str(int(mapped)),
            str(probes),
            str(queries),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return f"{out[0]}+{out[1]}"


def pq_index(flat: VectorIndex, lists: int, probes: int, m: int) -> VectorIndex:
    """IVF-PQ for comparison only: m bytes a vector, trained like the SQ8 one."""
    ivf = faiss.index_factory(flat.dim, f"IVF{lists},PQ{m}", faiss.METRIC_INNER_PRODUCT)
    sample = np.concatenate([v for _, v in flat.blocks()])
    rng = np.random.default_rng(0)
    ivf.train(sample[rng.choice(len(sample), min(len(sample), lists * 64), replace=False)])
    del sample
    for ids, v in flat.blocks():
        ivf.add_with_ids(v, ids)
    faiss.extract_index_ivf(ivf).nprobe = probes
    return VectorIndex(flat.dim, ivf)


def run(
    n: int, base: np.ndarray, queries: np.ndarray, probes: list[int], tmp: Path
) -> list[dict[str, Any]]:
    qpath = tmp / "queries.npy"
    np.save(qpath, queries)
    dim = base.shape[1]
    with Timer() as built:
        flat = VectorIndex(dim)
        for ids, v in synthetic(base, n, seed=n)():
            flat.index.add_with_ids(v, ids)  # ids are new: skip add()'s replace-by-id
    flat_build = built.seconds
    exact, flat_times = timed_search(flat, queries)
    fpath = tmp / "flat.faiss"
    flat.save(fpath)
    flat_mb = fpath.stat().st_size / 2**20
    flat_p50 = percentile(flat_times, 0.5)
    rows = [("flat", flat_build, flat_mb, flat_times, 1.0, fpath, 0)]

    lists = lists_for(n)
    for codes in ("sq8", "fp16"):
        with Timer() as built:
            ivf_index = build_ivf(flat, lists=lists, probes=probes[0], codes=codes)
        build = built.seconds
        path = tmp / f"{codes}.faiss"
        ivf_index.save(path)
        ivf = faiss.extract_index_ivf(ivf_index.index)
        for p in probes:
            ivf.nprobe = p
            found, times = timed_search(ivf_index, queries)
            name = f"IVF{lists}-{codes.upper()} nprobe {p}"
            mb = path.stat().st_size / 2**20
            rows.append((name, build, mb, times, recall(found, exact), path, p))
        del ivf_index, ivf

    with Timer() as built:
        pq = pq_index(flat, lists, probes[-1], 48)
    pq_build = built.seconds
    found, times = timed_search(pq, queries)
    ppath = tmp / "pq.faiss"
    pq.save(ppath)
    rows.append(
        (
            f"IVF{lists}-PQ48 nprobe {probes[-1]}",
            pq_build,
            ppath.stat().st_size / 2**20,
            times,
            recall(found, exact),
            ppath,
            probes[-1],
        )
    )
    del pq, flat

    print(f"\n{n:,} passages, {len(queries)} queries, k={K}")
    print(
        "| index | build s | file MB | reader MB copied (anon+file) | reader MB mapped "
        "| p50 ms | p95 ms | p50 / flat | recall@10 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    out = []
    for name, build, mb, times, rec, path, p in rows:
        copied = reader_memory(path, dim, False, p or 1, qpath)
        mapped = reader_memory(path, dim, True, p or 1, qpath)
        p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
        print(
            f"| {name} | {build:.1f} | {mb:.0f} | {copied} | {mapped} | {p50:.2f} | "
            f"{p95:.2f} | {p50 / flat_p50:.3f} | {rec:.3f} |",
            flush=True,
        )
        out.append(
            {
                "index": name,
                "build_s": build,
                "file_mb": mb,
                "reader_mb_copied": copied,
                "reader_mb_mapped": mapped,
                "p50_ms": p50,
                "p95_ms": p95,
                "ratio_p50_to_flat": p50 / flat_p50,
                "recall@10": rec,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--home",
        type=Path,
        required=True,
        help="an archive holding the dev corpus, indexed (read only)",
    )
    parser.add_argument("--questions", type=Path, default=DEV_QUESTIONS)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--probes", default="32,64,128,256")
    args = parser.parse_args()
    base = dev_vectors(args.home)
    questions = [q["question"] for q in dev_questions(args.questions)]
    queries = SentenceTransformerEmbedder("all-MiniLM-L6-v2").encode(questions)
    print(f"{len(base):,} dev vectors as the base, {faiss.omp_get_max_threads()} FAISS threads")
    probes = [int(p) for p in args.probes.split(",")]
    figures: dict[str, Any] = {"base_vectors": len(base), "queries": len(questions)}
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            figures[str(n)] = run(n, base, queries, probes, Path(tmp))
    save("scale", figures, vars(args))


if __name__ == "__main__":
    main()
