"""Tests of the fake Bot API server, through python-telegram-bot itself and through raw HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest, Conflict, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from fakes.telegram import DEFAULT_SPEC_PATH, FakeTelegram
from fakes.telegram_html import EntityParseError, parse_html

TOKEN = "123456:TEST-token"
ALICE_ID = 42


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(TOKEN) as server:
        yield server


def ptb_bot(fake: FakeTelegram, token: str = TOKEN) -> telegram.Bot:
    # Built per test rather than as an async fixture so it always lives on the test's own loop.
    return telegram.Bot(token, base_url=fake.base_url, base_file_url=fake.base_file_url)


def alice(fake: FakeTelegram) -> dict[str, Any]:
    """Alice has written to the bot, so her private chat exists."""
    user = fake.user(ALICE_ID, "Alice", "alice_w")
    fake.private_message(user, "hello")
    return user


async def raw(
    fake: FakeTelegram,
    method: str,
    data: dict[str, str] | None = None,
    *,
    json_body: dict[str, Any] | None = None,
    token: str = TOKEN,
) -> tuple[int, dict[str, Any]]:
    """A request PTB would never send (or would refuse to), straight over HTTP."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}{token}/{method}", data=data, json=json_body) as response,
    ):
        return response.status, await response.json()


# ------------------------------------------------------------------------- PTB's own requests


async def test_get_me_and_request_format(fake: FakeTelegram) -> None:
    alice(fake)
    async with ptb_bot(fake) as bot:
        assert (bot.username, bot.id) == ("newsdesk_test_bot", 123456)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more:1")]])
        await bot.send_message(ALICE_ID, "12", reply_markup=markup)
    call = fake.calls[-1]
    # PTB posts form-encoded fields: strings as they are, everything else JSON-encoded; the
    # fake decodes by the spec's field types, so the numeric text stays a string.
    assert call.content_type == "application/x-www-form-urlencoded"
    assert call.params == {
        "chat_id": ALICE_ID,
        "text": "12",
        "reply_markup": {"inline_keyboard": [[{"text": "More", "callback_data": "more:1"}]]},
    }
    assert [c.method for c in fake.calls] == ["getMe", "sendMessage"]
    assert fake.refused == []


async def test_send_message_html_result(fake: FakeTelegram) -> None:
    user = alice(fake)
    question = fake.private_message(user, "who won?")["message"]
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Sources", callback_data="src")]])
    async with ptb_bot(fake) as bot:
        first = await bot.send_message(
            ALICE_ID,
            "<b>Answer</b> &amp; <a href='https://example.org/a?x=1&amp;y=2'>source</a> 😀",
            parse_mode="HTML",
            reply_parameters=ReplyParameters(question["message_id"]),
            reply_markup=markup,
        )
        second = await bot.send_message(ALICE_ID, "again")
    assert first.text == "Answer & source 😀"
    assert [(e.type, e.offset, e.length) for e in first.entities] == [
        ("bold", 0, 6),
        ("text_link", 9, 6),
    ]
    assert first.entities[1].url == "https://example.org/a?x=1&y=2"
    assert first.from_user is not None and first.from_user.username == "newsdesk_test_bot"
    assert first.reply_to_message is not None
    assert first.reply_to_message.text == "who won?"
    assert first.reply_markup == markup
    # Message ids count per chat: "hello" was 1, the question 2.
    assert (first.message_id, second.message_id) == (3, 4)
    assert [m["text"] for m in fake.sent(ALICE_ID)] == ["Answer & source 😀", "again"]
    assert fake.sent(999) == []
    assert fake.refused == []


