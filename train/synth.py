"""Synthetic reading-comprehension questions over a file of articles, written by the packaged
language model: training data for a learned answer reader.

    python train/synth.py ../shared/train-pool/articles.jsonl train/data/pool-questions.jsonl \\
        --heldout train/data/pool-heldout-ids.txt --minutes 600 --threads 1

The articles (JSONL with `id` and `text`) are sorted by id and shuffled with a fixed seed; the
last `--reserve` of that order (300 by default) never get questions, and their ids are written to
`--heldout`, so a later calibration or validation has articles no generated question is about.
Each other article gives up to three passages of about four sentences (the lead, the middle and
the later part; short articles give fewer), and the packaged model (`make llm`) writes three
questions a passage, each with a short answer copied from it, after one worked example. A pair is
kept when the answer is in the article word for word, is at most 8 words long, is not in its
question, and the question is new. Rows are appended and flushed as they come:

    {"id": "syn-<doc_id>-<window>-<i>", "question": ..., "answers": [...], "doc_id": ...}

where <window> is the passage (0 lead, 1 middle, 2 later) and <i> the question's place in the
model's reply; the sentence holding the answer can be found again in the article. A rerun with
the same arguments resumes at the last passage that gave questions (greedy decoding writes the
same reply to the same passage, and questions already written are skipped). `--minutes` bounds
one run; the log line after each passage says how far it got.

`--exclude-asked QUESTIONS` leaves out, before the split, the articles those questions (JSONL with
`doc_id`) ask about: a question set over the dev articles no dev question asks about, of the kind
of bench/data/synthetic-questions.jsonl (same prompt and filters; that file came from an earlier
script that read two passages an article: bench/README.md, "Synthetic questions"):

    python train/synth.py ../shared/eval-dev/corpus.jsonl build/synthetic-dev.jsonl \\
        --exclude-asked ../shared/eval-dev/questions.jsonl --reserve 0 --minutes 60

Never run on ../shared/eval-sealed, nor on dev articles without `--exclude-asked`: the
questions that test the reader stay unseen.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newsdesk.config import Settings
from newsdesk.index.generate.llm import ChatMessage, load_chat_model
from newsdesk.text.sentences import split_sentences

SEED = 20240601  # the shuffle that decides which articles are held out
RESERVE = 300  # articles at the end of the shuffled order that get no questions
PASSAGE_SENTENCES = 4
PASSAGE_CHARS = 1200
# Where the passages after the lead are centred, as a fraction of the article's sentences.
WINDOW_CENTRES = (0.5, 0.83)
MIN_SENTENCE_WORDS = 3  # shorter "sentences" are datelines and list numbers ("CNN —", "11.")
MAX_ANSWER_WORDS = 8
MAX_TOKENS = 120

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
_ROW_ID = re.compile(r"^syn-(?P<doc>.+)-(?P<window>\d+)-(?P<i>\d+)$")


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


def split_pool(docs: list[dict[str, Any]], reserve: int) -> tuple[list[dict], list[dict]]:
    """(articles to ask about, held-out articles): sorted by id, shuffled with SEED, and the
    last `reserve` held out, so the split depends on the ids alone, not on the file's order."""
    order = sorted(docs, key=lambda d: d["id"])
    random.Random(SEED).shuffle(order)
    cut = len(order) - reserve
    return order[:cut], order[cut:]


