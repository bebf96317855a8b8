"""What the benchmarks share: where the data is, the dev set, percentiles, timing, and writing
each run's figures as JSON (bench/results/NAME.json, with the commit and the date)."""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from newsdesk.evaluate import Question, load_questions

# The one percentile: `statistics.quantiles`, inclusive method (numpy's default), as
# `newsdesk eval` computes its latencies, so bench and eval figures are computed alike.
from newsdesk.evaluate import percentile as percentile

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the models are local; never ask the Hub

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEV = SHARED / "eval-dev"
DEV_CORPUS = DEV / "corpus.jsonl"
DEV_QUESTIONS = DEV / "questions.jsonl"
SEALED = SHARED / "eval-sealed"
TRAIN_POOL = SHARED / "train-pool" / "articles.jsonl"
# The seed article (sample/ holds a copy): five questions about it are known to be answered.
SEED_ARTICLE = SHARED / "corpus" / "north-press-daraa-jassim.txt"
DATA = ROOT / "bench" / "data"  # question sets written for the benchmarks, committed
RESULTS = ROOT / "bench" / "results"  # each benchmark's last run (not committed)


def require(path: Path) -> Path:
    """The path, or a clean exit saying what is missing."""
    if not path.exists():
        raise SystemExit(f"{path} not found (the benchmarks read ../shared beside the project)")
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSON-lines file."""
    with require(path).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def dev_questions(path: Path = DEV_QUESTIONS) -> list[dict[str, Any]]:
    """The question rows as stored: id, question, answers, doc_id (the gold article)."""
    return read_jsonl(path)


def dev_set(path: Path = DEV_QUESTIONS) -> list[Question]:
    """The questions as `newsdesk eval` reads them; a broken line stops the benchmark."""
    out = []
    for q in load_questions(require(path)):
        if isinstance(q, str):
            raise SystemExit(f"{path}: {q}")
        out.append(q)
    return out


def latency(values: Sequence[float]) -> dict[str, float]:
    """n, p50, p95 and mean of a list of latencies (in whatever unit they come)."""
    return {
        "n": len(values),
        "p50": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "mean": statistics.fmean(values) if values else math.nan,
    }


class Timer:
    """Wall-clock seconds of a block: `with Timer() as t: ...`, then `t.seconds`."""

    def __init__(self) -> None:
        self.began = time.perf_counter()
        self.seconds = 0.0

    def __enter__(self) -> Timer:
        self.began = time.perf_counter()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.seconds = time.perf_counter() - self.began

    @property
    def elapsed(self) -> float:
        """Seconds since the block began (while it runs)."""
        return time.perf_counter() - self.began


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def provenance() -> dict[str, Any]:
    """What a figure ran on: the commit, whether tracked files differed from it, the date and
    the machine's load (figures under load are not comparable with quiet ones)."""
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": None if status is None else bool(status),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "command": " ".join([*_program(), *sys.argv[1:]]),
    }


def _program() -> list[str]:
    """How the running script was started: `python -m bench.NAME`, or the file's path."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return ["python", "-m", spec.name] if spec is not None else ["python", sys.argv[0]]


def _plain(value: Any) -> Any:
    """JSON-ready: paths as strings, NaN as null, tuples as lists, floats rounded."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if hasattr(value, "item"):  # a numpy scalar
        return _plain(value.item())
    return value


def save(name: str, figures: dict[str, Any], settings: dict[str, Any] | None = None) -> Path:
    """Write one run's figures to bench/results/NAME.json (the last run of each benchmark)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    record = {"benchmark": name, **provenance(), "settings": settings or {}, "figures": figures}
    path.write_text(json.dumps(_plain(record), indent=2, ensure_ascii=False) + "\n")
    print(f"figures → {path.relative_to(ROOT)}", file=sys.stderr)
    return path
