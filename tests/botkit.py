"""Shared pieces of the bot tests: the fake Telegram server, a seeded desk, a running bot.

Test modules use the fixtures by their names (fake, bot_desk)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from newsdesk.bot.app import BotSettings, build_application, start_updates
from newsdesk.desk import Newsdesk

from fakes.telegram import Call, FakeTelegram

TOKEN = "123456:AAHbotkit-Secret_Token-0123456789abc"
BOT_NAME = "newsdesk_test_bot"
ADMIN_ID = 1001
# A question the seed article answers with a name.
QUESTION = "Who was the emir in charge of assassinations?"
ANSWER_NAME = "Ayoub al-Jebawi"

App = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture(name="fake")
def fake_server(shared: Path) -> Iterator[FakeTelegram]:
    """The fake Bot API, as ../shared's spec describes it; at the end, no request of the bot
    may have been refused."""
    spec = shared / "telegram-bot-api" / "api.json"
    server = FakeTelegram(TOKEN, bot_username=BOT_NAME, spec_path=spec).start()
    try:
        yield server
    finally:
        server.stop()
    assert server.refused == []


@pytest.fixture(name="bot_desk")
def seeded_desk(seed_desk: Newsdesk) -> Newsdesk:
    """A desk of the test's own holding the seed article."""
    return seed_desk


def bot_settings(fake: FakeTelegram, **overrides: Any) -> BotSettings:
    """Settings pointing at the fake server, with ADMIN_ID as the admin."""
    values: dict[str, Any] = {
        "base_url": fake.base_url,
        "base_file_url": fake.base_file_url,
        "admins": frozenset({ADMIN_ID}),
    }
    return BotSettings(TOKEN, **(values | overrides))


@asynccontextmanager
async def running_bot(fake: FakeTelegram, desk: Newsdesk, **overrides: Any) -> AsyncIterator[App]:
    """The real Application, started and receiving updates; stopped cleanly afterwards."""
    app = build_application(bot_settings(fake, **overrides), desk)
    async with app:
        await app.start()
        await start_updates(app, poll_timeout=1)
        try:
            yield app
        finally:
            assert app.updater is not None
            await app.updater.stop()
            await app.stop()


def _replies(call: Call, chat_id: int, message_id: int) -> bool:
    result = call.result
    return (
        call.method == "sendMessage"
        and call.ok
        and result["chat"]["id"] == chat_id
        and result.get("reply_to_message", {}).get("message_id") == message_id
    )


async def reply_to(fake: FakeTelegram, update: dict[str, Any], timeout: float = 60) -> dict:
    """The bot's first message replying to the message in `update`."""
    message = update["message"]
    chat_id, message_id = message["chat"]["id"], message["message_id"]
    call = await fake.wait_for(lambda c: _replies(c, chat_id, message_id), timeout)
    return call.result


def replies_to(fake: FakeTelegram, update: dict[str, Any]) -> list[dict]:
    """Every message the bot sent so far replying to the message in `update`."""
    message = update["message"]
    return [
        m
        for m in fake.sent(message["chat"]["id"])
        if m.get("reply_to_message", {}).get("message_id") == message["message_id"]
    ]


def buttons(message: dict) -> list[dict]:
    """The inline buttons under a sent message, row by row flattened."""
    return [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


async def said(fake: FakeTelegram, chat_id: int, text: str, timeout: float = 30) -> str:
    """The text of the bot's first message in the chat holding `text`."""

    def match(call: Call) -> bool:
        sent = call.result if call.ok and call.method == "sendMessage" else {}
        return sent.get("chat", {}).get("id") == chat_id and text in sent.get("text", "")

    return str((await fake.wait_for(match, timeout)).result["text"])


async def until(check: Any, timeout: float = 30) -> None:
    """Wait for a condition the bot brings about on its own threads."""
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never came true")
