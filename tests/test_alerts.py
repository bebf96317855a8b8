"""Follow alerts and timelines with the real model: the bot alerts a chat once for a matching
new article and never for an unrelated one; /timeline and `newsdesk timeline` fold copies."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from newsdesk.cli.main import cli
from newsdesk.desk import Newsdesk
from newsdesk.ingest.store.follows import CHECKED_KEY

from botkit import running_bot, said, until
from fakes.feeds import FeedServer, item, rss
from fakes.telegram import FakeTelegram

ALICE = FakeTelegram.user(42, "Alice", "alice")
JASSIM = item(
    1,
    title="Clashes renew in Jassim between local groups and ISIS cells",
    text="Fighting broke out again on Monday in the town of Jassim, in the Daraa countryside, "
    "between local armed groups and cells of the Islamic State, residents said. Two fighters "
    "were killed and a curfew was imposed on the town's western neighbourhoods.",
)
RUGBY = item(
    2,
    title="Scotland names a new rugby coach",
    text="The Scottish Rugby Union appointed a new head coach on Tuesday, hoping to revive the "
    "fortunes of the national side before the Six Nations. He won eight caps as a flanker.",
)


async def test_a_follow_fires_once_for_a_matching_article_and_not_for_an_unrelated_one(
    fake: FakeTelegram, bot_desk: Newsdesk, feed_server: FeedServer
) -> None:
    async with running_bot(fake, bot_desk, feed_check_every=0.2):
        fake.private_message(ALICE, "/follow Jassim")
        await said(fake, ALICE["id"], "Following Jassim")
        # Both arrive after the follow; the feed is due at every round of the bot's job.
        bot_desk.add_feed(feed_server.serve("/rss", rss("South Wire", [RUGBY, JASSIM])), every=0)
        alert = await said(fake, ALICE["id"], "🔔", timeout=60)
        newest = max(a.id for a in bot_desk.articles(limit=None))
        await until(lambda: int(bot_desk.archive.get_meta(CHECKED_KEY) or 0) >= newest)
        # Two more polls of the feed: two more rounds in which nothing may fire again.
        polls = len(feed_server.hits("/rss"))
        await until(lambda: len(feed_server.hits("/rss")) >= polls + 2)
    assert "New on Jassim: Clashes renew in Jassim" in alert and "South Wire" in alert
    alerts = [m["text"] for m in fake.sent(ALICE["id"]) if "🔔" in m["text"]]
    assert alerts == [alert]
    assert "rugby" not in alert.lower()


STORIES = [
    {
        "id": "eb-1",
        "title": "Curfew imposed in Jassim after night raids",
        "source": "Enab Baladi",
        "date": "2022-10-29",
        "text": "A curfew was imposed in Jassim in the Daraa countryside after night raids on "
        "houses used by Islamic State cells, local sources said. Schools were closed.",
    },
    {
        "id": "np-1",
        "title": "Local groups raid ISIS hideouts in Jassim",
        "source": "North Press",
        "date": "2022-10-15",
        "text": "Local armed groups in Jassim, in the Daraa countryside, raided hideouts of "
        "Islamic State cells on Saturday after talks with residents, a commander said. "
        "Three militants were killed and weapons were seized in the raids.",
    },
    {
        "id": "sy-1",
        "title": "Local groups raid ISIS hideouts in Jassim (wire copy)",
        "source": "Syria Wire",
        "date": "2022-10-16",
        "text": "Local armed groups in Jassim, in the Daraa countryside, raided hideouts of "
        "Islamic State cells on Saturday after talks with residents, a commander said. "
        "Three militants were killed and weapons were seized in the raids.",
    },
    {
        "id": "rugby-1",
        "title": "Scotland names a new rugby coach",
        "source": "Sports Desk",
        "date": "2022-10-20",
        "text": RUGBY["text"],
    },
]


async def test_timeline_in_the_bot_and_on_the_command_line(
    fake: FakeTelegram, bot_desk: Newsdesk, tmp_path: Path
) -> None:
    records = tmp_path / "stories.jsonl"
    records.write_text("\n".join(json.dumps(s) for s in STORIES), encoding="utf-8")
    assert bot_desk.ingest([str(records)]).summary()["failed"] == 0
    async with running_bot(fake, bot_desk):
        fake.private_message(ALICE, "/timeline Jassim")
        text = await said(fake, ALICE["id"], "Timeline: Jassim")
        fake.private_message(ALICE, "/timeline of the")
        await said(fake, ALICE["id"], "only common words")
    lines = text.split("\n")[1:]
    assert lines[:2] == [
        "2022-10-15 — North Press, Syria Wire — Local groups raid ISIS hideouts in Jassim (+1)",
        "2022-10-29 — Enab Baladi — Curfew imposed in Jassim after night raids",
    ]
    assert lines[2].startswith("undated — North Press — Residents, local groups abort ISIS")
    assert "rugby" not in text.lower()

    home = str(bot_desk.settings.home)
    out = CliRunner().invoke(cli, ["--home", home, "timeline", "Jassim", "--since", "2022-10-16"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == [
        "2022-10-16 — Syria Wire — Local groups raid ISIS hideouts in Jassim (wire copy)",
        "2022-10-29 — Enab Baladi — Curfew imposed in Jassim after night raids",
    ]
    as_json = CliRunner().invoke(cli, ["--home", home, "timeline", "Jassim", "--json"])
    first = json.loads(as_json.output)[0]
    assert first["outlets"] == ["North Press", "Syria Wire"] and first["copies"] == 1
    bot_desk.follow(ALICE["id"], "Jassim", ALICE["id"])
    follows = CliRunner().invoke(cli, ["--home", home, "follows"])
    assert f"chat {ALICE['id']}  'Jassim'" in follows.output