@pytest.mark.parametrize(
    ("text", "telegram_says"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
        ("é<p>x</p>", 'Unsupported start tag "p" at byte offset 2'),  # offsets are UTF-8 bytes
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("AT&T", 'Character "&" must be escaped as "&amp;" at byte offset 2'),
        ("&nbsp;x", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ("2 > 1", 'Character ">" must be escaped as "&gt;" at byte offset 2'),
    ],
)
async def test_malformed_html_refused(fake: FakeTelegram, text: str, telegram_says: str) -> None:
    alice(fake)
    async with ptb_bot(fake) as bot:
        with pytest.raises(BadRequest) as caught:
            await bot.send_message(ALICE_ID, text, parse_mode="HTML")
    # PTB strips "Bad Request: " and capitalize()s the rest, lowering everything after it.
    assert str(caught.value) == f"Can't parse entities: {telegram_says}".capitalize()
    assert [(r.method, r.description) for r in fake.refused] == [
        ("sendMessage", f"Bad Request: can't parse entities: {telegram_says}")
    ]


def test_html_parser_details() -> None:
    parsed = parse_html(
        '😀 <pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>q</blockquote><tg-spoiler>s</tg-spoiler> &#x27;&#39;&quot;"
    )
    assert parsed.text == "😀 x = 1qs ''\""
    assert parsed.entities == [
        {"type": "pre", "offset": 3, "length": 5, "language": "python"},  # 😀 is 2 UTF-16 units
        {"type": "expandable_blockquote", "offset": 8, "length": 1},
        {"type": "spoiler", "offset": 9, "length": 1},
    ]
    # The real server keeps stray "&" and ">" literally; strict=False behaves like it.
    assert parse_html("AT&T > x &nbsp;", strict=False).text == "AT&T > x &nbsp;"
    with pytest.raises(EntityParseError):
        parse_html("AT&T")


@pytest.mark.parametrize("text", ["", "   \n ", "<b> </b>"])
async def test_empty_text_refused(fake: FakeTelegram, text: str) -> None:
    alice(fake)
    status, body = await raw(
        fake, "sendMessage", {"chat_id": str(ALICE_ID), "text": text, "parse_mode": "HTML"}
    )
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    if text:  # PTB refuses to send "" itself, so only the others go through it
        async with ptb_bot(fake) as bot:
            with pytest.raises(BadRequest, match=r"^Message text is empty$"):
                await bot.send_message(ALICE_ID, text, parse_mode="HTML")


@pytest.mark.parametrize(
    ("text", "parse_mode", "fits"),
    [
        ("a" * 4096, None, True),
        ("a" * 4097, None, False),
        ("&amp;" * 4096, "HTML", True),  # 20480 characters sent, 4096 after parsing
        ("<b>" + "&lt;" * 4096 + "</b>", "HTML", True),
        ("&amp;" * 4097, "HTML", False),
        ("😀" * 2048, None, True),  # 4096 UTF-16 code units
        ("😀" * 2049, None, False),  # only 2049 characters, but 4098 code units
        ("a" * 4096 + "\n\n", None, True),  # trailing whitespace is trimmed first
    ],
)
async def test_length_limit_after_parsing(
    fake: FakeTelegram, text: str, parse_mode: str | None, fits: bool
) -> None:
    alice(fake)
    async with ptb_bot(fake) as bot:
        if fits:
            sent = await bot.send_message(ALICE_ID, text, parse_mode=parse_mode)
            assert sent.text is not None and len(sent.text.encode("utf-16-le")) == 2 * 4096
        else:
            with pytest.raises(BadRequest, match=r"^Message is too long$"):
                await bot.send_message(ALICE_ID, text, parse_mode=parse_mode)
    assert len(fake.refused) == (0 if fits else 1)


# ------------------------------------------------------------------------- raw HTTP


async def test_unknown_method_is_404(fake: FakeTelegram) -> None:
    status, body = await raw(fake, "sendTelepathy", {"chat_id": "1"})
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert [(r.method, r.description) for r in fake.refused] == [("sendTelepathy", "Not Found")]


async def test_spec_method_not_implemented(fake: FakeTelegram) -> None:
    alice(fake)
    async with ptb_bot(fake) as bot:
        with pytest.raises(BadRequest, match=r"^Method not implemented by the fake$"):
            await bot.send_poll(ALICE_ID, "Which?", ["a", "b"])
    assert fake.refused[0].method == "sendPoll"
    assert fake.refused[0].params["options"] == [{"text": "a"}, {"text": "b"}]


async def test_message_drafts_only_in_private_chats(fake: FakeTelegram) -> None:
    alice(fake)
    group: dict[str, Any] = {"id": -100, "type": "group", "title": "Desk"}
    fake.register_chat(group)
    async with ptb_bot(fake) as bot:
        assert await bot.send_message_draft(ALICE_ID, 7, "Writ<b>ing</b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match="only to private chats"):
            await bot.send_message_draft(group["id"], 7, "Writing")
        with pytest.raises(BadRequest, match="non-zero"):
            await bot.send_message_draft(ALICE_ID, 0, "Writing")
    assert fake.drafts(ALICE_ID) == [{"chat_id": ALICE_ID, "draft_id": 7, "text": "Writing"}]
    assert [r.method for r in fake.refused] == ["sendMessageDraft"] * 2


async def test_spec_file_decides_what_exists(tmp_path: Path) -> None:
    spec = json.loads(DEFAULT_SPEC_PATH.read_text(encoding="utf-8"))
    spec["methods"]["sendTelepathy"] = {"name": "sendTelepathy", "fields": [], "returns": []}
    del spec["methods"]["getMe"]
    edited = tmp_path / "api.json"
    edited.write_text(json.dumps(spec), encoding="utf-8")
    with FakeTelegram(TOKEN, spec_path=edited) as fake:
        assert (await raw(fake, "sendTelepathy"))[0] == 400
        assert (await raw(fake, "getMe"))[0] == 404
        assert [r.description for r in fake.refused] == [
            "Bad Request: method not implemented by the fake",
            "Not Found",
        ]


async def test_missing_required_parameter(fake: FakeTelegram) -> None:
    alice(fake)
    status, body = await raw(fake, "sendMessage", {"text": "hi"})
    assert (status, body["description"]) == (400, "Bad Request: parameter chat_id is required")
    status, body = await raw(fake, "sendChatAction", {"chat_id": str(ALICE_ID)})
    assert (status, body["description"]) == (400, "Bad Request: parameter action is required")
    status, body = await raw(fake, "sendMessage", {"chat_id": str(ALICE_ID)})
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    assert len(fake.refused) == 3


async def test_wrong_token_is_401(fake: FakeTelegram) -> None:
    status, body = await raw(fake, "getMe", token="123456:WRONG")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    with pytest.raises(InvalidToken):
        async with ptb_bot(fake, "123456:WRONG"):
            pass
    assert [r.description for r in fake.refused] == ["Unauthorized", "Unauthorized"]


async def test_json_body_query_string_and_case_insensitive_names(fake: FakeTelegram) -> None:
    alice(fake)
    status, body = await raw(fake, "SENDMESSAGE", json_body={"chat_id": ALICE_ID, "text": "x"})
    assert (status, body["ok"], body["result"]["text"]) == (200, True, "x")
    async with aiohttp.ClientSession() as session:
        url = f"{fake.base_url}{TOKEN}/getme?unused=1"
        async with session.get(url) as response:
            assert (await response.json())["result"]["username"] == "newsdesk_test_bot"
    assert [c.method for c in fake.calls] == ["sendMessage", "getMe"]
    assert fake.refused == []


async def test_invalid_reply_markup_refused(fake: FakeTelegram) -> None:
    alice(fake)
    base = {"chat_id": str(ALICE_ID), "text": "x"}

    def keyboard(*buttons: dict[str, Any]) -> str:
        return json.dumps({"inline_keyboard": [list(buttons)]})

    cases = {
        "{not json": "Bad Request: can't parse reply keyboard markup JSON object",
        keyboard({"text": "a", "callback_data": "é" * 33}): "Bad Request: BUTTON_DATA_INVALID",
        keyboard({"text": "a"}): "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard",
        keyboard({"callback_data": "a"}): "Bad Request: can't parse inline keyboard button: "
        'Field "text" must be of type String',
    }
    for markup, description in cases.items():
        status, body = await raw(fake, "sendMessage", {**base, "reply_markup": markup})
        assert (status, body["description"]) == (400, description)
    fine = keyboard({"text": "a", "callback_data": "é" * 32}, {"text": "b", "url": "https://x.y"})
    assert (await raw(fake, "sendMessage", {**base, "reply_markup": fine}))[0] == 200
    assert len(fake.refused) == len(cases)


# ------------------------------------------------------------------------- updates


async def test_get_updates_offset_semantics(fake: FakeTelegram) -> None:
    user = fake.user(7, "Bob")
    first, second, third = (fake.private_message(user, f"m{i}") for i in range(3))
    ids = [u["update_id"] for u in (first, second, third)]
    assert ids == sorted(ids)
    async with ptb_bot(fake) as bot:
        assert [u.update_id for u in await bot.get_updates()] == ids  # offset 0: all, kept
        assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[:1]
        assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
        # The first one was confirmed by that offset and is gone for good.
        assert [u.update_id for u in await bot.get_updates()] == ids[1:]
        assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[2:]
        assert [u["update_id"] for u in fake.pending_updates] == ids[2:]
        assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert fake.pending_updates == []


async def test_long_poll_wakes_up_when_an_update_arrives(fake: FakeTelegram) -> None:
    async with ptb_bot(fake) as bot:
        started = time.monotonic()
        poll = asyncio.create_task(bot.get_updates(timeout=20))
        while fake.waiting_polls == 0:  # parked on the server, not answered yet
            assert not poll.done() and time.monotonic() - started < 5
            await asyncio.sleep(0.01)
        injected = fake.private_message(fake.user(7, "Bob"), "/ask@newsdesk_test_bot who?")
        updates = await asyncio.wait_for(poll, 5)
        assert time.monotonic() - started < 5
        assert [u.update_id for u in updates] == [injected["update_id"]]
        message = updates[0].message
        assert message is not None and message.text == "/ask@newsdesk_test_bot who?"
        assert [(e.type, e.offset, e.length) for e in message.entities] == [("bot_command", 0, 22)]
        # An empty long poll lasts its timeout.
        started = time.monotonic()
        assert await bot.get_updates(offset=injected["update_id"] + 1, timeout=1) == ()
        assert time.monotonic() - started >= 0.9


async def test_allowed_updates_filter(fake: FakeTelegram) -> None:
    user = fake.user(7, "Bob")
    message = fake.private_message(user, "hi")
    fake.callback_query(user, message["message"], "x")
    async with ptb_bot(fake) as bot:
        only_messages = await bot.get_updates(allowed_updates=["message"])
        assert [u.message is not None for u in only_messages] == [True]
        # Omitted means the previous setting stays in force.
        assert len(await bot.get_updates()) == 1
        assert len(await bot.get_updates(allowed_updates=[])) == 2


def test_injected_updates_look_like_telegram(fake: FakeTelegram) -> None:
    user = fake.user(7, "Bob", "bob_b")
    group = fake.group_message(-1001, user, "😀 @newsdesk_test_bot /help now")
    message = group["message"]
    assert message["chat"] == {"id": -1001, "type": "supergroup", "title": "Newsroom"}
    assert message["from"] == user
    # Offsets and lengths are UTF-16 code units: the emoji counts two.
    assert message["entities"] == [
        {"type": "mention", "offset": 3, "length": 18},
        {"type": "bot_command", "offset": 22, "length": 5},
    ]
    reply = fake.group_message(-1001, user, "and?", reply_to=message)["message"]
    assert reply["message_id"] == message["message_id"] + 1
    assert reply["reply_to_message"]["text"] == message["text"]
    private = fake.private_message(user, "x")["message"]
    assert private["chat"] == {"id": 7, "type": "private", "first_name": "Bob", "username": "bob_b"}
    assert private["message_id"] == 1
    update_ids = [u["update_id"] for u in fake.pending_updates]
    assert update_ids == sorted(update_ids) and len(set(update_ids)) == 3


async def test_application_polling_end_to_end(fake: FakeTelegram) -> None:
    """The way the project's e2e tests use the fake: a real Application polling it."""

    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        args = " ".join(context.args or [])
        await update.effective_message.reply_html(f"Hi <b>{args}</b>", do_quote=True)

    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    fake.private_message(fake.user(7, "Bob"), "/start@newsdesk_test_bot there")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=dtm.timedelta(seconds=5))
        replies = await fake.wait_for_messages(7, 1, timeout=10)
        await app.updater.stop()
        await app.stop()
    assert replies[0]["text"] == "Hi there"
    assert replies[0]["reply_to_message"]["text"] == "/start@newsdesk_test_bot there"
    assert fake.pending_updates == []  # PTB confirmed what it handled when it stopped
    assert fake.refused == []


# ------------------------------------------------------------------------- other methods


async def test_429_injection_seen_as_retry_after(fake: FakeTelegram) -> None:
    alice(fake)
    fake.fail_next("sendMessage", retry_after=1, times=2)
    status, body = await raw(fake, "sendMessage", {"chat_id": str(ALICE_ID), "text": "x"})
    assert (status, body) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )
    async with ptb_bot(fake) as bot:
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(ALICE_ID, "x")
        # An int or a timedelta, depending on PTB_TIMEDELTA.
        assert caught.value.retry_after in (1, dtm.timedelta(seconds=1))
        await bot.send_message(ALICE_ID, "x")  # only `times` calls are refused
    assert [t.retry_after for t in fake.throttled] == [1, 1]
    assert fake.refused == []


