"""Passage size and overlap against retrieval, answers and ingest cost, on the dev set.

For each chunking (sentences per passage / sentences of overlap) the dev corpus is ingested
with the real model into a fresh archive, timed, then `newsdesk eval`'s scoring runs on the
dev questions. The baseline is the first chunking listed (today's default), measured in the
same run: word pieces embedded (what ingest time follows) are given as a ratio to it. With
`--work`, an archive already there for a chunking is scored as it is, not ingested again
(its ingest time is then not measured).

    python -m bench.chunking [--work DIR] [--chunkings 3/1,4/0,3/0,5/1,4/1] [--dev FOLDER]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bench.common import DEV, Timer, dev_set, require, save
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.evaluate import evaluate
from newsdesk.index.vectors.embedder import load_embedder
from newsdesk.index.vectors.sync import passage_text

COLUMNS = ("recall@1", "recall@5", "mrr", "contains_gold", "short_exact_match", "abstention_rate")


def measure(settings: Settings, dev: Path) -> dict[str, float]:
    """Ingest the dev corpus under these settings, then score the dev questions on it."""
    embedder = load_embedder(settings.model, threads=settings.torch_threads)
    reused = settings.db_path.exists()
    with Newsdesk(settings, embedder=embedder) as desk:
        with Timer() as ingest:
            if not reused:
                desk.ingest([str(require(dev / "corpus.jsonl"))])
        load = os.getloadavg()[0]
        hits = desk.archive.chunks(desk.archive.all_chunk_ids())
        pieces = sum(min(256, embedder.count_tokens(passage_text(h))) for h in hits)
        (scores,) = evaluate(desk, dev_set(dev / "questions.jsonl"))
        articles = desk.archive.stats().articles
    return {
        "articles": articles,
        "chunks": len(hits),
        "pieces": pieces,
        "seconds": 0.0 if reused else ingest.seconds,
        "load": load,
    } | {key: float(scores[key]) for key in COLUMNS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEV, help="folder with corpus/questions")
    parser.add_argument(
        "--chunkings",
        default="3/1,4/0,3/0,5/1,4/1",
        help="sentences/overlap, comma-separated; the first is the baseline",
    )
    parser.add_argument("--work", type=Path, help="keep the archives here (default: temporary)")
    args = parser.parse_args()
    rows: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for chunking in args.chunkings.split(","):
            sentences, overlap = (int(x) for x in chunking.split("/"))
            home = (args.work or Path(tmp)) / f"s{sentences}o{overlap}"
            settings = Settings(
                home=home, chunk_sentences=sentences, chunk_overlap_sentences=overlap
            )
            rows.append((chunking, measure(settings, args.dev)))
            print(chunking, rows[-1], flush=True)
    base = rows[0][1]
    print(
        "| chunking | chunks/article | pieces ratio | ingest s (load) | chunks/s | "
        "R@1 | R@5 | MRR | contains | short EM | declined |"
    )
    for chunking, r in rows:
        timed = "reused | –"
        if r["seconds"]:
            timed = f"{r['seconds']:.0f} ({r['load']:.1f}) | {r['chunks'] / r['seconds']:.1f}"
        print(
            f"| {chunking} | {r['chunks'] / r['articles']:.1f} | "
            f"{r['pieces'] / base['pieces']:.2f} | {timed} | "
            + " | ".join(f"{r[key]:.3f}" for key in COLUMNS)
            + " |"
        )
    figures = {c: r | {"pieces_ratio": r["pieces"] / base["pieces"]} for c, r in rows}
    save("chunking", {"baseline": rows[0][0], "chunkings": figures}, vars(args))


if __name__ == "__main__":
    main()
