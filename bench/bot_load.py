"""Bot load: N chats asking M questions each through the fake Telegram server, against the bare
Newsdesk.ask on the same questions, so the ratio shows what the bot layer adds.

    python -m bench.bot_load [--chats 5] [--questions 4] [--corpus FILE --question-file JSONL]

The real python-telegram-bot Application polls the local fake Bot API server (fakes.telegram);
by default the archive is the seed article alone and the questions are five about it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import SEED_ARTICLE, latency, percentile, read_jsonl, require, save
from newsdesk.bot.app import BotSettings, build_application, start_updates
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk

from fakes.telegram import Call, FakeTelegram

SEED_QUESTIONS = [
    "Who was the emir in charge of assassinations?",
    "Who was killed in Jassim?",
    "When did the pursuit of ISIS militants in Jassim start?",
    "Who facilitated the entry of the militants?",
    "What did the Central Committee member say about Daraa?",
]
TOKEN = "123456:bench-token-not-secret"


def summary(latencies: list[float], wall: float) -> dict[str, float]:
    """Latency in ms (n, p50, p95, mean) and answers a second."""
    return latency([v * 1000 for v in latencies]) | {"answers_per_s": len(latencies) / wall}


def line(name: str, s: dict[str, float]) -> str:
    return (
        f"{name:<28} n={s['n']:<3} p50 {s['p50']:7.0f} ms   p95 {s['p95']:7.0f} ms   "
        f"mean {s['mean']:7.0f} ms   {s['answers_per_s']:5.2f} answers/s"
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
    return [row["question"] for row in read_jsonl(path)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=5)
    parser.add_argument("--questions", type=int, default=4, help="per chat")
    parser.add_argument(
        "--corpus", type=Path, default=SEED_ARTICLE, help="what to ingest (default: the seed)"
    )
    parser.add_argument("--question-file", type=Path, help="JSONL with a question field")
    args = parser.parse_args()
    pool = load_questions(args.question_file)

    def plan(chats: int) -> list[list[str]]:
        # Chats start at different questions, so they are not all asking the same thing.
        return [[pool[(c + i) % len(pool)] for i in range(args.questions)] for c in range(chats)]

    with tempfile.TemporaryDirectory() as tmp:
        desk = Newsdesk(Settings(home=Path(tmp)))
        with desk:
            report = desk.ingest([str(require(args.corpus))])
            print(f"archive: {report.summary()['added']} articles, {report.chunks} chunks")
            flat = [q for qs in plan(args.chats) for q in qs]
            # Every question once, untimed: the first inference and cold SQLite / FAISS pages
            # are slower, and neither side should pay for them.
            baseline(desk, flat)
            bare, bare_wall = baseline(desk, flat)
            figures = {"bare": summary(bare, bare_wall)}
            print(line("bare Newsdesk.ask (serial)", figures["bare"]))
            single, wall = asyncio.run(through_bot(desk, 1, plan(1)))
            figures["bot_1_chat"] = summary(single, wall)
            print(line("bot, 1 chat", figures["bot_1_chat"]))
            many, wall = asyncio.run(through_bot(desk, args.chats, plan(args.chats)))
            figures["bot_chats_at_once"] = summary(many, wall)
            print(line(f"bot, {args.chats} chats at once", figures["bot_chats_at_once"]))
            # The single chat asked the plan's first questions, so compare with those.
            one = percentile(single, 0.5) / percentile(bare[: args.questions], 0.5)
            print(f"bot 1 chat p50 / bare p50 on the same questions: {one:.2f}")
            queued = statistics.mean(many) / statistics.mean(bare)
            print(f"bot {args.chats} chats mean / bare mean: {queued:.2f} (queueing included)")
    ratios = {"bot_1_chat_p50_to_bare_p50": one, "bot_chats_mean_to_bare_mean": queued}
    save("bot_load", figures | {"ratios": ratios}, vars(args))


if __name__ == "__main__":
    main()
