"""`newsdesk feeds …` and `newsdesk watch` as a user runs them, and a watch killed mid-poll."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time

from click.testing import CliRunner, Result

from newsdesk.cli.main import cli
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder

from conftest import NEWSDESK
from fakes.feeds import FeedServer, item, rss


def run(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(settings.home), *args])


def test_feeds_add_list_poll_remove(
    settings: Settings, embedder: SentenceTransformerEmbedder, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/rss", rss("North Wire", [item(1), item(2)]))
    added = run(settings, "feeds", "add", url, "--every", "30m", "--source", "North Press")
    assert added.exit_code == 0, added.output
    assert "following feed 1 (North Press) every 30m" in added.output
    assert run(settings, "feeds", "add", url, "--every", "10s").exit_code == 2  # too often
    refused = run(settings, "feeds", "add", feed_server.url("/nothing"))
    assert refused.exit_code == 1 and "HTTP 404" in refused.output

    polled = run(settings, "feeds", "poll")
    assert polled.exit_code == 0, polled.output
    assert "feed 1 (North Press): 2 new" in polled.output
    assert "no feed is due" in run(settings, "feeds", "poll").output
    again = run(settings, "feeds", "poll", "--all")
    assert "feed 1 (North Press): not modified" in again.output

    feed_server.serve("/rss", "", status=500)
    failed = run(settings, "feeds", "poll", "--all")
    assert failed.exit_code == 1 and "HTTP 500" in failed.output
    [listed] = json.loads(run(settings, "feeds", "list", "--json").output)
    assert listed["failures"] == 1 and listed["articles"] == 2
    assert listed["state"] == "error (1 in a row): HTTP 500 Internal Server Error"
    text = run(settings, "feeds", "list").output
    assert "North Press" in text and "error (1 in a row)" in text and "2 articles" in text

    assert "stopped following feed 1" in run(settings, "feeds", "remove", url).output
    missing = run(settings, "feeds", "remove", "1")
    assert missing.exit_code == 1
    assert "no followed feed 1; see `newsdesk feeds list`" in missing.output
    assert len(json.loads(run(settings, "articles", "--json").output)) == 2


def stored(settings: Settings) -> int:
    try:
        with sqlite3.connect(settings.db_path, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_a_watch_killed_mid_poll_leaves_whole_articles(
    settings: Settings, embedder: SentenceTransformerEmbedder, feed_server: FeedServer
) -> None:
    feeds, per_feed = 8, 25
    with Newsdesk(settings, embedder=embedder) as desk:
        for f in range(feeds):
            items = [item(f * 100 + n) for n in range(per_feed)]
            url = feed_server.serve(f"/feed{f}", rss(f"Wire {f}", items))
            desk.add_feed(url)
            # Staggered answers spread the storing over seconds, so the kill lands inside it.
            feed_server.routes[f"/feed{f}"].delay = 0.5 * f
    env = os.environ | {"HF_HUB_OFFLINE": "1", "NEWSDESK_HOME": str(settings.home)}
    proc = subprocess.Popen(
        [*NEWSDESK, "watch"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while stored(settings) < 10 and time.monotonic() < deadline:
        assert proc.poll() is None, "watch stopped by itself"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    with Newsdesk(settings, embedder=embedder) as desk:
        kept = desk.articles(limit=None)
        assert 0 < len(kept) < feeds * per_feed
        for article in kept:
            chunks = desk.archive.article_chunks(article.id)
            assert chunks and article.text.endswith(chunks[-1].text)
        assert desk.check().ok  # stored but not yet embedded is fine; drift is not
        # The next poll takes up the rest, and nothing twice.
        desk.poll_feeds(every_feed=True)
        assert len(desk.articles(limit=None)) == feeds * per_feed
        report = desk.check()
        assert report.ok and not report.pending
        assert sum(f.articles for f in desk.feeds()) >= feeds * per_feed - len(kept)


def test_watch_stops_cleanly_on_ctrl_c(settings: Settings) -> None:
    env = os.environ | {"NEWSDESK_HOME": str(settings.home)}
    proc = subprocess.Popen(
        [*NEWSDESK, "watch"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell starts background jobs with Ctrl-C ignored, and children inherit that: a
        # terminal's Ctrl-C is what is tested, whoever started pytest.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stderr is not None
    assert "watching 0 feeds; Ctrl-C stops" in proc.stderr.readline()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err.strip() == "stopped"
