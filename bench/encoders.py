"""Ingest throughput by encoder: torch, ONNX fp32, ONNX int8, and a local embeddings server.

    python -m bench.encoders [--corpus FILE] [--limit N] [--encoders torch,onnx,onnx-int8,server]

Each encoder ingests the same corpus (default: the dev corpus) into an archive of its own, with
the default settings otherwise (multilingual set, named entities), in a process of its own:
wall time, passages/s, the time spent in MiniLM's `encode`, and the process's peak resident set.
The server run starts `fakes.embeddings` (`--server-encoder`, default onnx-int8) on 127.0.0.1
and embeds through it (its own peak RSS is reported beside). Then recall of the gold article
(dev questions; R@1, R@5, MRR; dense and hybrid) on each archive. Ratios are to torch, the
baseline, in the same run: run it alone on the machine. ONNX files are exported before timing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import DEV_CORPUS, DEV_QUESTIONS, ROOT, Timer, dev_questions, require, save
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.index.vectors.embedder import model_path
from newsdesk.index.vectors.encoders import load_encoder
from newsdesk.index.vectors.onnx import onnx_file
from newsdesk.ingest.readers import read_inputs

from fakes.embeddings import EmbeddingServer

ENCODERS = ("torch", "onnx", "onnx-int8", "server")
MODEL = "all-MiniLM-L6-v2"


class TimedEncode:
    """An embedder whose `encode` calls are timed (everything else passed through)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.seconds, self.texts = inner, 0.0, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        began = time.perf_counter()
        try:
            return np.asarray(self.inner.encode(texts))
        finally:
            self.seconds += time.perf_counter() - began
            self.texts += len(texts)


def recall(desk: Newsdesk, questions: list[dict[str, Any]], k: int = 10) -> dict[str, Any]:
    """Rank of the gold article among the articles found, dense and hybrid."""
    held = {a.external_id for a in desk.articles(limit=None)}
    asked = [q for q in questions if q["doc_id"] in held]
    out: dict[str, Any] = {"questions": len(asked)}
    for mode in ("dense", "hybrid"):
        ranks = []
        for q in asked:
            ids = [h.article.external_id for h in desk.search(q["question"], k, mode=mode)]
            ranks.append(ids.index(q["doc_id"]) + 1 if q["doc_id"] in ids else None)
        n = max(1, len(asked))
        out[mode] = {
            "R@1": sum(r == 1 for r in ranks) / n,
            "R@5": sum(r is not None and r <= 5 for r in ranks) / n,
            "MRR": sum(1 / r for r in ranks if r) / n,
        }
    return out


def one(args: argparse.Namespace) -> None:
    """A child: ingest with one encoder, print its figures as one JSON line."""
    if args.encoder == "server":
        settings = Settings(home=args.home, embeddings_url=args.url, embeddings_model=MODEL)
    else:
        settings = Settings(home=args.home, encoder=args.encoder)
    items = read_inputs([str(args.corpus)], settings)
    if args.limit:
        items = islice(items, args.limit)
    embedder = TimedEncode(load_encoder(settings))
    with Newsdesk(settings, embedder=embedder) as desk:
        with Timer() as wall:
            report = desk.ingest_items(items)
        figures: dict[str, Any] = {
            "encoder": args.encoder,
            "model": embedder.name,
            "articles": len(report.outcomes),
            "passages": report.chunks,
            "seconds": wall.seconds,
            "passages_per_s": report.chunks / wall.seconds,
            "encode_seconds": embedder.seconds,
            "encode_passages_per_s": embedder.texts / max(embedder.seconds, 1e-9),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
        if args.questions:
            figures["recall"] = recall(desk, dev_questions(args.questions))
    print(json.dumps(figures), flush=True)


def peak_mb(pid: int) -> float:
    """A running process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(encoder: str, home: Path, args: argparse.Namespace, url: str = "") -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.encoders", "--one", encoder, "--home", str(home)]
    command += ["--corpus", str(args.corpus), "--url", url, "--limit", str(args.limit or 0)]
    command += ["--questions", str(args.questions)] if args.questions else ["--no-recall"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{encoder}: {done.stderr.strip()[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEV_CORPUS)
    parser.add_argument("--limit", type=int, default=0, help="only the first N articles")
    parser.add_argument("--encoders", default=",".join(ENCODERS))
    parser.add_argument("--server-encoder", default="onnx-int8", help="what the server runs")
    parser.add_argument("--questions", type=Path, default=DEV_QUESTIONS, help="for recall")
    parser.add_argument("--no-recall", action="store_true", help="ingest throughput only")
    # A child's own arguments (one encoder's ingest).
    parser.add_argument("--one", dest="encoder", help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.no_recall:
        args.questions = None
    if args.encoder:
        one(args)
        return
    require(args.corpus)
    encoders = [e for e in args.encoders.split(",") if e]
    if unknown := set(encoders) - set(ENCODERS):
        raise SystemExit(f"unknown encoders {sorted(unknown)}: use {', '.join(ENCODERS)}")
    # Exported before any timing (the first use of each ONNX file exports it).
    folder = model_path(MODEL)
    for int8 in (False, True):
        onnx_file(folder, Settings().encoder_cache, int8=int8)
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for encoder in encoders:
            home = Path(tmp) / encoder
            if encoder != "server":
                runs[encoder] = child(encoder, home, args)
            else:
                env = os.environ | {"NEWSDESK_ENCODER": args.server_encoder}
                with EmbeddingServer(
                    "--encoder", args.server_encoder, "--model", MODEL, env=env
                ) as server:
                    runs[encoder] = child(encoder, home, args, server.url)
                    assert server.process is not None
                    runs[encoder]["server_peak_rss_mb"] = peak_mb(server.process.pid)
                    runs[encoder]["server_encoder"] = args.server_encoder
            print_run(runs[encoder], runs.get("torch"))
    base = runs.get("torch")
    if base:
        for run in runs.values():
            run["passages_per_s_vs_torch"] = run["passages_per_s"] / base["passages_per_s"]
            run["encode_vs_torch"] = run["encode_passages_per_s"] / base["encode_passages_per_s"]
    save("encoders", {"runs": runs}, {k: v for k, v in vars(args).items() if k != "encoder"})


def print_run(run: dict[str, Any], base: dict[str, Any] | None) -> None:
    ratio = f" ({run['passages_per_s'] / base['passages_per_s']:.2f}× torch)" if base else ""
    line = (
        f"{run['encoder']:<10} {run['passages']} passages in {run['seconds']:.1f} s: "
        f"{run['passages_per_s']:.1f}/s{ratio}; encode {run['encode_passages_per_s']:.1f}/s; "
        f"peak {run['peak_rss_mb']:.0f} MB"
    )
    if "server_peak_rss_mb" in run:
        line += f" (+ server {run['server_peak_rss_mb']:.0f} MB)"
    print(line)
    for mode in ("dense", "hybrid"):
        if "recall" in run:
            r = run["recall"][mode]
            print(f"    {mode:<7} R@1 {r['R@1']:.3f}  R@5 {r['R@5']:.3f}  MRR {r['MRR']:.3f}")


if __name__ == "__main__":
    main()