def passages(text: str) -> Iterator[tuple[int, str]]:
    """(window, passage): the lead, then the middle and the later part when the article is long
    enough for them not to overlap what came before."""
    sentences = [
        text[s:e] for s, e in split_sentences(text) if len(text[s:e].split()) >= MIN_SENTENCE_WORDS
    ]
    if not sentences:
        return
    starts = [0]
    for centre in WINDOW_CENTRES:
        at = max(starts[-1] + PASSAGE_SENTENCES, round(centre * len(sentences)) - 2)
        if at + PASSAGE_SENTENCES - 1 <= len(sentences):  # at least 3 sentences
            starts.append(at)
    for window, at in enumerate(starts):
        yield window, " ".join(sentences[at : at + PASSAGE_SENTENCES])[:PASSAGE_CHARS]


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows written so far; a last line cut short by a kill is dropped from the file."""
    if not path.exists():
        return []
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        path.write_bytes(data)
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


def resume_point(todo: list[dict[str, Any]], rows: list[dict[str, Any]]) -> tuple[int, int]:
    """(article index, window) of the last passage that gave questions, to be read again (its
    questions already written are skipped); passages before it that gave none would give none
    again. (0, 0) on a first run."""
    place = {d["id"]: i for i, d in enumerate(todo)}
    last = (0, 0)
    for r in rows:
        m = _ROW_ID.match(r["id"])
        if m and r["doc_id"] in place:
            last = max(last, (place[r["doc_id"]], int(m["window"])))
    return last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=Path, help="articles JSONL (id, text, …)")
    parser.add_argument("out", type=Path, help="questions JSONL, appended to")
    parser.add_argument("--heldout", type=Path, help="write the held-out article ids here")
    parser.add_argument("--reserve", type=int, default=RESERVE, help="articles held out")
    parser.add_argument("--minutes", type=float, default=60.0, help="stop after this long")
    parser.add_argument("--threads", type=int, default=Settings.llm_threads, help="CPU threads")
    parser.add_argument(
        "--exclude-asked",
        type=Path,
        action="append",
        default=[],
        metavar="QUESTIONS",
        help="leave out the articles these questions (JSONL with doc_id) ask about; repeatable",
    )
    args = parser.parse_args()

    docs = [json.loads(line) for line in args.articles.open()]
    if args.exclude_asked:
        asked = {
            json.loads(line).get("doc_id")
            for path in args.exclude_asked
            for line in path.open()
            if line.strip()
        }
        kept_docs = [d for d in docs if d["id"] not in asked]
        print(f"{len(docs) - len(kept_docs)} articles left out: asked about", flush=True)
        docs = kept_docs
    todo, held = split_pool(docs, args.reserve)
    if args.heldout:
        args.heldout.parent.mkdir(parents=True, exist_ok=True)
        args.heldout.write_text("".join(f"{d['id']}\n" for d in held))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    rows = read_rows(args.out)
    held_ids = {d["id"] for d in held}
    if any(r["doc_id"] in held_ids for r in rows):
        raise SystemExit(f"{args.out} has questions about held-out articles; another split?")
    asked_before = {r["question"].lower() for r in rows}
    start_doc, start_window = resume_point(todo, rows)
    print(
        f"{len(docs)} articles: {len(todo)} to ask about, {len(held)} held out; "
        f"{len(rows)} questions so far, resuming at article {start_doc} passage {start_window}",
        flush=True,
    )

    model = load_chat_model(Settings(llm_threads=args.threads))
    began, count = time.monotonic(), 0
    with args.out.open("a") as out:
        for n, d in enumerate(todo[start_doc:], start=start_doc):
            for window, passage in passages(d["text"]):
                if n == start_doc and window < start_window:
                    continue
                if time.monotonic() - began > args.minutes * 60:
                    print(f"{count} questions kept; stopped at article {n}; rerun to go on")
                    return
                reply = "".join(model.stream(messages(passage), max_tokens=MAX_TOKENS))
                for i, m in enumerate(_LINE.finditer(reply)):
                    question, answer = m.group(1).strip(), m.group(2).strip().strip('."')
                    if kept(question, answer, d["text"]) and question.lower() not in asked_before:
                        asked_before.add(question.lower())
                        row = {
                            "id": f"syn-{d['id']}-{window}-{i}",
                            "question": question,
                            "answers": [answer],
                            "doc_id": d["id"],
                        }
                        out.write(json.dumps(row) + "\n")
                        count += 1
                out.flush()
                minutes = (time.monotonic() - began) / 60
                print(
                    f"{minutes:.1f} min: article {n}/{len(todo)} passage {window}: "
                    f"{count} questions kept ({count / max(minutes, 1e-9):.1f}/min)",
                    flush=True,
                )
    print(f"{count} questions kept; every article done")


if __name__ == "__main__":
    main()