async def test_file_round_trip(fake: FakeTelegram) -> None:
    user = alice(fake)
    content = "نص عربي\n".encode() * 1000
    doc = fake.document_message(ALICE_ID, user, "article.txt", content, caption="/ingest")
    document = doc["message"]["document"]
    assert document["mime_type"] == "text/plain"
    assert doc["message"]["caption_entities"] == [{"type": "bot_command", "offset": 0, "length": 7}]
    async with ptb_bot(fake) as bot:
        file = await bot.get_file(document["file_id"])
        assert file.file_path is not None and file.file_path.startswith(fake.base_file_url)
        assert await file.download_as_bytearray() == content
        # And the other way round: a multipart upload by the bot.
        sent = await bot.send_document(ALICE_ID, b"%PDF-1.4 x", filename="digest.pdf")
        assert sent.document is not None and sent.document.file_name == "digest.pdf"
        again = await bot.get_file(sent.document.file_id)
        assert await again.download_as_bytearray() == b"%PDF-1.4 x"
        with pytest.raises(BadRequest, match=r"^Invalid file_id$"):
            await bot.get_file("nope")
    upload = next(c for c in fake.calls if c.method == "sendDocument")
    assert upload.content_type == "multipart/form-data"
    async with aiohttp.ClientSession() as session:
        url = f"{fake.base_file_url}123456:WRONG/{file.file_path.rsplit('/', 2)[-2]}/x"
        async with session.get(url) as response:
            assert response.status == 401


