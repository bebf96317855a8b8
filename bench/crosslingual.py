"""Arabic and cross-lingual retrieval: Arabic → English, English → Arabic and English → English
recall@1/@5 and answers with and without the multilingual vectors (same run, same archives),
and what the second vector set costs an English ingest.

Archives: the dev corpus ("dev"), and a copy where 12 dev articles are replaced by my Arabic
renderings of them (bench/data/arabic-dev-articles.jsonl: "mixed"), so the English questions
about those articles can only be answered from Arabic text.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from dataclasses import replace
from itertools import islice
from pathlib import Path

# See bench/ingest.py: the project root, not this folder, must come first on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.index.vectors.embedder import load_embedder
from newsdesk.ingest.readers import read_inputs

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval-dev"
DATA = ROOT / "bench" / "data"


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8")]


def ingest_cost(work: Path, articles: int, rounds: int) -> None:
    """English ingest (store + embed) of the first dev articles, without and with the
    multilingual set, alternating so that load on the machine falls on both alike."""
    items = list(islice(read_inputs([str(DEV / "corpus.jsonl")], Settings()), articles))
    times: dict[bool, list[float]] = {False: [], True: []}
    for r in range(rounds):
        for multi in (False, True) if r % 2 == 0 else (True, False):
            home = work / f"ingest-{int(multi)}-{r}"
            shutil.rmtree(home, ignore_errors=True)
            with Newsdesk(Settings(home=home, multilingual=multi)) as desk:
                desk.warm_up()
                start = time.perf_counter()
                report = desk.ingest_items(items)
                times[multi].append(time.perf_counter() - start)
            shutil.rmtree(home)
    off, on = statistics.median(times[False]), statistics.median(times[True])
    print(
        f"English ingest of {articles} dev articles ({report.chunks} chunks), median of {rounds}:"
    )
    print(f"  MiniLM only {off:.1f} s, with multilingual leads {on:.1f} s: ratio {on / off:.3f}")


def archives(work: Path, home: Path | None) -> tuple[Path, Path]:
    """The dev archive (copied from `home`, or ingested) and the mixed one, both synced."""
    dev, mixed = work / "dev", work / "mixed"
    rendered = {a["renders"] for a in load(DATA / "arabic-dev-articles.jsonl")}
    if not dev.exists():
        if home is not None:
            shutil.copytree(home, dev)
        else:
            print("ingesting the dev corpus (several minutes)…", file=sys.stderr)
            with Newsdesk(Settings(home=dev)) as desk:
                desk.ingest([str(DEV / "corpus.jsonl")])
        with Newsdesk(Settings(home=dev)) as desk:
            desk.indexer.sync()  # the multilingual set of an archive indexed without it
    if not mixed.exists():
        shutil.copytree(dev, mixed)
        with Newsdesk(Settings(home=mixed)) as desk:
            for doc in rendered:
                desk.delete(desk.get(doc).id)
            desk.ingest([str(DATA / "arabic-dev-articles.jsonl")])
    return dev, mixed


def evaluate(desk: Newsdesk, questions: list[dict]) -> dict[str, float]:
    """Doc-level recall of the gold article, and answers citing it first."""
    r1 = r5 = cited = answered = 0
    latencies = []
    for q in questions:
        ids = [h.article.external_id for h in desk.search(q["question"], 5)]
        r1 += ids[:1] == [q["gold"]]
        r5 += q["gold"] in ids
        start = time.perf_counter()
        answer = desk.ask(q["question"])
        latencies.append((time.perf_counter() - start) * 1000)
        answered += answer.answerable
        first = answer.sources[0].external_id if answer.answerable else None
        cited += first == q["gold"]
    n = len(questions)
    return {
        "R@1": r1 / n,
        "R@5": r5 / n,
        "answered": answered / n,
        "cites gold": cited / n,
        "p50 ms": statistics.median(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, help="an indexed dev archive to copy (not changed)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "crosslingual")
    parser.add_argument("--ingest-articles", type=int, default=60)
    parser.add_argument("--ingest-rounds", type=int, default=3, help="0: skip the ingest cost")
    parser.add_argument("--only", default="", help="only the sets whose name holds this")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.ingest_rounds:
        ingest_cost(args.work, args.ingest_articles, args.ingest_rounds)
    dev_home, mixed_home = archives(args.work, args.home)
    english = load(DEV / "questions.jsonl")
    rendered = {a["renders"] for a in load(DATA / "arabic-dev-articles.jsonl")}
    sets = {
        "Ar→En (dev)": (
            dev_home,
            [q | {"gold": q["doc_id"]} for q in load(DATA / "arabic-dev-questions.jsonl")],
        ),
        "En→Ar (mixed)": (
            mixed_home,
            [q | {"gold": f"ar-{q['doc_id']}"} for q in english if q["doc_id"] in rendered],
        ),
        "En→En (dev)": (dev_home, [q | {"gold": q["doc_id"]} for q in english]),
        "En→En (mixed)": (
            mixed_home,
            [q | {"gold": q["doc_id"]} for q in english if q["doc_id"] not in rendered],
        ),
    }
    embedder = load_embedder("all-MiniLM-L6-v2")
    print(
        f"{'set':<15} {'n':>4} {'vectors':<22} {'R@1':>6} {'R@5':>6} {'answered':>9} "
        f"{'cites gold':>10} {'p50 ms':>8}"
    )
    for name, (home, questions) in sets.items():
        if args.only not in name:
            continue
        for multi in (False, True):
            settings = replace(Settings(home=home), multilingual=multi)
            with Newsdesk(settings, embedder=embedder) as desk:
                desk.warm_up()
                r = evaluate(desk, questions)
            label = "MiniLM + multilingual" if multi else "MiniLM only"
            print(
                f"{name:<15} {len(questions):>4} {label:<22} {r['R@1']:>6.3f} {r['R@5']:>6.3f} "
                f"{r['answered']:>9.3f} {r['cites gold']:>10.3f} {r['p50 ms']:>8.0f}"
            )


if __name__ == "__main__":
    main()
