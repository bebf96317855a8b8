"""The bot keeps what it needs across a restart: its answers, for follow-ups and Sources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from newsdesk.desk import Newsdesk

from botkit import running_bot
from fakes.telegram import Call, FakeTelegram

ALICE = FakeTelegram.user(42, "Alice", "alice")


def replying_to(message: dict[str, Any], holding: str = "") -> Callable[[Call], bool]:
    """A message of the bot's replying to `message`: an answer (with buttons), or one holding
    the given text."""

    def match(call: Call) -> bool:
        sent = call.result if call.ok and call.method == "sendMessage" else {}
        if sent.get("reply_to_message", {}).get("message_id") != message["message_id"]:
            return False
        return holding in sent["text"] if holding else "reply_markup" in sent

    return match


async def test_follow_up_and_sources_work_after_a_restart(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    async with running_bot(fake, bot_desk):
        asked = fake.private_message(ALICE, "Who was killed in Jassim?")["message"]
        answer = (await fake.wait_for(replying_to(asked))).result
    # A new process: another desk on the same archive folder, another Application.
    with Newsdesk(bot_desk.settings, embedder=bot_desk.embedder) as restarted:
        async with running_bot(fake, restarted):
            # "who else?" alone is no question; as a reply it follows the earlier answer up.
            follow = fake.private_message(ALICE, "who else?", reply_to=answer)["message"]
            follow_up = (await fake.wait_for(replying_to(follow))).result
            fake.callback_query(ALICE, answer, "src")
            sources = (await fake.wait_for(replying_to(answer, "Sources for"))).result
    assert "[1]" in follow_up["text"] and "North Press" in follow_up["text"]
    assert "abort ISIS emirate" in sources["text"] and "North Press" in sources["text"]
