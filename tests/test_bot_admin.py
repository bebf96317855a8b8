"""Admin commands through the bot (uploads, /add, /delete), and the `newsdesk bot` command."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import click
import pytest

from newsdesk.bot import app as bot_app
from newsdesk.bot.admin import ONLY_ADMINS
from newsdesk.bot.app import build_application
from newsdesk.cli.bot import settings_from_env
from newsdesk.desk import Newsdesk
from newsdesk.errors import NewsdeskError

from botkit import (
    ADMIN_ID,
    ANSWER_NAME,
    QUESTION,
    TOKEN,
    bot_settings,
    buttons,
    replies_to,
    reply_to,
    running_bot,
)
from fakes.telegram import FakeTelegram

ADMIN = FakeTelegram.user(ADMIN_ID, "Admin", "admin")
MALLORY = FakeTelegram.user(66, "Mallory")
ALICE = FakeTelegram.user(42, "Alice", "alice")
REPORT = b"""# Water returns to Zarqa

ZARQA (Desert Wire) - The Zarqa water plant was reopened on Monday by the engineer Leila Haddad,
who led two years of repairs after the flood destroyed its pumps.

Residents said the taps in the eastern quarter ran again for the first time since the flood.
Haddad said the second pumping station would follow within a month.
"""


async def test_admin_upload_is_ingested_then_answerable(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    async with running_bot(fake, bot_desk):
        upload = fake.document_message(ADMIN_ID, ADMIN, "zarqa <water>.md", REPORT)
        summary = await reply_to(fake, upload)
        answer = await reply_to(
            fake, fake.private_message(ADMIN, "Who reopened the Zarqa water plant?")
        )
    assert "zarqa <water>.md: 1 added" in summary["text"]
    assert "added #2: Water returns to Zarqa" in summary["text"]
    assert "Leila Haddad" in answer["text"] and buttons(answer)
    assert bot_desk.archive.get(2).origin == "zarqa <water>.md"  # not the temporary file
    assert any(c.method == "getFile" for c in fake.calls)


async def test_admin_feed_with_a_bad_record_and_delete(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    records = [
        {"title": "Bridge opens", "text": "The new bridge over the river opened to traffic " * 3},
        {"title": "No text here"},
    ]
    jsonl = "\n".join(json.dumps(r) for r in records).encode()
    async with running_bot(fake, bot_desk):
        summary = await reply_to(fake, fake.document_message(ADMIN_ID, ADMIN, "batch.jsonl", jsonl))
        unreadable = await reply_to(
            fake, fake.document_message(ADMIN_ID, ADMIN, "scan.pdf", b"%PDF-1.4")
        )
        deleted = await reply_to(fake, fake.private_message(ADMIN, "/delete 1"))
        missing = await reply_to(fake, fake.private_message(ADMIN, "/delete 999"))
        superscript = await reply_to(fake, fake.private_message(ADMIN, "/delete ²"))
        bad_add = await reply_to(fake, fake.private_message(ADMIN, "/add ftp://example.org/x"))
    assert "1 added" in summary["text"] and "1 failed" in summary["text"]
    assert "failed: batch.jsonl:2:" in summary["text"]
    assert "can't read scan.pdf" in unreadable["text"]
    assert "Deleted article 1: Residents, local groups abort ISIS emirate" in deleted["text"]
    assert "no article 999" in missing["text"]
    assert "Usage: /delete" in superscript["text"]  # "²".isdigit(), but int("²") fails
    assert "Usage: /add" in bad_add["text"]
    assert [a.title for a in bot_desk.archive.articles()] == ["Bridge opens"]


def council_reports(n: int) -> bytes:
    """A JSONL feed of n distinct articles, a few passages each."""
    towns = "Amra Basir Dael Inkhil Nawa Tafas Busra Izraa Shahba Salkhad".split()
    records = [
        {
            "title": f"{towns[i % 10]} council report {i}",
            "text": " ".join(
                f"Item {j} of report {i}: the council of {towns[i % 10]} voted on road "
                f"{i * 10 + j} and on the school of street {j}, after a long debate."
                for j in range(5)
            ),
        }
        for i in range(n)
    ]
    return "\n".join(json.dumps(r) for r in records).encode()


async def test_questions_answered_while_an_upload_is_ingested(
    fake: FakeTelegram, bot_desk: Newsdesk
) -> None:
    async with running_bot(fake, bot_desk):
        upload = fake.document_message(ADMIN_ID, ADMIN, "councils.jsonl", council_reports(60))
        await fake.wait_for("getFile")
        await asyncio.sleep(0.5)  # the file is read; its 60 articles are being indexed
        answer = await reply_to(fake, fake.private_message(ALICE, QUESTION))
        assert replies_to(fake, upload) == []  # the ingest is still running
        summary = await reply_to(fake, upload, timeout=120)
    assert ANSWER_NAME in answer["text"] and buttons(answer)
    assert "councils.jsonl: 60 added" in summary["text"]


async def test_non_admins_are_refused(fake: FakeTelegram, bot_desk: Newsdesk) -> None:
    async with running_bot(fake, bot_desk):
        replies = [
            await reply_to(fake, fake.document_message(66, MALLORY, "fake.txt", REPORT)),
            await reply_to(fake, fake.private_message(MALLORY, "/add https://example.org/a")),
            await reply_to(fake, fake.private_message(MALLORY, "/delete 1")),
        ]
    assert [r["text"] for r in replies] == [ONLY_ADMINS] * 3
    assert bot_desk.stats().articles == 1
    assert not any(c.method == "getFile" for c in fake.calls)


def test_settings_from_the_environment() -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": "http://localhost:8081/bot",
        "NEWSDESK_ADMINS": "1001, 1002",
        "NEWSDESK_ALLOWED_CHATS": "-1001234 42",
    }
    settings = settings_from_env(env, webhook_url="https://bot.example.org/hook")
    assert settings.base_url == "http://localhost:8081/bot"
    assert settings.base_file_url == "https://api.telegram.org/file/bot"
    assert settings.admins == {1001, 1002} and settings.allowed_chats == {-1001234, 42}
    assert settings.webhook_secret and len(settings.webhook_secret) >= 32  # made up when unset
    assert TOKEN not in repr(settings) and settings.webhook_secret not in repr(settings)
    assert settings_from_env({"TELEGRAM_BOT_TOKEN": TOKEN}).webhook_secret is None
    with pytest.raises(click.UsageError, match="TELEGRAM_BOT_TOKEN"):
        settings_from_env({})
    with pytest.raises(click.UsageError, match="NEWSDESK_ADMINS"):
        settings_from_env(env | {"NEWSDESK_ADMINS": "@alice"})


# The lead registers bot_cmd as `newsdesk bot`; here it runs on its own, as click would.
BOT_COMMAND = (
    "from newsdesk.cli.bot import bot_cmd; from newsdesk.cli.kit import Context; "
    "from newsdesk.config import Settings; "
    "bot_cmd.main(['-v'] if {verbose} else [], obj=Context(Settings.from_env()), "
    "prog_name='newsdesk bot')"
)


def bot_command_env(fake: FakeTelegram, seed_home: Path, tmp_path: Path, token: str) -> dict:
    home = tmp_path / "home"
    shutil.copytree(seed_home, home)
    return os.environ | {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_API_FILE_URL": fake.base_file_url,
        "NEWSDESK_HOME": str(home),
        "NEWSDESK_ADMINS": str(ADMIN_ID),
    }


def test_bot_command_polls_until_sigterm(
    fake: FakeTelegram, seed_home: Path, tmp_path: Path
) -> None:
    """The real entry point: settings from the environment, long polling, clean shutdown."""
    env = bot_command_env(fake, seed_home, tmp_path, TOKEN)
    process = subprocess.Popen(
        [sys.executable, "-c", BOT_COMMAND.format(verbose=False)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        fake.wait_for_sync("setMyCommands", timeout=120)
        fake.private_message(ADMIN, "/stats")
        reply = fake.wait_for_messages_sync(ADMIN_ID, 1, timeout=60)[0]
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert "Articles: 1" in reply["text"]
    assert process.returncode == 0, stderr
    assert "newsdesk bot: 1 articles; long polling" in stderr
    assert "Application started" in stderr and TOKEN.split(":")[1] not in stderr


def test_bot_command_with_a_rejected_token(seed_home: Path, tmp_path: Path) -> None:
    """PTB's InvalidToken names the token; the command says what is wrong without it."""
    wrong = "123456:AAHwrong-Secret_Token-9876543210xyz"
    with FakeTelegram(TOKEN) as fake:  # not the fixture: this getMe is meant to be refused
        env = bot_command_env(fake, seed_home, tmp_path, wrong)
        done = subprocess.run(
            [sys.executable, "-c", BOT_COMMAND.format(verbose=True)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert [r.method for r in fake.refused] == ["getMe"]
    assert done.returncode == 1, done.stderr
    assert "Error: Telegram rejected the bot token in TELEGRAM_BOT_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr
    assert wrong.split(":")[1] not in done.stderr + done.stdout


def test_other_errors_stopping_the_bot_are_redacted(
    fake: FakeTelegram, bot_desk: Newsdesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_application(bot_settings(fake, webhook_secret="hook-Secret-42"), bot_desk)

    def crash(_: object) -> None:
        raise OSError(f"cannot reach /bot{TOKEN}/getMe with secret hook-Secret-42")

    monkeypatch.setattr(bot_app, "run", crash)
    with pytest.raises(NewsdeskError) as caught:
        bot_app.serve(app)
    message = str(caught.value)
    assert message.startswith("the bot stopped: OSError(") and "/bot<token>/getMe" in message
    assert TOKEN.split(":")[1] not in message and "hook-Secret-42" not in message
