"""What a language model that reads the question and the answer together adds to abstention.

The abstention rule (index/read/abstain.py) weighs cheap signals; no model reads the question beside
the sentences it is answered with. This asks the packaged Qwen2.5-Coder-1.5B (`make llm`)
whether the answer's sentences state the answer to the question, for every instance
bench.abstention recorded (each dev question once with its article withheld, once with it
there), and scores its yes-vs-no logit as a fifth signal:

    python -m bench.abstention --work build/withheld     # first: the instances and their answers
    python -m bench.verifier --work build/withheld

About 2.4 s an instance on 2 cores (a ~150-token prompt, no text written): ~11 minutes for the
260. Verdicts are appended to WORK/verdicts.jsonl as they come, so a rerun resumes. Figures:
bench/README.md, "Abstention calibration".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from bench.abstention import FOLDS, Data, auc, folds_of, load, logistic
from bench.common import DEV_QUESTIONS, read_jsonl, save
from newsdesk.config import Settings
from newsdesk.index.generate.llm import LocalModel, packaged_gguf
from newsdesk.index.generate.writer import judge_prompt, off_the_point
from newsdesk.index.read.abstain import CALIBRATION, Signals, margin

NO_ANSWER = -4.0
# Cross-validated figures move by a few points with the split into folds: these splits, averaged.
SPLITS = range(9, 14)


class Judge:
    """The packaged model's yes-minus-no logit for newsdesk's judge question (does the
    passage answer the question? index/generate/writer.py), where newsdesk reads the word it
    writes."""

    def __init__(self, settings: Settings) -> None:
        self.model = LocalModel(packaged_gguf(settings.llm_cache), threads=settings.llm_threads)
        llm = self.model.llm
        self.yes = [llm.tokenize(w, add_bos=False, special=False)[0] for w in ("yes", "Yes")]
        self.no = [llm.tokenize(w, add_bos=False, special=False)[0] for w in ("no", "No")]

    def __call__(self, question: str, passage: str) -> float:
        with self.model.lock:
            self.model.read_prompt(judge_prompt(question, passage))
            logits = self.model.llm._context.get_logits(-1)
            return float(max(logits[t] for t in self.yes) - max(logits[t] for t in self.no))


def verdicts(rows: list[dict[str, Any]], out: Path, judge: Judge) -> dict[tuple[str, bool], float]:
    """The judge's verdict on each instance's answer sentences (the fact line left out)."""
    done = {}
    if out.exists():
        for line in out.read_text().splitlines():
            v = json.loads(line)
            done[v["id"], v["answerable"]] = v["verdict"]
    todo = [r for r in rows if (r["id"], r["answerable"]) not in done]
    if todo:
        with out.open("a") as f:
            for n, r in enumerate(todo, 1):
                sentences = r["answer"].split("\n", 1)[-1]
                # No answer at all (nothing retrieved): just below the lowest verdict seen
                # (-3.2), not so far that it sways the fit's scaling.
                verdict = judge(r["query"], sentences) if sentences.strip() else NO_ANSWER
                done[r["id"], r["answerable"]] = verdict
                f.write(
                    json.dumps({"id": r["id"], "answerable": r["answerable"], "verdict": verdict})
                )
                f.write("\n")
                f.flush()
                print(f"\r{n}/{len(todo)} judged", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    return done


def held_out(x: np.ndarray, d: Data, seed: int) -> np.ndarray:
    """Answered or not, by the logistic rule on `x` fitted on the other folds."""
    folds = folds_of(d.ids, seed)
    out = np.zeros(len(d.ids), dtype=bool)
    for k in range(FOLDS):
        w, bias = logistic(x[folds != k], d.answerable[folds != k])
        out[folds == k] = x[folds == k] @ w + bias >= 0
    return out


TABLE: dict[str, dict[str, float]] = {}  # each printed row's figures, by label


def rate(label: str, d: Data, answered: list[np.ndarray], consulted: float = 1.0) -> str:
    """Shares answered and abstained, averaged over the decisions given."""
    a = d.answerable
    given = np.mean([(ok & a).sum() / a.sum() for ok in answered])
    declined = np.mean([(~ok & ~a).sum() / (~a).sum() for ok in answered])
    TABLE[label] = {"answered": given, "abstained": declined, "judge_consulted": consulted}
    return f"| {label} | {given:.3f} | {declined:.3f} | {consulted:.2f} |"


def cv(label: str, d: Data, x: np.ndarray, consulted: float = 1.0) -> str:
    runs = [held_out(x, d, seed) for seed in SPLITS]
    return rate(f"{label}, {FOLDS}-fold CV ({len(SPLITS)} splits)", d, runs, consulted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work", type=Path, default=Path("build/withheld"), help="bench.abstention's --work"
    )
    args = parser.parse_args()
    rows = read_jsonl(args.work / "features.jsonl")
    judge = Judge(Settings())
    judged = verdicts(rows, args.work / "verdicts.jsonl", judge)
    d = load(rows, DEV_QUESTIONS)
    verdict = np.array([judged[r["id"], r["answerable"]] for r in rows])
    margins = np.array([margin(Signals(*x)) for x in d.x])
    aucs = {"shipped_margin": auc(margins, d.answerable), "judge": auc(verdict, d.answerable)}
    print(f"AUC, answerable above withheld: shipped rule's margin {aucs['shipped_margin']:.3f}")
    print(f"AUC, the judge's verdict alone: {aucs['judge']:.3f}\n")
    print("| rule | answered (answerable) | abstained (withheld) | judge consulted |")
    print("|---|---|---|---|")
    print(rate("shipped rule, in-sample", d, [margins >= 0], 0.0))
    print(cv("3 signals", d, d.x, 0.0))
    print(cv("judge alone", d, verdict[:, None]))
    print(cv("3 signals + judge", d, np.c_[d.x, verdict]))
    # The judge asked only where the shipped rule already marks the answer unsure: no fitting,
    # "no" (a verdict below 0) declines.
    band = (margins >= 0) & (margins < CALIBRATION.doubt)
    kept = (margins >= 0) & ~(band & (verdict < 0))
    print(rate("shipped rule, unsure answers judged (verdict < 0)", d, [kept], float(band.mean())))
    # What newsdesk does with them (index/generate/writer.py): the model writes its reply,
    # read for "no".
    said_no = np.array(
        [
            bool(b) and off_the_point(judge.model, r["query"], r["answer"].split("\n", 1)[-1])
            for r, b in zip(rows, band, strict=True)
        ]
    )
    shipped = (margins >= 0) & ~said_no
    print(rate("shipped rule, unsure answers judged as newsdesk does", d, [shipped], band.mean()))
    save("verifier", {"instances": len(rows), "auc": aucs, "rules": TABLE}, vars(args))


if __name__ == "__main__":
    main()
