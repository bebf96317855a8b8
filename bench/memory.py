"""Peak memory of an ingest, and where it goes.

Ingests a corpus (with embedding) into a fresh archive in this process and prints the
resident set at each stage: interpreter with newsdesk imported, model loaded, model warmed
up, then the highest seen while ingesting and the kernel's own peak (VmHWM). The baseline is
the model alone warmed up: what any ingest must hold. `--copies N` re-ingests the corpus
N times under new ids (a larger archive from the same articles).

`--stand-in` leaves the model out: vectors of its size drawn at random per passage, word
pieces counted by its own tokenizer (so the chunks are the same). What is left is what grows
with the archive (SQLite, FTS5, FAISS, Python objects), measured in minutes where the model
would take an hour; the model's own share does not depend on the archive's size.

    python -m bench.memory [--corpus FILE] [--copies N] [--articles N] [--stand-in]
        [--no-multilingual]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.common import DEV_CORPUS, Timer, require, save
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.index.vectors.embedder import Embedder, model_path
from newsdesk.index.vectors.sync import ENCODE_SLICE


def status(field: str) -> int:
    """A /proc/self/status figure in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    return 0


class StandIn:
    """The model's tokenizer and vector size, without the model (no torch either)."""

    name = "stand-in"
    dim = 384

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_path("all-MiniLM-L6-v2") / "tokenizer.json"))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = [np.random.default_rng(zlib.crc32(t.encode())).normal(size=self.dim) for t in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)


def copies(corpus: Path, n: int, folder: Path) -> Path:
    """The corpus n times, each copy under new ids and with its title marked, so that
    dedup files each copy as a near-copy of the first (stored and embedded all the same)."""
    path = folder / "copies.jsonl"
    with path.open("w") as out:
        for copy in range(n):
            for line in corpus.open():
                record = json.loads(line)
                record["id"] = f"{record.get('id')}-c{copy}"
                record["title"] = f"{record.get('title', '')} ({copy})"
                out.write(json.dumps(record) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEV_CORPUS)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--articles", type=int, default=0, help="only the first N (0: all)")
    parser.add_argument("--stand-in", action="store_true", help="random vectors, no model")
    parser.add_argument(
        "--no-multilingual", action="store_true", help="without the multilingual vector set"
    )
    args = parser.parse_args()
    stages = {"python + newsdesk imported": status("VmRSS")}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = require(args.corpus)
        if args.copies > 1 or args.articles:
            corpus = copies(corpus, args.copies, Path(tmp))
            if args.articles:
                lines = corpus.read_text().splitlines()[: args.articles]
                corpus.write_text("\n".join(lines) + "\n")
        embedder: Embedder | None = StandIn() if args.stand_in else None
        settings = Settings(home=Path(tmp) / "home", multilingual=not args.no_multilingual)
        with Newsdesk(settings, embedder=embedder) as desk:
            _ = desk.embedder
            stages["model loaded"] = status("VmRSS")
            # One full-length call of the size an ingest makes (a bigger one here would set
            # the peak itself).
            desk.embedder.encode(["warm-up " * 200] * ENCODE_SLICE)
            warm = f"model warmed up ({ENCODE_SLICE} x 256 call)"
            stages[warm] = base = status("VmRSS")
            high = [0]

            def sample(_: int) -> None:
                high[0] = max(high[0], status("VmRSS"))

            with Timer() as ingest:
                report = desk.ingest([str(corpus)], on_embedded=sample)
            took = ingest.seconds
            stages["highest while ingesting"] = high[0]
            stages["peak (VmHWM)"] = status("VmHWM")
            size = desk.settings.index_path.stat().st_size // 2**20
            db = desk.settings.db_path.stat().st_size // 2**20
    print(f"{len(report.outcomes)} articles, {report.chunks} chunks in {took:.0f} s")
    print(f"index file {size} MB, archive.db {db} MB")
    for stage, mb in stages.items():
        print(f"  {stage:40} {mb:6} MB")
    print(f"peak / model-alone ratio: {stages['peak (VmHWM)'] / base:.2f}")
    grown = stages["peak (VmHWM)"] - base
    print(f"grown over the warmed-up model: {grown * 2**20 / report.chunks:.0f} bytes a chunk")
    figures = {
        "articles": len(report.outcomes),
        "chunks": report.chunks,
        "seconds": took,
        "index_mb": size,
        "db_mb": db,
        "stages_mb": stages,
        "ratio_peak_to_warm_model": stages["peak (VmHWM)"] / base,
        "bytes_a_chunk_over_warm_model": grown * 2**20 / report.chunks,
    }
    save("memory", figures, vars(args))


if __name__ == "__main__":
    main()
