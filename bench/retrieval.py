"""Retrieval on the dev set: Recall@1, Recall@5 and MRR of the gold article, per retriever."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

# See bench/ingest.py: the project root, not this folder, must come first on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.index.search.hybrid import Mode
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval-dev"
MODES: tuple[Mode, ...] = ("keyword", "dense", "hybrid")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def evaluate(desk: Newsdesk, questions: list[dict], mode: Mode, k: int) -> dict[str, float]:
    ranks, latencies = [], []
    for q in questions:
        start = time.perf_counter()
        hits = desk.search(q["question"], k, mode=mode)
        latencies.append((time.perf_counter() - start) * 1000)
        ids = [h.article.external_id for h in hits]
        ranks.append(ids.index(q["doc_id"]) + 1 if q["doc_id"] in ids else None)
    n = len(questions)
    return {
        "R@1": sum(r == 1 for r in ranks) / n,
        "R@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "MRR": sum(1 / r for r in ranks if r) / n,
        "p50 ms": statistics.median(latencies),
        "p95 ms": percentile(latencies, 0.95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", type=Path, default=DEV, help="folder with corpus/questions")
    parser.add_argument("--home", type=Path, help="an archive that already holds the dev corpus")
    parser.add_argument("--k", type=int, default=10, help="articles retrieved per question")
    args = parser.parse_args()
    questions = [json.loads(line) for line in (args.dev / "questions.jsonl").open()]
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp)
        with Newsdesk(Settings(home=home), embedder=embedder) as desk:
            if args.home is None:
                print("ingesting the dev corpus (a few minutes)…", file=sys.stderr)
                desk.ingest([str(args.dev / "corpus.jsonl")])
            desk.search("warm-up query")
            print(f"{len(questions)} questions, {desk.stats().articles} articles")
            print(f"{'retriever':<10} {'R@1':>6} {'R@5':>6} {'MRR':>6} {'p50 ms':>8} {'p95 ms':>8}")
            results = {mode: evaluate(desk, questions, mode, args.k) for mode in MODES}
            for mode, r in results.items():
                print(
                    f"{mode:<10} {r['R@1']:>6.3f} {r['R@5']:>6.3f} {r['MRR']:>6.3f} "
                    f"{r['p50 ms']:>8.1f} {r['p95 ms']:>8.1f}"
                )
            base = results["keyword"]["MRR"]
            print(f"hybrid / BM25 MRR ratio: {results['hybrid']['MRR'] / base:.2f}")


if __name__ == "__main__":
    main()
