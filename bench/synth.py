"""Synthetic questions over the dev articles that no dev question asks about, written by the
packaged language model: a second question set whose answers no reader rule was tuned on.

    python bench/synth.py bench/data/synthetic-questions.jsonl [--minutes 60]

The 400 NewsQA articles of ../shared/eval-dev with no dev question each give two passages (the
lead, and four sentences from the middle); Qwen2.5-1.5B (`make llm`) writes three questions a
passage, each with a short answer to be copied from it. A pair is kept when the answer is in
the article word for word, is at most 8 words long, is not in its question, and the question
is new. Kept pairs are appended as they come, so a rerun resumes after the last article that gave
some. About 9 kept questions a minute on 2 cores.

The questions are rougher than the dev ones: some lean on a pronoun ("What was the cause of
his death?"), and a model that sees the passage reuses its words more than NewsQA's crowd did
(who saw only the headline). Use them to check that a change holds beyond the dev questions,
not as a target. Their figures: bench/README.md, "Synthetic questions".
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

from newsdesk.config import Settings
from newsdesk.index.generate.llm import ChatMessage, load_chat_model
from newsdesk.text.sentences import split_sentences

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval-dev"
SYSTEM = (
    "You write reading-comprehension questions about news. Each answer is a short phrase "
    "copied word for word from the passage (1 to 6 words). Ask like a reader who has only "
    "seen the headline: short questions, other words than the passage where natural "
    "(who, what, when, where, which, how many, why)."
)
EXAMPLE_PASSAGE = (
    "(CNN) -- The Scottish Rugby Union has appointed Andy Robinson, formerly coach of bitter "
    "rivals England, as the new national team boss. The 45-year-old won eight caps as a "
    "flanker for England and was head coach from 2004 to 2006."
)
EXAMPLE_QUESTIONS = (
    "Q: Who will coach Scotland's national rugby team? | A: Andy Robinson\n"
    "Q: How many caps did the new coach win as a player? | A: eight\n"
    "Q: Which team did Robinson coach before? | A: England"
)
_LINE = re.compile(r"Q:\s*(.+?)\s*\|\s*A:\s*(.+)")
MAX_ANSWER_WORDS = 8


def messages(passage: str) -> list[ChatMessage]:
    """One worked example, then the passage."""
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Passage: {EXAMPLE_PASSAGE}\n\nWrite 3 questions."},
        {"role": "assistant", "content": EXAMPLE_QUESTIONS},
        {"role": "user", "content": f"Passage: {passage}\n\nWrite 3 questions."},
    ]


def kept(question: str, answer: str, text: str) -> bool:
    """The answer is the article's own words, short, and not given away by the question."""
    return (
        bool(answer)
        and answer in text
        and len(answer.split()) <= MAX_ANSWER_WORDS
        and answer.lower() not in question.lower()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="questions JSONL, appended to")
    parser.add_argument("--minutes", type=float, default=60.0, help="stop after this long")
    args = parser.parse_args()
    asked = {json.loads(line)["doc_id"] for line in (DEV / "questions.jsonl").open()}
    docs = [d for d in map(json.loads, (DEV / "corpus.jsonl").open()) if d["id"] not in asked]
    random.Random(6).shuffle(docs)
    rows = [json.loads(line) for line in args.out.open()] if args.out.exists() else []
    done = {r["doc_id"] for r in rows}
    # Resume after the last article that gave questions: those before it that gave none
    # would give none again (the model writes the same reply to the same passage).
    resume = max((i + 1 for i, d in enumerate(docs) if d["id"] in done), default=0)
    asked_before = {r["question"].lower() for r in rows}
    model = load_chat_model(Settings())
    began, count = time.monotonic(), 0
    with args.out.open("a") as out:
        for d in docs[resume:]:
            sentences = [d["text"][s:e] for s, e in split_sentences(d["text"])]
            for window, at in enumerate((0, max(4, len(sentences) // 2))):
                key = f"syn-{d['id']}-{window}"
                if at >= len(sentences):
                    continue
                if time.monotonic() - began > args.minutes * 60:
                    print(f"{count} questions kept; rerun to go on")
                    return
                passage = " ".join(sentences[at : at + 4])[:1200]
                reply = "".join(model.stream(messages(passage), max_tokens=120))
                for i, m in enumerate(_LINE.finditer(reply)):
                    question, answer = m.group(1).strip(), m.group(2).strip().strip('."')
                    if kept(question, answer, d["text"]) and question.lower() not in asked_before:
                        asked_before.add(question.lower())
                        row = {"id": f"{key}-{i}", "question": question, "answers": [answer]}
                        out.write(json.dumps(row | {"doc_id": d["id"]}) + "\n")
                        count += 1
                out.flush()
                print(f"{time.monotonic() - began:.0f} s: {count} questions kept", flush=True)
    print(f"{count} questions kept; every article done")


if __name__ == "__main__":
    main()
