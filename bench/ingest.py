"""Ingest throughput: read + chunk + store, then embedding through the pipeline vs bare encode.

    python -m bench.ingest [--corpus FILE] [--embed-articles 100]

The whole corpus (default: the dev corpus) is read, chunked and stored without embedding; then
the chunks of its first N articles are embedded twice, by a bare `encode` of the model and by
newsdesk's index sync of MiniLM's vector set (calls of `ENCODE_SLICE` passages of like length,
FAISS add, index save, SQLite bookkeeping). The ratio of the two times is the figure to compare
between runs.
"""

from __future__ import annotations

import argparse
import tempfile
from itertools import islice
from pathlib import Path

from bench.common import DEV_CORPUS, Timer, require, save
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder
from newsdesk.index.vectors.sync import passage_text
from newsdesk.ingest.readers import read_inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEV_CORPUS)
    parser.add_argument(
        "--embed-articles", type=int, default=100, help="articles whose chunks are embedded"
    )
    args = parser.parse_args()
    corpus = str(require(args.corpus))
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "store")
        with Newsdesk(settings, embedder=embedder) as desk, Timer() as stored:
            report = desk.ingest([corpus], index=False)
        articles, chunks = len(report.outcomes), report.chunks
        took = stored.seconds
        print(f"read+chunk+store: {articles} articles, {chunks} chunks in {took:.1f} s")
        print(f"  {articles / took:.1f} articles/s, {chunks / took:.1f} chunks/s")

        settings = Settings(home=Path(tmp) / "embed")
        with Newsdesk(settings, embedder=embedder) as desk:
            items = islice(read_inputs([corpus], settings), args.embed_articles)
            desk.ingest_items(items, index=False)
            texts = [passage_text(h) for h in desk.archive.pending_chunks(10**9)]
            with Timer() as bare:
                embedder.encode(texts)
            with Timer() as piped:
                # MiniLM's set alone, like the bare encode (the multilingual set's cost is
                # bench.crosslingual's to measure).
                done = desk.indexer.sync(multi=False)
        print(f"embedding {done} chunks of {args.embed_articles} articles:")
        print(f"  bare model encode:              {done / bare.seconds:.1f} chunks/s")
        print(f"  newsdesk index sync:             {done / piped.seconds:.1f} chunks/s")
        print(f"  pipeline / bare time ratio:      {piped.seconds / bare.seconds:.2f}")
    save(
        "ingest",
        {
            "store": {"articles": articles, "chunks": chunks, "seconds": took},
            "embed": {
                "chunks": done,
                "bare_chunks_per_s": done / bare.seconds,
                "sync_chunks_per_s": done / piped.seconds,
                "ratio_sync_to_bare": piped.seconds / bare.seconds,
            },
        },
        vars(args),
    )


if __name__ == "__main__":
    main()