async def test_edits_and_keyboards(fake: FakeTelegram) -> None:
    alice(fake)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
    async with ptb_bot(fake) as bot:
        sent = await bot.send_message(ALICE_ID, "v1", reply_markup=keyboard)
        edited = await bot.edit_message_text(
            "<i>v2</i>", ALICE_ID, sent.message_id, parse_mode="HTML"
        )
        assert isinstance(edited, telegram.Message)
        assert (edited.text, edited.reply_markup) == ("v2", None)  # no markup: keyboard gone
        with pytest.raises(BadRequest, match=r"^Message is not modified"):
            await bot.edit_message_text("<i>v2</i>", ALICE_ID, sent.message_id, parse_mode="HTML")
        marked = await bot.edit_message_reply_markup(
            ALICE_ID, sent.message_id, reply_markup=keyboard
        )
        assert isinstance(marked, telegram.Message) and marked.reply_markup == keyboard
        with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
            await bot.edit_message_text("x", ALICE_ID, 999)
        with pytest.raises(BadRequest, match=r"^Message can't be edited$"):
            await bot.edit_message_text("x", ALICE_ID, 1)  # Alice's "hello"
    assert [m["text"] for m in fake.sent(ALICE_ID)] == ["v1", "v2", "v2"]
    assert len(fake.refused) == 3


