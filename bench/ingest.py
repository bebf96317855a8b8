"""Ingest throughput: read + chunk + store, then embedding through the pipeline vs bare encode."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and its name would shadow the
# `ingest` package; the project root must come first instead.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder
from newsdesk.index.vectors.sync import passage_text
from newsdesk.ingest.readers import read_inputs

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "eval-dev" / "corpus.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument(
        "--embed-articles", type=int, default=100, help="articles whose chunks are embedded"
    )
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "store")
        with Newsdesk(settings, embedder=embedder) as desk:
            start = time.perf_counter()
            report = desk.ingest([str(args.corpus)], index=False)
            took = time.perf_counter() - start
        articles, chunks = len(report.outcomes), report.chunks
        print(f"read+chunk+store: {articles} articles, {chunks} chunks in {took:.1f} s")
        print(f"  {articles / took:.1f} articles/s, {chunks / took:.1f} chunks/s")

        settings = Settings(home=Path(tmp) / "embed")
        with Newsdesk(settings, embedder=embedder) as desk:
            items = islice(read_inputs([str(args.corpus)], settings), args.embed_articles)
            desk.ingest_items(items, index=False)
            texts = [passage_text(h) for h in desk.archive.pending_chunks(10**9)]
            start = time.perf_counter()
            embedder.encode(texts)
            bare = time.perf_counter() - start
            start = time.perf_counter()
            done = desk.indexer.sync()
            piped = time.perf_counter() - start
        print(f"embedding {done} chunks of {args.embed_articles} articles:")
        print(f"  bare model encode:              {done / bare:.1f} chunks/s")
        print(f"  newsdesk index sync:             {done / piped:.1f} chunks/s")
        print(f"  pipeline / bare time ratio:      {piped / bare:.2f}")


if __name__ == "__main__":
    main()
