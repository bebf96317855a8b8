"""The Telegram bot end to end in private chats: the real Application against the fake server."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.handlers import SOMETHING_WRONG
from index.desk import Newsdesk
from ingest.models import RawArticle

from botkit import (
    ANSWER_NAME,
    QUESTION,
    TOKEN,
    buttons,
    replies_to,
    reply_to,
    running_bot,
)
from fake_telegram import FakeTelegram

ALICE = FakeTelegram.user(42, "Alice", "alice")


async def test_start_help_and_command_menu(fake: FakeTelegram, bot_desk: Newsdesk) -> None:
    async with running_bot(fake, bot_desk):
        start = await reply_or_message(fake, fake.private_message(ALICE, "/start"))
        help_ = await reply_or_message(fake, fake.private_message(ALICE, "/help"))
        stats = await reply_or_message(fake, fake.private_message(ALICE, "/stats"))
    assert "Newsdesk" in start["text"]
    assert "1 article from 1 outlet" in start["text"]
    assert "Residents, local groups abort ISIS emirate" in start["text"]  # newest headlines
    assert "/ask" in help_["text"] and "/sources" in help_["text"]
    assert "Articles: 1" in stats["text"] and "Outlets: 1" in stats["text"]
    menu = [c for c in fake.calls if c.method == "setMyCommands"]
    assert [c["command"] for c in menu[0].params["commands"]] == [
        "ask",
        "sources",
        "latest",
        "stats",
        "help",
        "start",
    ]


async def reply_or_message(fake: FakeTelegram, update: dict) -> dict:
    """The bot's next message in the update's chat after the update was queued."""
    chat_id = update["message"]["chat"]["id"]
    before = len(fake.sent(chat_id))
    return (await fake.wait_for_messages(chat_id, before + 1))[before]


async def test_private_question_answered_with_buttons(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    async with running_bot(fake, bot_desk):
        update = fake.private_message(ALICE, QUESTION)
        answer = await reply_to(fake, update)
    assert ANSWER_NAME in answer["text"] and "North Press" in answer["text"]
    assert "[1]" in answer["text"]
    labels = [b["text"] for b in buttons(answer)]
    assert labels == ["Sources", "👍", "👎"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(answer))
    actions = [c for c in fake.calls if c.method == "sendChatAction"]
    assert actions and actions[0].params["action"] == "typing"
    assert actions[0].time <= next(c.time for c in fake.calls if c.method == "sendMessage")


async def test_sources_button_and_feedback_stored(fake: FakeTelegram, bot_desk: Newsdesk) -> None:
    async with running_bot(fake, bot_desk):
        answer = await reply_to(fake, fake.private_message(ALICE, QUESTION))
        fake.callback_query(ALICE, answer, "src")
        await fake.wait_for("answerCallbackQuery")
        sources = await fake.wait_for_messages(ALICE["id"], 2)
        fake.callback_query(ALICE, answer, "fb:1")
        fake.callback_query(ALICE, answer, "fb:1")  # a second press is not a second vote
        await fake.wait_for(
            lambda c: (
                c.method == "answerCallbackQuery" and "Already noted" in str(c.params.get("text"))
            )
        )
        listed = await reply_or_message(fake, fake.private_message(ALICE, "/sources"))
    source_list = sources[1]
    assert source_list["reply_to_message"]["message_id"] == answer["message_id"]
    assert "Residents, local groups abort ISIS emirate" in source_list["text"]
    assert "North Press" in source_list["text"]
    assert listed["text"] == source_list["text"]
    assert len([c for c in fake.calls if c.method == "answerCallbackQuery"]) == 3
    rows = list(bot_desk.archive.db.query("SELECT * FROM feedback"))
    assert len(rows) == 1
    assert rows[0]["rating"] == 1 and rows[0]["chat_id"] == ALICE["id"]
    assert rows[0]["question"] == QUESTION and ANSWER_NAME in rows[0]["answer"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/ask", "Send me a question"),
        ("/ask    ", "Send me a question"),
        ("Who " + "really " * 830 + "won?", "too long"),  # about 5,000 characters
        ("what is the?", "only common words"),
    ],
    ids=["empty-ask", "blank-ask", "5000-chars", "stopwords"],
)
async def test_user_mistakes_get_usage(
    fake: FakeTelegram, bot_desk: Newsdesk, text: str, expected: str
) -> None:
    async with running_bot(fake, bot_desk):
        reply = await reply_to(fake, fake.private_message(ALICE, text))
    assert expected in reply["text"]
    assert "/ask" in reply["text"] and SOMETHING_WRONG not in reply["text"]


async def test_markup_and_arabic_questions(fake: FakeTelegram, bot_desk: Newsdesk) -> None:
    markup = 'Who was <b>killed</b> & "executed" in <Jassim> by ISIS\'s emir?'
    arabic = "من قتل في جاسم؟"
    async with running_bot(fake, bot_desk):
        first = await reply_to(fake, fake.private_message(ALICE, markup))
        listed = await reply_or_message(fake, fake.private_message(ALICE, "/sources"))
        second = await reply_to(fake, fake.private_message(ALICE, arabic))
    assert first["text"] and second["text"]
    # The answerer drops the tags from the question; what is left shows literally.
    assert 'Sources for: Who was killed & "executed" in by ISIS\'s emir?' in listed["text"]


async def test_long_listing_split_into_valid_messages(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    titles = [f"Headline {i:02d}: " + "a very long & <detailed> title " * 9 for i in range(30)]
    articles = [
        RawArticle(
            text=f"Story {i} happened in a town far away, as residents told reporters there.",
            title=title,
            date=f"2024-01-{i + 1:02d}",
            source="Wire & Co",
            url=f"https://example.org/news?id={i}&x=<1>",
        )
        for i, title in enumerate(titles)
    ]
    bot_desk.ingest_items(articles, index=False)  # listing needs no vectors
    async with running_bot(fake, bot_desk):
        update = fake.private_message(ALICE, "/latest 30")
        await reply_to(fake, update)
        await asyncio.sleep(0.5)  # the remaining pieces follow the first
        pieces = replies_to(fake, update)
    assert len(pieces) >= 3
    assert all(len(p["text"]) <= 4096 for p in pieces)
    text = "\n".join(p["text"] for p in pieces)
    assert all(t.strip() in text for t in titles)
    links = [e for p in pieces for e in p.get("entities", []) if e["type"] == "text_link"]
    assert len(links) == 30 and links[0]["url"] == "https://example.org/news?id=29&x=<1>"


async def test_rapid_questions_and_many_chats_all_answered(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    questions = [
        QUESTION,
        "Who was killed in Jassim?",
        "When did the pursuit of ISIS militants in Jassim start?",
        "Who facilitated the entry of the militants?",
    ]
    async with running_bot(fake, bot_desk, questions_per_minute=100):
        rapid = [fake.private_message(ALICE, questions[i % 4]) for i in range(20)]
        chats = [
            fake.private_message(FakeTelegram.user(500 + i, f"User {i}"), questions[i % 4])
            for i in range(5)
        ]
        answers = [await reply_to(fake, u, timeout=120) for u in rapid + chats]
    assert len(answers) == 25
    assert all(buttons(a) for a in answers)  # real answers, not refusals
    assert ANSWER_NAME in answers[0]["text"] and ANSWER_NAME in answers[20]["text"]


async def test_question_budget_exceeded(fake: FakeTelegram, bot_desk: Newsdesk) -> None:
    async with running_bot(fake, bot_desk, questions_per_minute=2):
        first = await reply_to(fake, fake.private_message(ALICE, QUESTION))
        second = await reply_to(fake, fake.private_message(ALICE, QUESTION))
        third = await reply_to(fake, fake.private_message(ALICE, QUESTION))
        other = await reply_to(fake, fake.private_message(FakeTelegram.user(7, "Bob"), QUESTION))
    assert buttons(first) and buttons(second) and buttons(other)
    assert "asked 2 questions in the last minute" in third["text"]
    assert not buttons(third)


async def test_429_is_retried(fake: FakeTelegram, bot_desk: Newsdesk) -> None:
    async with running_bot(fake, bot_desk):
        fake.fail_next("sendMessage", retry_after=1)
        answer = await reply_to(fake, fake.private_message(ALICE, QUESTION))
    assert ANSWER_NAME in answer["text"]
    assert [t.method for t in fake.throttled] == ["sendMessage"]


async def test_disallowed_chat_refused_once(fake: FakeTelegram, bot_desk: Newsdesk) -> None:
    stranger = FakeTelegram.user(666, "Stranger")
    async with running_bot(fake, bot_desk, allowed_chats=frozenset({ALICE["id"]})):
        fake.private_message(stranger, "/start")
        await fake.wait_for_messages(stranger["id"], 1)
        fake.private_message(stranger, QUESTION)
        fake.private_message(stranger, "/latest")
        answer = await reply_to(fake, fake.private_message(ALICE, QUESTION))
        await asyncio.sleep(0.5)
    refusals = fake.sent(stranger["id"])
    assert len(refusals) == 1 and "only answers in the chats" in refusals[0]["text"]
    assert ANSWER_NAME in answer["text"]


async def test_token_never_logged(
    fake: FakeTelegram,
    bot_desk: Newsdesk,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_bot(fake, bot_desk) as app:
        # build_application quietens httpx; turn it up again to see that its URLs are redacted.
        caplog.set_level(logging.DEBUG, logger="httpx")

        def broken(question: str, **_: object) -> None:
            raise RuntimeError(f"the answerer failed with {TOKEN} in its message")

        monkeypatch.setattr(app.bot_data["state"].answerer, "ask", broken)
        reply = await reply_to(fake, fake.private_message(ALICE, QUESTION))
    secret = TOKEN.split(":")[1]
    assert reply["text"] == SOMETHING_WRONG
    assert "HTTP Request: POST" in caplog.text and "/bot<token>/sendMessage" in caplog.text
    errors = [r for r in caplog.records if r.getMessage() == "error while handling an update"]
    assert len(errors) == 1 and "RuntimeError" in (errors[0].exc_text or "")
    assert secret not in caplog.text
    assert all(secret not in (r.exc_text or "") + r.getMessage() for r in caplog.records)


async def test_inline_query_answered(fake: FakeTelegram, bot_desk: Newsdesk) -> None:
    async with running_bot(fake, bot_desk):
        fake.inline_query(ALICE, QUESTION)
        call = await fake.wait_for("answerInlineQuery")
    results = call.params["results"]
    assert results[0]["type"] == "article"
    content = results[0]["input_message_content"]
    assert ANSWER_NAME in content["message_text"] and content["parse_mode"] == "HTML"
    assert "Residents, local groups abort ISIS emirate" in results[1]["title"]
