"""What the reader sees for each question of a set, saved for learning from: the candidate
sentences with the rules' features, the abstention signals, the articles' named entities;
once with the archive as it is, and once with the question's own article (and its copies)
left out of what was retrieved, as if the archive lacked it.

    python train/readings.py --home build/pool train/data/pool-questions.jsonl build/pool.pkl

The archive must hold the questions' articles (`newsdesk ingest` of the same articles first).
Used by train/reader.py; the questions' gold answers travel with them.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from newsdesk import Answer, Newsdesk, NewsdeskError, Settings
from newsdesk.index.read.abstain import signals
from newsdesk.index.read.extractive import ExtractiveReader
from newsdesk.index.read.types import Reading
from newsdesk.index.search.hybrid import Hit


class Recorder:
    """A Reader that keeps what the extractive reader would weigh, both ways."""

    def __init__(self, reader: ExtractiveReader, frequencies: Any) -> None:
        self.reader, self.frequencies = reader, frequencies
        self.gold: set[int] = set()
        self.seen: dict[str, Any] = {}

    def view(self, reading: Reading, hits: list[Hit]) -> dict[str, Any]:
        found = self.reader.candidates(reading.question, reading.query, hits)
        rows = []
        for c in found:
            row = asdict(c)
            row["article"] = c.article.id
            rows.append(row)
        support = max((self.reader.support(c) for c in found if c.retrieved), default=None)
        s = signals(self.frequencies, reading.query, hits, found, support or 0.0)
        return {
            "candidates": rows,
            "support": support,
            "signals": asdict(s),
            "hits": [(h.article.id, h.score, h.dense, h.keyword) for h in hits],
        }

    def read(self, reading: Reading) -> Answer:
        withheld = [
            h for h in reading.hits if (h.article.cluster_id or h.article.id) not in self.gold
        ]
        self.seen = {
            "question": reading.question,
            "query": reading.query,
            "full": self.view(reading, reading.hits),
            "withheld": self.view(reading, withheld),
            "articles": {h.article.id: h.article for h in reading.hits},
        }
        return self.reader.read(reading)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, help="JSONL: id, question, answers, doc_id")
    parser.add_argument("out", type=Path, help="a pickle of one record per question")
    parser.add_argument("--home", type=Path, required=True, help="the archive to ask")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.questions.open(encoding="utf-8")]
    records = []
    began = time.monotonic()
    # Rules only: what is recorded is what the learned reader will weigh, not its choices.
    with Newsdesk(Settings(home=args.home, entities=False)) as desk:
        answerer = desk.answerer
        recorder = Recorder(answerer.extractive, desk.archive.term_frequencies)
        for i, q in enumerate(questions[: args.limit]):
            gold = desk.get(q["doc_id"])
            recorder.gold = {gold.cluster_id or gold.id}
            try:
                # A RealTime QA question's "this week" is the week it was asked.
                as_of = date.fromisoformat(q["date"][:10]) if q.get("date") else None
                answerer.read(q["question"], as_of=as_of, reader=recorder)
            except NewsdeskError as e:  # a generated question of only common words
                print(f"{q['id']}: {e}", file=sys.stderr)
                continue
            seen = recorder.seen
            articles = seen.pop("articles")
            seen["entities"] = desk.archive.entities(list(articles))
            seen["texts"] = {a: articles[a].text for a in articles}
            seen["languages"] = {a: articles[a].language for a in articles}
            records.append(q | {"gold_article": gold.id} | seen)
            if i % 50 == 0:
                print(f"{i} questions, {time.monotonic() - began:.0f} s", file=sys.stderr)
    with args.out.open("wb") as f:
        pickle.dump(records, f)
    print(f"{len(records)} readings in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
