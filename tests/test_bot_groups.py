"""The bot in a group with privacy mode on: what it answers, what it ignores, follow-ups."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import Any

import pytest

from newsdesk.bot import replies
from newsdesk.desk import Newsdesk
from newsdesk.index.generate.writer import Writing
from newsdesk.index.read.answerer import Answer

from botkit import (
    ANSWER_NAME,
    BOT_NAME,
    QUESTION,
    buttons,
    replies_to,
    reply_to,
    running_bot,
)
from fakes.telegram import FakeTelegram

GROUP = -1001234567890
ALICE = FakeTelegram.user(42, "Alice", "alice")
BOB = FakeTelegram.user(43, "Bob", "bob")


async def test_group_answers_only_what_is_addressed_to_it(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    async with running_bot(fake, bot_desk):
        chatter = [
            fake.group_message(GROUP, ALICE, "Who was killed in Jassim? (just wondering)"),
            fake.group_message(GROUP, BOB, f"/ask@other_bot {QUESTION}"),
            fake.group_message(GROUP, BOB, f"@someone_else {QUESTION}"),
        ]
        chatter.append(fake.group_message(GROUP, ALICE, "no idea", reply_to=chatter[0]["message"]))
        plain = await reply_to(fake, fake.group_message(GROUP, ALICE, f"/ask {QUESTION}"))
        addressed = await reply_to(
            fake, fake.group_message(GROUP, BOB, f"/ask@{BOT_NAME} Who was killed in Jassim?")
        )
        mention = await reply_to(
            fake, fake.group_message(GROUP, ALICE, f"🔎 @{BOT_NAME} {QUESTION}")
        )
        # The question that reached the answerer: the text without the mention, nothing
        # shifted by the emoji (entity offsets count it as two UTF-16 units).
        listed = await reply_to(fake, fake.group_message(GROUP, ALICE, "/sources"))
        # A reply to an answer is a follow-up: "who else?" alone has no subject.
        follow_up = await reply_to(
            fake, fake.group_message(GROUP, BOB, "Who else was killed?", reply_to=addressed)
        )
        usage = await reply_to(fake, fake.group_message(GROUP, ALICE, f"/ask@{BOT_NAME}"))
        await asyncio.sleep(0.3)  # time for a wrong reply to the chatter, were one coming
    assert ANSWER_NAME in plain["text"] and ANSWER_NAME in mention["text"]
    assert "killed" in addressed["text"]
    assert buttons(plain) and buttons(addressed) and buttons(mention) and buttons(follow_up)
    assert follow_up["text"] != addressed["text"]
    assert "Send me a question" in usage["text"]
    assert listed["text"].startswith(f"Sources for: 🔎 {QUESTION}\n")
    assert all(replies_to(fake, u) == [] for u in chatter)
    assert len(fake.sent(GROUP)) == 6  # threaded as replies to the six commands, nothing else


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_typing_shown_once_in_groups(
    fake: FakeTelegram, bot_desk: Newsdesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chat actions count against a group's 20 requests a minute: one per answer there."""
    monkeypatch.setattr(replies, "TYPING_EVERY", 0.05)  # a slow answer in fast motion
    ask = bot_desk.ask_then_write

    def slow(question: str, **kwargs: Any) -> tuple[Answer, Writing | None]:
        time.sleep(0.5)
        return ask(question, **kwargs)

    monkeypatch.setattr(bot_desk, "ask_then_write", slow)
    async with running_bot(fake, bot_desk):
        in_group = await reply_to(fake, fake.group_message(GROUP, ALICE, f"/ask {QUESTION}"))
        in_private = await reply_to(fake, fake.private_message(ALICE, QUESTION))
    actions = [c.params["chat_id"] for c in fake.calls if c.method == "sendChatAction"]
    assert ANSWER_NAME in in_group["text"] and ANSWER_NAME in in_private["text"]
    assert actions.count(GROUP) == 1
    assert actions.count(ALICE["id"]) >= 3  # kept up in a private chat


async def test_webhook_checks_the_secret_token(
    fake: FakeTelegram, bot_desk: Newsdesk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # as `newsdesk bot -v` logs
    port = free_port()
    webhook: dict[str, Any] = {
        "webhook_url": f"http://127.0.0.1:{port}/newsdesk-hook",
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
        "webhook_secret": "s3cret-Token_1",
    }
    async with running_bot(fake, bot_desk, **webhook):
        update = fake.private_message(ALICE, QUESTION)
        assert await fake.post_update_to_webhook(update, secret="forged") == 403
        assert await fake.post_update_to_webhook(update, secret="") == 403
        assert fake.sent(ALICE["id"]) == []
        assert await fake.post_update_to_webhook(update) == 200
        answer = await reply_to(fake, update)
    hook = next(c for c in fake.calls if c.method == "setWebhook")
    assert hook.params["secret_token"] == "s3cret-Token_1"
    assert ANSWER_NAME in answer["text"]
    assert "setWebhook" in caplog.text and "s3cret-Token_1" not in caplog.text
