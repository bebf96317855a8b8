"""Followed feeds against a real local web server: new items only, 304s, errors per feed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.errors import FeedError, FeedNotFound
from newsdesk.ingest.feeds import PollResult

from conftest import stand_ins
from fakes.feeds import ATOM_TYPE, FeedServer, atom, item, rss

HOUR = 3600.0


@pytest.fixture
def desk(settings: Settings) -> Iterator[Newsdesk]:
    """A desk with the hashing stand-ins and a short fetch timeout (the slow-feed test)."""
    quick = replace(settings, fetch_timeout=1.0)
    with stand_ins(quick) as d:
        yield d


def titles(desk: Newsdesk) -> list[str]:
    return sorted(a.title for a in desk.articles(limit=None))


def test_only_new_items_are_ingested_and_unchanged_feeds_answer_304(
    desk: Newsdesk, feed_server: FeedServer
) -> None:
    rss_url = feed_server.serve("/rss", rss("North Wire", [item(1), item(2)]))
    atom_items = [item(3, date="2022-10-28T10:00:00Z"), item(4, date="2022-10-28T11:00:00Z")]
    atom_url = feed_server.serve("/atom", atom("Atom Desk", atom_items), content_type=ATOM_TYPE)
    desk.add_feed(rss_url)
    desk.add_feed(atom_url, source="South Desk")

    first = {r.feed.url: r for r in desk.poll_feeds()}
    assert {u: (r.outcome, r.added) for u, r in first.items()} == {
        rss_url: ("new", 2),
        atom_url: ("new", 2),
    }
    assert desk.stats().articles == 4 and desk.check().ok and not desk.check().pending
    by_title = {a.title: a for a in desk.articles(limit=None)}
    assert by_title["Water report 1"].source == "North Wire"  # the feed's title
    assert by_title["Water report 3"].source == "South Desk"  # --source wins
    assert by_title["Water report 1"].date == "2022-10-27T14:03:00+03:00"  # zone kept
    assert by_title["Water report 3"].date == "2022-10-28T10:00:00+00:00"

    # Nothing changed: the server answers 304 to the validators of the last poll.
    second = desk.poll_feeds(every_feed=True)
    assert {r.outcome for r in second} == {"not modified"}
    assert feed_server.hits("/rss")[-1].get("If-None-Match")
    assert desk.stats().articles == 4

    # A new item on top of the old ones: only it comes in, and it is searchable.
    new = item(5, text="Report 5: a new bridge over the Euphrates opened to traffic in Raqqa.")
    feed_server.serve("/rss", rss("North Wire", [new, item(1), item(2)]))
    third = {r.feed.url: r for r in desk.poll_feeds(every_feed=True)}
    assert (third[rss_url].outcome, third[rss_url].added) == ("new", 1)
    assert third[atom_url].outcome == "not modified"
    assert desk.stats().articles == 5 and not desk.check().pending
    assert desk.search("bridge Euphrates Raqqa")[0].article.title == "Water report 5"
    [rss_feed, atom_feed] = desk.feeds()
    assert (rss_feed.articles, rss_feed.state()) == (3, "1 new")
    assert atom_feed.state() == "not modified" and atom_feed.name == "South Desk"


def test_a_server_without_validators_still_gets_only_new_items(
    desk: Newsdesk, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/plain", rss("Plain", [item(1), item(2)]), validators=False)
    desk.add_feed(url)
    assert [r.added for r in desk.poll_feeds()] == [2]
    assert [(r.outcome, r.added) for r in desk.poll_feeds(every_feed=True)] == [("new", 0)]
    assert desk.stats().articles == 2


def test_each_broken_feed_gets_its_own_error_and_the_others_go_on(
    desk: Newsdesk, feed_server: FeedServer
) -> None:
    good = feed_server.serve("/good", rss("Good", [item(1)]))
    paths = ["/500", "/malformed", "/page", "/loop", "/gone", "/huge", "/slow"]
    for path in paths:
        feed_server.serve(path, rss("Soon broken", [item(10 + len(path))]))
        desk.add_feed(feed_server.url(path))
    desk.add_feed(good)
    feed_server.serve("/500", "", status=500)
    feed_server.serve("/malformed", "<?xml version='1.0'?><rss><channel><item><title>x</ti")
    page = '<html><head><link rel="alternate" type="application/rss+xml" href="/good">'
    feed_server.serve(
        "/page", page + "</head><body><p>Hello</p></body></html>", content_type="text/html"
    )
    feed_server.serve("/loop", "", location="/loop")
    feed_server.serve("/gone", "", status=404)
    many = rss("Huge", [item(n) for n in range(50_000)])  # 22 MB, over the feed size cap
    feed_server.serve("/huge", many)
    feed_server.serve("/slow", rss("Slow", [item(99)]), delay=3.0)

    results = {r.feed.url.removeprefix(feed_server.base): r for r in desk.poll_feeds()}
    assert (results["/good"].outcome, results["/good"].added) == ("new", 1)
    errors = {path: results[path].feed.last_error or "" for path in paths}
    assert all(results[p].outcome == "error" for p in paths), errors
    assert errors["/500"].startswith("HTTP 500")
    assert errors["/malformed"].startswith("malformed feed")
    assert errors["/page"] == "not a feed but a web page (the page names its feed: /good)"
    assert "redirect" in errors["/loop"]
    assert errors["/gone"].startswith("HTTP 404")
    assert errors["/huge"] == "larger than the 2 MB limit"
    assert errors["/slow"] == "timed out after 1 s"
    assert titles(desk) == ["Water report 1"]  # nothing of the broken feeds
    assert desk.check().ok and not desk.check().pending

    broken = next(f for f in desk.feeds() if f.url.endswith("/500"))
    assert (
        broken.failures == 1
        and broken.state() == "error (1 in a row): HTTP 500 Internal Server Error"
    )
    # The server recovers: the next poll clears the error.
    feed_server.serve("/500", rss("Back", [item(50)]))
    desk.poll_feeds(every_feed=True)
    recovered = desk.remove_feed(broken.id)
    assert recovered.failures == 0 and recovered.state() == "1 new"


def test_adding_something_that_is_not_a_feed_is_refused(
    desk: Newsdesk, feed_server: FeedServer
) -> None:
    page = feed_server.serve(
        "/article", "<html><body><p>Just a page</p></body></html>", content_type="text/html"
    )
    with pytest.raises(FeedError, match="not a feed but a web page"):
        desk.add_feed(page)
    with pytest.raises(FeedError, match="HTTP 404"):
        desk.add_feed(feed_server.url("/nothing"))
    url = feed_server.serve("/rss", rss("Wire", [item(1)]))
    desk.add_feed(url)
    with pytest.raises(FeedError, match="followed already"):
        desk.add_feed(url)
    with pytest.raises(FeedNotFound):
        desk.remove_feed("42")
    assert desk.feeds()[0].state() == "not polled yet"


def test_duplicate_guids_undated_and_summary_only_items(
    desk: Newsdesk, feed_server: FeedServer
) -> None:
    body = " ".join(f"Paragraph {n} of the full report on the dam at Tabqa." for n in range(8))
    article_page = feed_server.serve(
        "/story/7",
        f"<html><head><title>Dam report</title></head><body><article><h1>Dam report</h1>"
        f"<p>{body}</p></article></body></html>",
        content_type="text/html; charset=utf-8",
    )
    items = [
        item(7, title="Dam report", text="Teaser only.", link=article_page, summary_only=True),
        item(8, date=None),
        item(9, guid="same-guid"),
        item(10, guid="same-guid", title="A second item under the same guid"),
        item(11, link=feed_server.url("/missing"), summary_only=True, text="Summary kept."),
    ]
    desk.add_feed(feed_server.serve("/rss", rss("Wire", items)))
    [result] = desk.poll_feeds()
    assert (result.outcome, result.added) == ("new", 4)
    by_title = {a.title: a for a in desk.articles(limit=None)}
    assert set(by_title) == {"Dam report", "Water report 8", "Water report 9", "Water report 11"}
    assert "Paragraph 7 of the full report" in by_title["Dam report"].text
    assert by_title["Water report 11"].text == "Summary kept."  # the page failed: the summary
    undated = by_title["Water report 8"]
    assert undated.date and undated.date.endswith("+00:00")
    assert undated.metadata["date"] == "first seen"


def test_big_feeds_come_in_a_few_hundred_items_a_poll(
    settings: Settings, feed_server: FeedServer
) -> None:
    small = replace(settings, feed_max_items=3)
    with stand_ins(small) as desk:
        desk.add_feed(feed_server.serve("/rss", rss("Wire", [item(n) for n in range(5)])))
        [first] = desk.poll_feeds()
        assert first.added == 3 and first.feed.state() == "3 new (2 more next time)"
        # The newest first: the feed lists them first.
        assert titles(desk) == ["Water report 0", "Water report 1", "Water report 2"]
        [second] = desk.poll_feeds(every_feed=True)
        assert second.added == 2 and desk.stats().articles == 5


def test_schedule_follows_the_feed_ttl_and_backs_off_after_errors(
    desk: Newsdesk, feed_server: FeedServer
) -> None:
    now = [1_000_000.0]
    desk.feed_store.clock = lambda: now[0]
    url = feed_server.serve("/rss", rss("Wire", [item(1)], ttl=120))  # two hours
    desk.add_feed(url, every=15 * 60)
    assert [r.added for r in desk.poll_feeds()] == [1]
    feed = desk.feeds()[0]
    assert feed.interval == 2 * HOUR and feed.next_poll == now[0] + 2 * HOUR
    now[0] += HOUR
    assert desk.poll_feeds() == []  # not due yet
    feed_server.serve("/rss", "", status=503)
    waits = []
    for _ in range(6):
        now[0] = desk.feeds()[0].next_poll
        [result] = desk.poll_feeds()
        assert result.outcome == "error"
        waits.append(result.feed.next_poll - now[0])
    # Doubling from the feed's interval, never beyond a day.
    assert waits == [2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR, 24 * HOUR, 24 * HOUR]
    assert desk.feeds()[0].state().startswith("error (6 in a row): HTTP 503")


def test_a_feed_removed_during_its_poll_stays_removed(
    desk: Newsdesk, feed_server: FeedServer
) -> None:
    first = desk.add_feed(feed_server.serve("/a", rss("A", [item(1)])))
    desk.add_feed(feed_server.serve("/b", rss("B", [item(2)])))
    feed_server.routes["/a"].delay = 0.5  # so that, most likely, /b is stored first

    def remove_the_other(result: PollResult) -> None:
        if result.feed.id != first.id:
            desk.remove_feed(first.id)  # meanwhile, say, an admin's /feed remove

    results = desk.poll_feeds(on_polled=remove_the_other)
    assert sorted(r.added for r in results) == [1, 1]
    assert [f.name for f in desk.feeds()] == ["B"]
