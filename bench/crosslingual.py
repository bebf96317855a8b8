"""Arabic and cross-lingual retrieval: Arabic → English, English → Arabic and English → English
recall@1/@5 and answers with and without the multilingual vectors (same run, same archives),
and what the second vector set costs an English ingest.

Archives: the dev corpus ("dev"), and a copy where 12 dev articles are replaced by my Arabic
renderings of them (bench/data/arabic-dev-articles.jsonl: "mixed"), so the English questions
about those articles can only be answered from Arabic text.

    python -m bench.crosslingual [--home DEV_HOME] [--work build/crosslingual]
        [--ingest-articles 60] [--ingest-rounds 3] [--only SET]

Without --home the dev corpus is ingested into WORK/dev first (several minutes); archives
already in WORK are reused.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

from bench.common import (
    DATA,
    DEV_CORPUS,
    DEV_QUESTIONS,
    ROOT,
    Timer,
    percentile,
    read_jsonl,
    require,
    save,
)
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.index.vectors.embedder import load_embedder
from newsdesk.ingest.readers import read_inputs

ARTICLES = DATA / "arabic-dev-articles.jsonl"
QUESTIONS = DATA / "arabic-dev-questions.jsonl"


def ingest_cost(work: Path, articles: int, rounds: int) -> dict[str, Any]:
    """English ingest (store + embed) of the first dev articles, without and with the
    multilingual set, alternating so that load on the machine falls on both alike."""
    items = list(islice(read_inputs([str(require(DEV_CORPUS))], Settings()), articles))
    times: dict[bool, list[float]] = {False: [], True: []}
    for r in range(rounds):
        for multi in (False, True) if r % 2 == 0 else (True, False):
            home = work / f"ingest-{int(multi)}-{r}"
            shutil.rmtree(home, ignore_errors=True)
            with Newsdesk(Settings(home=home, multilingual=multi)) as desk:
                desk.warm_up()
                with Timer() as t:
                    report = desk.ingest_items(items)
                times[multi].append(t.seconds)
            shutil.rmtree(home)
    off, on = statistics.median(times[False]), statistics.median(times[True])
    print(
        f"English ingest of {articles} dev articles ({report.chunks} chunks), median of {rounds}:"
    )
    print(f"  MiniLM only {off:.1f} s, with multilingual leads {on:.1f} s: ratio {on / off:.3f}")
    return {
        "articles": articles,
        "chunks": report.chunks,
        "rounds": rounds,
        "minilm_only_s": off,
        "with_multilingual_s": on,
        "ratio": on / off,
    }


def archives(work: Path, home: Path | None) -> tuple[Path, Path]:
    """The dev archive (copied from `home`, or ingested) and the mixed one, both synced."""
    dev, mixed = work / "dev", work / "mixed"
    rendered = {a["renders"] for a in read_jsonl(ARTICLES)}
    if not dev.exists():
        if home is not None:
            shutil.copytree(home, dev)
        else:
            print("ingesting the dev corpus (several minutes)…", file=sys.stderr)
            with Newsdesk(Settings(home=dev)) as desk:
                desk.ingest([str(require(DEV_CORPUS))])
        with Newsdesk(Settings(home=dev)) as desk:
            desk.indexer.sync()  # the multilingual set of an archive indexed without it
    if not mixed.exists():
        shutil.copytree(dev, mixed)
        with Newsdesk(Settings(home=mixed)) as desk:
            for doc in rendered:
                desk.delete(desk.get(doc).id)
            desk.ingest([str(ARTICLES)])
    return dev, mixed


def evaluate(desk: Newsdesk, questions: list[dict]) -> dict[str, float]:
    """Doc-level recall of the gold article, and answers citing it first."""
    r1 = r5 = cited = answered = 0
    latencies = []
    for q in questions:
        ids = [h.article.external_id for h in desk.search(q["question"], 5)]
        r1 += ids[:1] == [q["gold"]]
        r5 += q["gold"] in ids
        with Timer() as t:
            answer = desk.ask(q["question"])
        latencies.append(t.seconds * 1000)
        answered += answer.answerable
        first = answer.sources[0].external_id if answer.answerable else None
        cited += first == q["gold"]
    n = len(questions)
    return {
        "R@1": r1 / n,
        "R@5": r5 / n,
        "answered": answered / n,
        "cites gold": cited / n,
        "p50 ms": percentile(latencies, 0.5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="an indexed dev archive to copy (not changed)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "crosslingual")
    parser.add_argument("--ingest-articles", type=int, default=60)
    parser.add_argument("--ingest-rounds", type=int, default=3, help="0: skip the ingest cost")
    parser.add_argument("--only", default="", help="only the sets whose name holds this")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {}
    if args.ingest_rounds:
        figures["ingest_cost"] = ingest_cost(args.work, args.ingest_articles, args.ingest_rounds)
    dev_home, mixed_home = archives(args.work, args.home)
    english = read_jsonl(DEV_QUESTIONS)
    rendered = {a["renders"] for a in read_jsonl(ARTICLES)}
    sets = {
        "Ar→En (dev)": (
            dev_home,
            [q | {"gold": q["doc_id"]} for q in read_jsonl(QUESTIONS)],
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
            figures.setdefault("sets", {}).setdefault(name, {})[label] = r | {"n": len(questions)}
            print(
                f"{name:<15} {len(questions):>4} {label:<22} {r['R@1']:>6.3f} {r['R@5']:>6.3f} "
                f"{r['answered']:>9.3f} {r['cites gold']:>10.3f} {r['p50 ms']:>8.0f}"
            )
    save("crosslingual", figures, vars(args))


if __name__ == "__main__":
    main()
