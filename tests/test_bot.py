"""The Telegram bot end to end in private chats: the real Application against the fake server."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from newsdesk.bot.callbacks import INLINE_OFF
from newsdesk.bot.format import answer_html, visible_len
from newsdesk.bot.i18n import WORDS
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.index.read.answerer import UNSURE, Answerer
from newsdesk.ingest.models import RawArticle

from botkit import (
    ANSWER_NAME,
    QUESTION,
    TOKEN,
    buttons,
    replies_to,
    reply_to,
    running_bot,
)
from fakes.telegram import Call, FakeTelegram

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
    assert "answer inline" in help_["text"]
    assert "Articles: 1" in stats["text"] and "Outlets: 1" in stats["text"]
    menu = [c for c in fake.calls if c.method == "setMyCommands"]
    assert [c["command"] for c in menu[0].params["commands"]] == [
        "ask",
        "sources",
        "latest",
        "stats",
        "follow",
        "following",
        "unfollow",
        "timeline",
        "who",
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


async def test_a_weakly_supported_answer_says_so_first(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    # The seed article quotes a leader of the Eighth Brigade; it never says who leads it.
    async with running_bot(fake, bot_desk):
        weak = await reply_to(fake, fake.private_message(ALICE, "Who leads the Eighth Brigade?"))
        strong = await reply_to(fake, fake.private_message(ALICE, QUESTION))
    assert weak["text"].startswith(UNSURE) and "North Press" in weak["text"]
    assert any(e["type"] == "italic" for e in weak.get("entities", []))
    assert not strong["text"].startswith(UNSURE)


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
    assert "/ask" in reply["text"] and WORDS["wrong"]["en"] not in reply["text"]


async def test_archive_problems_told_in_a_chat_users_terms(
    fake: FakeTelegram, bot_desk: Newsdesk, tmp_path: Path
) -> None:
    with Newsdesk(Settings(home=tmp_path / "empty"), embedder=bot_desk.embedder) as empty:
        async with running_bot(fake, empty):
            nothing = await reply_to(fake, fake.private_message(ALICE, QUESTION))
    bot_desk.settings.index_path.write_bytes(b"corrupt")
    with Newsdesk(bot_desk.settings, embedder=bot_desk.embedder) as broken:
        async with running_bot(fake, broken):
            unusable = await reply_to(fake, fake.private_message(ALICE, QUESTION))
    assert nothing["text"] == WORDS["empty"]["en"]
    assert "index needs rebuilding" in unusable["text"]
    assert all("newsdesk" not in r["text"] for r in (nothing, unusable))  # no commands to run


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
    # Asked in Arabic, newsdesk's own words are Arabic; the article's sentences stay English.
    assert buttons(second)[0]["text"] == "المصادر"
    assert "North Press" in second["text"]
    assert "لم أجد" in second["text"] or "Jassim" in second["text"]


async def test_arabic_app_gets_arabic_words(fake: FakeTelegram, bot_desk: Newsdesk) -> None:
    """A user whose Telegram is set to Arabic: the usage reply to a bare /ask is Arabic."""
    arab = FakeTelegram.user(77, "Layla", "layla") | {"language_code": "ar"}
    async with running_bot(fake, bot_desk):
        usage = await reply_to(fake, fake.private_message(arab, "/ask"))
        english = await reply_to(fake, fake.private_message(arab, QUESTION))
    assert usage["text"].startswith("أرسل لي سؤالاً عن الأخبار")
    assert buttons(english)[0]["text"] == "Sources"  # she wrote English


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
    async with running_bot(fake, bot_desk):
        # build_application quietens httpx; turn it up again to see that its URLs are redacted.
        caplog.set_level(logging.DEBUG, logger="httpx")

        def broken(question: str, **_: object) -> None:
            raise RuntimeError(f"the answerer failed with {TOKEN} in its message")

        monkeypatch.setattr(bot_desk, "ask_then_write", broken)
        reply = await reply_to(fake, fake.private_message(ALICE, QUESTION))
    secret = TOKEN.split(":")[1]
    assert reply["text"] == WORDS["wrong"]["en"]
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
    assert call.params["is_personal"] is True  # Telegram caches them for Alice alone


async def test_inline_results_are_personal_and_off_with_allowed_chats(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    # Telegram would hand cached results to anyone typing the same query: never allowed here.
    async with running_bot(fake, bot_desk, allowed_chats=frozenset({ALICE["id"]})):
        fake.inline_query(ALICE, QUESTION)
        call = await fake.wait_for("answerInlineQuery")
        help_ = await reply_or_message(fake, fake.private_message(ALICE, "/help"))
    assert call.params["results"] == [] and call.params["is_personal"] is True
    assert call.params["button"] == {"text": INLINE_OFF, "start_parameter": "inline"}
    assert "/sources" in help_["text"] and "inline" not in help_["text"]


async def test_inline_typing_leaves_the_question_budget(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    # One inline query per pause in typing: a dozen prefixes of one question.
    prefixes = [QUESTION[: round(n * len(QUESTION) / 12)] for n in range(1, 13)]
    async with running_bot(fake, bot_desk):  # 10 questions a minute
        for prefix in prefixes:
            fake.inline_query(ALICE, prefix)
        await fake.wait_for(
            lambda _: len([c for c in fake.calls if c.method == "answerInlineQuery"]) == 12
        )
        answer = await reply_to(fake, fake.private_message(ALICE, QUESTION))
    assert ANSWER_NAME in answer["text"] and buttons(answer)


async def test_latest_with_a_superscript_digit_gets_usage(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    async with running_bot(fake, bot_desk):
        # "²".isdigit() is true, but int("²") raises.
        reply = await reply_or_message(fake, fake.private_message(ALICE, "/latest ²"))
    assert reply["text"] == "Usage: /latest [n], with n from 1 to 30."


LONG_NAMES = [
    "Leila Haddad",
    "Omar Khatib",
    "Sami Nasser",
    "Rana Aziz",
    "Yusuf Darwish",
    "Huda Mansour",
    "Karim Saleh",
    "Nour Barakat",
    "Tariq Hamdan",
    "Salma Qasem",
    "Fadi Jaber",
    "Mona Rashid",
]


def crew_reports() -> list[RawArticle]:
    """One long sentence per engineer, each with its own list of chores, so none repeats."""
    verbs = (
        "welded cleared tested rewired painted drained measured sealed lifted mapped pumped guarded"
    )
    things = "pipes valves tanks cables meters filters gauges hatches motors drains ladders fences"
    places = (
        "north gate|old market|railway bridge|school yard|bus depot|mosque square|cement works|"
        "fire station|grain silo|olive grove|hospital wing|police post"
    )
    verb, thing, place = verbs.split(), things.split(), places.split("|")
    articles = []
    for i, name in enumerate(LONG_NAMES):
        chores = ", ".join(
            f"{verb[(i + k * 5) % 12]} the {thing[(i * 7 + k * 3) % 12]} "
            f"by the {place[(i * 5 + k * 7) % 12]}"
            for k in range(8)
        )
        text = (
            f"After the flood, the engineer {name} repaired the Zarqa water plant: "
            f"{name.split()[0]} and a crew {chores}."
        )
        articles.append(
            RawArticle(
                text=text,
                title=f"How {name} brought water back to Zarqa",
                date=f"2024-03-{i + 1:02d}",
                source=f"Outlet {i}",
                url=f"https://example.org/zarqa/{i}",
            )
        )
    return articles


async def test_long_answer_split_into_valid_messages(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    bot_desk.ingest_items(crew_reports())
    # The real answer path, allowed to quote a dozen sentences instead of three.
    bot_desk.answerer = Answerer(
        bot_desk.searcher, bot_desk.archive.term_frequencies, k=12, max_sentences=12, max_chars=8000
    )
    question = "Which engineer repaired the Zarqa water plant after the flood?"
    expected = bot_desk.ask(question)
    assert visible_len(answer_html(expected)) > 4096 and len(expected.sources) >= 8
    async with running_bot(fake, bot_desk):
        update = fake.private_message(ALICE, question)
        chat_id, message_id = ALICE["id"], update["message"]["message_id"]
        await fake.wait_for(  # the piece with the buttons
            lambda c: _replies_with_buttons(c, chat_id, message_id)
        )
        pieces = replies_to(fake, update)
        fake.callback_query(ALICE, pieces[-1], "src")
        listing = await reply_or_message(fake, fake.private_message(ALICE, "/sources"))
    assert len(pieces) >= 2 and fake.refused == []
    assert all(len(p["text"]) <= 4096 for p in pieces)
    assert [bool(buttons(p)) for p in pieces] == [False] * (len(pieces) - 1) + [True]
    shown = " ".join(" ".join(p["text"] for p in pieces).split())
    assert " ".join(expected.text.split()) in shown
    for source in expected.sources:
        assert f"[{source.n}] {source.title} — {source.source}" in shown
    assert all(s.title in listing["text"] for s in expected.sources)


def _replies_with_buttons(call: Call, chat_id: int, message_id: int) -> bool:
    result = call.result if call.method == "sendMessage" and call.ok else {}
    return (
        bool(result)
        and result["chat"]["id"] == chat_id
        and result.get("reply_to_message", {}).get("message_id") == message_id
        and "reply_markup" in result
    )
