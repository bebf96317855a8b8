"""Retrieval on the dev set: Recall@1, Recall@5 and MRR of the gold article, per retriever.

    python -m bench.retrieval [--home DEV_HOME] [--dev FOLDER] [--k 10]

Without --home the dev corpus is ingested into a temporary archive first (a few minutes).
Baseline: BM25 (the keyword retriever alone), in the same run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench.common import DEV, Timer, dev_questions, latency, save
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.index.search.hybrid import Mode
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder

MODES: tuple[Mode, ...] = ("keyword", "dense", "hybrid")


def evaluate(desk: Newsdesk, questions: list[dict], mode: Mode, k: int) -> dict[str, float]:
    ranks, latencies = [], []
    for q in questions:
        with Timer() as t:
            hits = desk.search(q["question"], k, mode=mode)
        latencies.append(t.seconds * 1000)
        ids = [h.article.external_id for h in hits]
        ranks.append(ids.index(q["doc_id"]) + 1 if q["doc_id"] in ids else None)
    n = len(questions)
    ms = latency(latencies)
    return {
        "R@1": sum(r == 1 for r in ranks) / n,
        "R@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "MRR": sum(1 / r for r in ranks if r) / n,
        "p50 ms": ms["p50"],
        "p95 ms": ms["p95"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEV, help="folder with corpus/questions")
    parser.add_argument("--home", type=Path, help="an archive that already holds the dev corpus")
    parser.add_argument("--k", type=int, default=10, help="articles retrieved per question")
    args = parser.parse_args()
    questions = dev_questions(args.dev / "questions.jsonl")
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp)
        with Newsdesk(Settings(home=home), embedder=embedder) as desk:
            if args.home is None:
                print("ingesting the dev corpus (a few minutes)…", file=sys.stderr)
                desk.ingest([str(args.dev / "corpus.jsonl")])
            desk.search("warm-up query")
            articles = desk.stats().articles
            print(f"{len(questions)} questions, {articles} articles")
            print(f"{'retriever':<10} {'R@1':>6} {'R@5':>6} {'MRR':>6} {'p50 ms':>8} {'p95 ms':>8}")
            results = {mode: evaluate(desk, questions, mode, args.k) for mode in MODES}
            for mode, r in results.items():
                print(
                    f"{mode:<10} {r['R@1']:>6.3f} {r['R@5']:>6.3f} {r['MRR']:>6.3f} "
                    f"{r['p50 ms']:>8.1f} {r['p95 ms']:>8.1f}"
                )
            ratio = results["hybrid"]["MRR"] / results["keyword"]["MRR"]
            print(f"hybrid / BM25 MRR ratio: {ratio:.2f}")
    figures = {"questions": len(questions), "articles": articles, "retrievers": results}
    save("retrieval", figures | {"ratio_hybrid_to_bm25_mrr": ratio}, vars(args))


if __name__ == "__main__":
    main()
