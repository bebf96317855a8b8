"""The pool articles a training archive holds: the first `--asked` in the order train/synth.py
asks about them (so every generated question's article is there, while the generator runs on),
and the articles it holds out, which no question is about and which retrieval meets as
distractors. About the size of the dev archive, so retrieval looks as it does there.

    python train/pool_subset.py ../shared/train-pool/articles.jsonl build/pool-subset.jsonl
    newsdesk --home build/pool ingest build/pool-subset.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from synth import RESERVE, split_pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=Path, help="the pool (JSONL with id and text)")
    parser.add_argument("out", type=Path, help="the subset, JSONL")
    parser.add_argument("--asked", type=int, default=500, help="articles asked about, in order")
    parser.add_argument("--reserve", type=int, default=RESERVE, help="as train/synth.py's")
    args = parser.parse_args()
    docs = [json.loads(line) for line in args.articles.open(encoding="utf-8")]
    asked, held = split_pool(docs, args.reserve)
    subset = asked[: args.asked] + held
    with args.out.open("w", encoding="utf-8") as out:
        out.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in subset)
    print(f"{len(subset)} articles in {args.out}")


if __name__ == "__main__":
    main()