async def test_callback_and_inline_queries(fake: FakeTelegram) -> None:
    user = alice(fake)
    async with ptb_bot(fake) as bot:
        sent = await bot.send_message(ALICE_ID, "pick")
        query = fake.callback_query(user, sent.to_dict(), "more")["callback_query"]
        assert await bot.answer_callback_query(query["id"], text="ok")
        with pytest.raises(BadRequest, match=r"^Query is too old"):
            await bot.answer_callback_query(query["id"])
        inline = fake.inline_query(user, "elections")["inline_query"]
        article = telegram.InlineQueryResultArticle(
            "r1", "Elections", telegram.InputTextMessageContent("<b>x</b>", parse_mode="HTML")
        )
        assert await bot.answer_inline_query(inline["id"], [article])
    inline = fake.inline_query(user, "again")["inline_query"]
    bad_results = {
        '[{"type": "article", "title": "t"}]': 'fields "type" and "id" are required',
        '[{"type": "article", "id": "1", "title": "t"}]': 'field "input_message_content"',
        '[{"type": "hologram", "id": "1"}]': "RESULT_TYPE_INVALID",
        '{"type": "article"}': "can't parse inline query results JSON object",
    }
    for results, description in bad_results.items():
        status, body = await raw(
            fake, "answerInlineQuery", {"inline_query_id": inline["id"], "results": results}
        )
        assert status == 400 and description in body["description"], body
    assert len(fake.refused) == 1 + len(bad_results)


