"""Generated vs extractive answers on dev questions: quality, the check, and time to first text.

    python -m bench.generated --home DEV_HOME [--limit 20] [--llm-url URL --llm NAME]

DEV_HOME holds the dev corpus (`newsdesk --home DEV_HOME ingest ../shared/eval-dev/corpus.jsonl`).
Each question is answered extractively, then the configured language model (the packaged one
unless --llm-url names an OpenAI-compatible server) writes from the same passages; the first
piece of its text is what a Telegram user would see first. Prints both systems' containment,
short EM/F1 and latency, how often the check kept the generated answer, and the ratio of the
generated answer's latency to the extractive one's, measured in the same run.
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.common import dev_set, percentile, save
from newsdesk import Newsdesk, Settings
from newsdesk.evaluate import Question, contains_gold, exact_match, token_f1
from newsdesk.index.read.types import Answer, strip_markers


@dataclass
class Row:
    question: Question
    extractive: Answer
    generated: Answer
    extractive_s: float
    generated_s: float
    first_text_s: float  # the extractive answer, or the model's first words once it writes


def scores(answer: Answer, q: Question) -> tuple[float, float, float]:
    text = strip_markers(answer.text) if answer.answerable else ""
    short = answer.short or text
    return contains_gold(text, q.answers), exact_match(short, q.answers), token_f1(text, q.answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--llm-url")
    parser.add_argument("--llm", default=Settings.llm)
    args = parser.parse_args()
    settings = replace(
        Settings(home=args.home), reader="generative", llm_url=args.llm_url, llm=args.llm
    )
    questions = dev_set()
    rows = []
    with Newsdesk(settings) as desk:
        desk.warm_up()
        _ = desk.model  # loaded before timing, as a running bot has it
        for q in itertools.islice(questions, args.limit):
            began = time.perf_counter()
            extractive, writing = desk.ask_then_write(q.question, as_of=q.as_of)
            took = time.perf_counter() - began
            first = None
            if writing is not None:
                for _ in writing.pieces():
                    first = first or time.perf_counter() - began
            generated = writing.answer() if writing else extractive
            rows.append(
                Row(q, extractive, generated, took, time.perf_counter() - began, first or took)
            )
            print(f"{q.id}: {generated.generated or 'abstained'}", flush=True)
    print(f"\n{len(rows)} questions, model {settings.llm}")
    print(f"{'':<22}{'contains':>10}{'short EM':>10}{'F1':>8}{'p50 s':>8}{'p95 s':>8}")
    figures: dict[str, Any] = {"questions": len(rows), "model": settings.llm}
    for name, extractive_side in (("extractive", True), ("generated (checked)", False)):
        s = [scores(r.extractive if extractive_side else r.generated, r.question) for r in rows]
        t = [r.extractive_s if extractive_side else r.generated_s for r in rows]
        mean = [sum(x[i] for x in s) / len(s) for i in range(3)]
        p50, p95 = percentile(t, 0.5), percentile(t, 0.95)
        print(f"{name:<22}{mean[0]:>10.3f}{mean[1]:>10.3f}{mean[2]:>8.3f}{p50:>8.2f}{p95:>8.2f}")
        figures[name] = {"contains": mean[0], "short_em": mean[1], "f1": mean[2]}
        figures[name] |= {"p50_s": p50, "p95_s": p95}
    outcomes = [r.generated.generated for r in rows if r.generated.generated]
    figures["check"] = {}
    for outcome in ("grounded", "replaced", "declined", "failed"):
        n = sum(1 for o in outcomes if o.split(":")[0] == outcome)
        figures["check"][outcome] = n
        print(f"check: {outcome:<10} {n}/{len(outcomes)}")
    first = percentile([r.first_text_s for r in rows], 0.5)
    print(f"first visible generated text: median {first:.2f} s")
    ratio = percentile([r.generated_s for r in rows], 0.5) / percentile(
        [r.extractive_s for r in rows], 0.5
    )
    print(f"generated p50 / extractive p50, same run: {ratio:.1f}")
    figures |= {"first_text_p50_s": first, "ratio_generated_to_extractive_p50": ratio}
    save("generated", figures, vars(args))


if __name__ == "__main__":
    main()
