"""The bot in a group with privacy mode on: what it answers, what it ignores, follow-ups."""

from __future__ import annotations

import asyncio
import socket

from index.desk import Newsdesk

from botkit import (
    ANSWER_NAME,
    BOT_NAME,
    QUESTION,
    buttons,
    replies_to,
    reply_to,
    running_bot,
)
from fake_telegram import FakeTelegram

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
    assert all(replies_to(fake, u) == [] for u in chatter)
    assert len(fake.sent(GROUP)) == 5  # threaded as replies to the five questions, nothing else


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_webhook_checks_the_secret_token(fake: FakeTelegram, bot_desk: Newsdesk) -> None:
    port = free_port()
    webhook = {
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
