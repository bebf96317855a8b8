"""Generated answers in Telegram: the extractive answer at once, then the model's, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from newsdesk.bot.i18n import say
from newsdesk.desk import Newsdesk
from newsdesk.index.read.types import NOTHING

from botkit import buttons, reply_to, running_bot
from fakes.openai import FakeOpenAI, Reply
from fakes.telegram import FakeTelegram

ALICE = FakeTelegram.user(42, "Alice", "alice")
GROUP = -1001234567890
QUESTION = "Who was killed in Jassim?"
WRITTEN = ["Local groups killed 15 ISIS militants,", " among them Ayoub al-Jebawi [1]."]
INVENTED = ["Local groups killed 40 ISIS militants [1]."]


def generative(desk: Newsdesk, server: FakeOpenAI) -> Newsdesk:
    settings = replace(desk.settings, reader="generative", llm_url=server.url, llm="qwen")
    return Newsdesk(settings, embedder=desk.embedder)


@pytest.fixture
def model_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(Reply(WRITTEN)) as server:
        yield server


async def test_private_chat_gets_drafts_then_the_final_answer(
    fake: FakeTelegram, bot_desk: Newsdesk, model_server: FakeOpenAI
) -> None:
    with generative(bot_desk, model_server) as desk:
        async with running_bot(fake, desk):
            asked = fake.private_message(ALICE, QUESTION)
            first = await reply_to(fake, asked)
            final = (await fake.wait_for_messages(ALICE["id"], 2))[1]
    assert "Ayoub al-Jebawi" in first["text"] and buttons(first)  # extractive, at once
    assert fake.drafts(ALICE["id"]), "the generated text was shown while written"
    assert final["text"].startswith("Local groups killed 15 ISIS militants, among them Ayoub")
    assert "North Press" in final["text"] and buttons(final)
    [request] = model_server.requests
    asked = request["messages"][-1]["content"]
    assert "Question: Who was killed in Jassim?" in asked
    # The model is told the facts the rules find, shown or not: it weighs them itself.
    assert "The passages answer it with:" in asked and "Jebawi" in asked


async def test_group_answer_is_edited_in_place(
    fake: FakeTelegram, bot_desk: Newsdesk, model_server: FakeOpenAI
) -> None:
    with generative(bot_desk, model_server) as desk:
        async with running_bot(fake, desk):
            first = await reply_to(fake, fake.group_message(GROUP, ALICE, f"/ask {QUESTION}"))
            edited = await fake.wait_for(
                lambda c: c.method == "editMessageText" and "reply_markup" in c.params
            )
    assert edited.result["message_id"] == first["message_id"]
    assert edited.result["text"].startswith("Local groups killed 15 ISIS militants")
    assert buttons(edited.result) and len(fake.sent(GROUP)) >= 2


async def test_an_answer_that_does_not_hold_leaves_the_extractive_one(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    with (
        FakeOpenAI(Reply(INVENTED), Reply(WRITTEN)) as server,
        generative(bot_desk, server) as desk,
    ):
        async with running_bot(fake, desk):
            first = await reply_to(fake, fake.group_message(GROUP, ALICE, f"/ask {QUESTION}"))
            # The writer takes one answer at a time: once the second is in place, the first,
            # with its invented number, has been checked and dropped.
            second = await reply_to(fake, fake.group_message(GROUP, ALICE, f"/ask {QUESTION}"))
            await fake.wait_for(
                lambda c: (
                    c.method == "editMessageText"
                    and c.ok
                    and c.result["message_id"] == second["message_id"]
                )
            )
    edits = [c.result for c in fake.calls if c.method == "editMessageText" and c.ok]
    last_of_first = [e for e in edits if e["message_id"] == first["message_id"]][-1]
    # What was written was shown as it came, then the extractive answer put back.
    assert last_of_first["text"] == first["text"] and buttons(last_of_first)
    assert "40" not in last_of_first["text"] and len(server.requests) == 2
    assert edits[-1]["text"].startswith("Local groups killed 15 ISIS militants")


async def test_an_unsure_answer_the_model_judges_off_the_point_gives_way_to_nothing_found(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    # The seed article quotes a leader of the Eighth Brigade, never saying who leads it: an
    # unsure answer.
    question = "Who leads the Eighth Brigade?"
    with FakeOpenAI(Reply(["No"])) as server, generative(bot_desk, server) as desk:
        async with running_bot(fake, desk):
            first = await reply_to(fake, fake.group_message(GROUP, ALICE, f"/ask {question}"))
            edited = await fake.wait_for(lambda c: c.method == "editMessageText" and c.ok)
    assert first["text"].startswith(say("unsure", "en"))
    assert edited.result["message_id"] == first["message_id"]
    assert edited.result["text"].startswith(NOTHING) and buttons(edited.result)
    [judged] = server.requests  # asked whether the answer holds, and nothing written after
    assert "Reply yes or no" in judged["messages"][-1]["content"]