async def test_commands_and_chat_actions(fake: FakeTelegram) -> None:
    alice(fake)
    commands = [telegram.BotCommand("ask", "Ask the archive"), telegram.BotCommand("help", "Help")]
    async with ptb_bot(fake) as bot:
        assert await bot.set_my_commands(commands)
        assert await bot.get_my_commands() == tuple(commands)
        assert await bot.get_my_commands(language_code="ar") == ()
        assert await bot.delete_my_commands()
        assert await bot.get_my_commands() == ()
        with pytest.raises(BadRequest, match=r"^Bot_command_invalid$"):
            await bot.set_my_commands([telegram.BotCommand("Ask", "Uppercase is not allowed")])
        assert await bot.send_chat_action(ALICE_ID, "typing")
        with pytest.raises(BadRequest, match=r"^Chat not found$"):
            await bot.send_chat_action(31337, "typing")
        assert await bot.close() and await bot.log_out()
    assert len(fake.refused) == 2


async def test_webhook(fake: FakeTelegram) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        ok = request.headers.get("X-Telegram-Bot-Api-Secret-Token") == "s3cret"
        return web.Response(status=200 if ok else 403)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        async with ptb_bot(fake) as bot:
            assert await bot.set_webhook(url, secret_token="s3cret")
            info = await bot.get_webhook_info()
            assert (info.url, info.pending_update_count) == (url, 0)
            with pytest.raises(Conflict, match=r"webhook is active"):
                await bot.get_updates()
            update = fake.private_message(fake.user(7, "Bob"), "via webhook")
            assert await fake.post_update_to_webhook(update, secret="wrong") == 403
            assert len(fake.pending_updates) == 1  # not delivered, so still queued
            assert await fake.post_update_to_webhook(update) == 200
            assert fake.pending_updates == []
            with pytest.raises(BadRequest, match=r"https url must be provided"):
                await bot.set_webhook("http://example.org/hook")
            assert await bot.delete_webhook()
            assert await bot.get_updates() == ()
    finally:
        await runner.cleanup()
    assert received == [("wrong", update), ("s3cret", update)]


async def test_application_webhook_end_to_end(fake: FakeTelegram) -> None:
    """PTB's own webhook server gets the update, and refuses a wrong secret token."""

    async def echo(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"got {update.effective_message.text}")

    with socket.socket() as probe:  # a free port for PTB's webhook server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="s3cret",
        )
        update = fake.private_message(fake.user(7, "Bob"), "ping")
        assert await fake.post_update_to_webhook(update, secret="forged") == 403
        assert await fake.post_update_to_webhook(update) == 200
        replies = await fake.wait_for_messages(7, 1, timeout=10)
        await app.updater.stop()
        await app.stop()
    assert [m["text"] for m in replies] == ["got ping"]
    assert fake.refused == []


# ------------------------------------------------------------------------- waiting helpers


async def test_wait_for_reports_recent_calls(fake: FakeTelegram) -> None:
    alice(fake)
    async with ptb_bot(fake) as bot:
        await bot.send_message(ALICE_ID, "first")
        call = await fake.wait_for("sendMessage", timeout=1)
        assert call.params["text"] == "first"
        with pytest.raises(AssertionError, match=r"(?s)within 0.2s.*sendMessage -> 200"):
            await fake.wait_for(lambda c: c.method == "sendDocument", timeout=0.2)
        later = len(fake.calls)
        await bot.send_message(ALICE_ID, "second")
        call = await fake.wait_for("sendMessage", since=later)
        assert call.params["text"] == "second"


def test_sync_use_from_another_thread(fake: FakeTelegram) -> None:
    """Sync tests (a bot running in its own thread) get the same view, woken without polling."""
    alice(fake)

    def send_later() -> None:
        time.sleep(0.1)
        body = json.dumps({"chat_id": ALICE_ID, "text": "from a thread"}).encode()
        request = urllib.request.Request(
            f"{fake.base_url}{TOKEN}/sendMessage",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    sender = threading.Thread(target=send_later)
    sender.start()
    messages = fake.wait_for_messages_sync(ALICE_ID, 1, timeout=10)
    sender.join()
    assert messages[0]["text"] == "from a thread"
    assert fake.wait_for_sync("sendMessage", timeout=1).params["chat_id"] == ALICE_ID
    with pytest.raises(AssertionError, match=r"did not happen within 0.1s"):
        fake.wait_for_sync("sendDocument", timeout=0.1)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{fake.base_url}{TOKEN}/getUpdatez", timeout=10)
    assert caught.value.code == 404
    caught.value.close()
