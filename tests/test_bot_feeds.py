"""/feed, /follow, /following, /unfollow through the real bot and the fake Bot API (the
hashing stand-in for the model: these test the commands, not the quality of matching)."""

from __future__ import annotations

import click
import pytest

from newsdesk.bot.admin import ONLY_ADMINS
from newsdesk.bot.follows import GROUP_ADMINS_ONLY
from newsdesk.cli.bot import settings_from_env
from newsdesk.desk import Newsdesk
from newsdesk.ingest.models import RawArticle
from newsdesk.ingest.store.follows import QueuedAlert

from botkit import ADMIN_ID, TOKEN, running_bot, said, until
from fakes.feeds import FeedServer, item, rss
from fakes.telegram import FakeTelegram

ADMIN = FakeTelegram.user(ADMIN_ID, "Admin", "admin")
ALICE = FakeTelegram.user(42, "Alice", "alice")
GROUP = -1001234


async def test_admins_manage_feeds_and_the_bot_polls_them(
    fake: FakeTelegram, fast_desk: Newsdesk, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/rss", rss("North Wire", [item(1), item(2)]))
    page = feed_server.serve(
        "/page", "<html><body><p>A page</p></body></html>", content_type="text/html"
    )
    async with running_bot(fake, fast_desk):
        fake.private_message(ALICE, f"/feed add {url}")
        assert ONLY_ADMINS in await said(fake, ALICE["id"], "only the archive")
        fake.private_message(ADMIN, f"/feed add {url}")
        assert "Following feed #1: North Wire" in await said(fake, ADMIN_ID, "Following feed")
        await until(lambda: fast_desk.stats().articles == 2)
        fake.private_message(ADMIN, "/feed list")
        assert "#1 North Wire — 2 new, 2 articles" in await said(fake, ADMIN_ID, "#1 North Wire")
        fake.private_message(ADMIN, f"/feed add {page}")
        refused = await said(fake, ADMIN_ID, "cannot follow")
        assert "not a feed but a web page" in refused
        fake.private_message(ADMIN, "/feed drop everything")
        assert "/feed add" in await said(fake, ADMIN_ID, "Usage:")
        fake.private_message(ADMIN, "/feed remove 1")
        assert "North Wire" in await said(fake, ADMIN_ID, "Stopped following feed #1")
    assert fast_desk.feeds() == [] and fast_desk.stats().articles == 2


async def test_follow_usage_and_a_restart_keeps_follows(
    fake: FakeTelegram, fast_desk: Newsdesk
) -> None:
    async with running_bot(fake, fast_desk):
        fake.private_message(ALICE, "/follow")
        await said(fake, ALICE["id"], "Usage: /follow")
        fake.private_message(ALICE, "/follow what is the")
        assert "only common words" in await said(fake, ALICE["id"], "common words")
        fake.private_message(ALICE, "/follow Jassim   clashes")
        assert "Following Jassim clashes here (#1)" in await said(fake, ALICE["id"], "Following")
    with Newsdesk(
        fast_desk.settings, embedder=fast_desk.embedder, multilingual=fast_desk.multilingual
    ) as restarted:
        async with running_bot(fake, restarted):
            fake.private_message(ALICE, "/following")
            assert "#1 Jassim clashes" in await said(fake, ALICE["id"], "This chat follows:")
            fake.private_message(ALICE, "/unfollow water")
            await said(fake, ALICE["id"], "follows nothing called “water”")
            fake.private_message(ALICE, "/unfollow #1")
            await said(fake, ALICE["id"], "Stopped following Jassim clashes")
            assert restarted.follows() == []


async def test_groups_may_keep_follows_to_admins(fake: FakeTelegram, fast_desk: Newsdesk) -> None:
    async with running_bot(fake, fast_desk, group_follows="admins"):
        fake.group_message(GROUP, ALICE, "/follow Jassim")
        assert GROUP_ADMINS_ONLY in await said(fake, GROUP, "only the archive")
        fake.group_message(GROUP, ADMIN, "/follow Jassim")
        await said(fake, GROUP, "Following Jassim")
        fake.private_message(ALICE, "/follow Daraa")  # private chats: anyone
        await said(fake, ALICE["id"], "Following Daraa")
    assert [(f.chat_id, f.topic) for f in fast_desk.follows()] == [
        (GROUP, "Jassim"),
        (ALICE["id"], "Daraa"),
    ]


def test_group_follows_setting_from_the_environment() -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN}
    assert settings_from_env(env).group_follows == "everyone"
    assert settings_from_env(env | {"NEWSDESK_GROUP_FOLLOWS": "Admins"}).group_follows == "admins"
    with pytest.raises(click.UsageError, match="NEWSDESK_GROUP_FOLLOWS"):
        settings_from_env(env | {"NEWSDESK_GROUP_FOLLOWS": "owners"})


async def test_alerts_go_only_to_chats_still_allowed(
    fake: FakeTelegram, fast_desk: Newsdesk
) -> None:
    report = fast_desk.ingest_items(
        [RawArticle(text="The market in Jassim reopened after the storm.", title="Market")]
    )
    article_id = report.outcomes[0].article_id
    for chat in (ALICE["id"], ADMIN_ID):
        follow = fast_desk.follow(chat, "market")
        fast_desk.follow_store.queue([QueuedAlert(chat, 1, article_id, follow.id, 1.0)], 0)
    fake.register_chat({"id": ADMIN_ID, "type": "private", "first_name": "Admin"})
    async with running_bot(fake, fast_desk, allowed_chats=frozenset({GROUP})):
        assert "New on market: Market" in await said(fake, ADMIN_ID, "🔔")
        await until(lambda: fast_desk.due_alerts(per_hour=3) == [])
    assert fake.sent(ALICE["id"]) == []
