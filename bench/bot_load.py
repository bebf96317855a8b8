"""Bot load: N chats asking M questions each through the fake Telegram server, against the bare
Newsdesk.ask on the same questions, so the ratio shows what the bot layer adds."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and its name would shadow the
# `ingest` package; the project root must come first instead. The fake server lives in tests/.
ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)
sys.path.insert(1, str(ROOT / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from newsdesk.bot.app import BotSettings, build_application, start_updates  # noqa: E402
from newsdesk.config import Settings  # noqa: E402
from newsdesk.desk import Newsdesk  # noqa: E402

from fakes.telegram import Call, FakeTelegram  # noqa: E402

SEED = ROOT.parents[0] / "shared" / "corpus" / "north-press-daraa-jassim.txt"
SEED_QUESTIONS = [
    "Who was the emir in charge of assassinations?",
    "Who was killed in Jassim?",
    "When did the pursuit of ISIS militants in Jassim start?",
    "Who facilitated the entry of the militants?",
    "What did the Central Committee member say about Daraa?",
]
TOKEN = "123456:bench-token-not-secret"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(name: str, latencies: list[float], wall: float) -> str:
    ms = [v * 1000 for v in latencies]
    return (
        f"{name:<28} n={len(ms):<3} p50 {percentile(ms, 50):7.0f} ms   "
        f"p95 {percentile(ms, 95):7.0f} ms   mean {statistics.mean(ms):7.0f} ms   "
        f"{len(ms) / wall:5.2f} answers/s"
    )


def baseline(desk: Newsdesk, questions: list[str]) -> tuple[list[float], float]:
    """Newsdesk.ask alone, one question after another: the work the bot wraps."""
    latencies, began = [], time.perf_counter()
    for q in questions:
        start = time.perf_counter()
        desk.ask(q)
        latencies.append(time.perf_counter() - start)
    return latencies, time.perf_counter() - began


def replies(chat_id: int, message_id: int) -> Callable[[Call], bool]:
    """Matches the bot's message replying to message_id in chat_id."""

    def match(c: Call) -> bool:
        return (
            c.method == "sendMessage"
            and c.ok
            and c.result["chat"]["id"] == chat_id
            and c.result.get("reply_to_message", {}).get("message_id") == message_id
        )

    return match


async def converse(fake: FakeTelegram, user: dict[str, Any], questions: list[str]) -> list[float]:
    """One chat: each question sent when the previous one is answered; reply latencies."""
    latencies = []
    for q in questions:
        sent = time.time()
        message = fake.private_message(user, q)["message"]
        call = await fake.wait_for(
            replies(message["chat"]["id"], message["message_id"]), timeout=600
        )
        latencies.append(call.time - sent)
    return latencies


async def through_bot(
    desk: Newsdesk, chats: int, questions: list[list[str]]
) -> tuple[list[float], float]:
    """Every chat converses at once with a real Application polling the fake server."""
    with FakeTelegram(TOKEN) as fake:
        settings = BotSettings(
            TOKEN,
            base_url=fake.base_url,
            base_file_url=fake.base_file_url,
            questions_per_minute=10_000,
        )
        app = build_application(settings, desk)
        async with app:
            await app.start()
            await start_updates(app, poll_timeout=1)
            users = [FakeTelegram.user(1000 + i, f"Reader {i}") for i in range(chats)]
            began = time.perf_counter()
            results = await asyncio.gather(
                *(converse(fake, u, qs) for u, qs in zip(users, questions, strict=True))
            )
            wall = time.perf_counter() - began
            assert app.updater is not None
            await app.updater.stop()
            await app.stop()
        if fake.refused:
            raise SystemExit(f"the fake server refused requests: {fake.refused}")
    return [v for r in results for v in r], wall


def load_questions(path: Path | None) -> list[str]:
    if path is None:
        return SEED_QUESTIONS
    return [json.loads(line)["question"] for line in path.read_text().splitlines() if line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=5)
    parser.add_argument("--questions", type=int, default=4, help="per chat")
    parser.add_argument("--corpus", default=str(SEED), help="what to ingest (default: seed)")
    parser.add_argument("--question-file", type=Path, help="JSONL with a question field")
    args = parser.parse_args()
    pool = load_questions(args.question_file)

    def plan(chats: int) -> list[list[str]]:
        # Chats start at different questions, so they are not all asking the same thing.
        return [[pool[(c + i) % len(pool)] for i in range(args.questions)] for c in range(chats)]

    with tempfile.TemporaryDirectory() as tmp:
        desk = Newsdesk(Settings(home=Path(tmp)))
        with desk:
            report = desk.ingest([args.corpus])
            print(f"archive: {report.summary()['added']} articles, {report.chunks} chunks")
            flat = [q for qs in plan(args.chats) for q in qs]
            # Every question once, untimed: the first inference and cold SQLite / FAISS pages
            # are slower, and neither side should pay for them.
            baseline(desk, flat)
            bare, bare_wall = baseline(desk, flat)
            print(summary("bare Newsdesk.ask (serial)", bare, bare_wall))
            single, wall = asyncio.run(through_bot(desk, 1, plan(1)))
            print(summary("bot, 1 chat", single, wall))
            many, wall = asyncio.run(through_bot(desk, args.chats, plan(args.chats)))
            print(summary(f"bot, {args.chats} chats at once", many, wall))
            # The single chat asked the plan's first questions, so compare with those.
            ratio = percentile(single, 50) / percentile(bare[: args.questions], 50)
            print(f"bot 1 chat p50 / bare p50 on the same questions: {ratio:.2f}")
            ratio = statistics.mean(many) / statistics.mean(bare)
            print(f"bot {args.chats} chats mean / bare mean: {ratio:.2f} (queueing included)")


if __name__ == "__main__":
    main()
