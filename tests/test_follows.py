"""Follows kept in the archive: matching each article once, and each chat's hourly budget."""

from __future__ import annotations

import pytest

from newsdesk.desk import Newsdesk
from newsdesk.errors import FollowNotFound, QueryError
from newsdesk.ingest.models import RawArticle
from newsdesk.ingest.store.follows import CHECKED_KEY, QueuedAlert

CHAT, OTHER = 7, 8


def add_articles(desk: Newsdesk, n: int, *, index: bool = True) -> list[int]:
    articles = [
        RawArticle(
            text=f"Report {i}: the market in town {i} reopened after the storm damaged roofs.",
            title=f"Market {i} reopens",
            external_id=f"m{i}-{desk.stats().articles}",
        )
        for i in range(n)
    ]
    report = desk.ingest_items(articles, index=index)
    return [o.article_id for o in report.outcomes]


def test_follows_are_per_chat_and_topics_need_content_words(fast_desk: Newsdesk) -> None:
    first = fast_desk.follow(CHAT, "  Jassim   clashes ", user_id=1)
    assert first.topic == "Jassim clashes"
    assert fast_desk.follow(CHAT, "Jassim clashes").id == first.id  # once per chat
    fast_desk.follow(OTHER, "Jassim clashes")
    with pytest.raises(QueryError, match="only common words"):
        fast_desk.follow(CHAT, "what is the")
    assert [f.topic for f in fast_desk.follows(CHAT)] == ["Jassim clashes"]
    assert len(fast_desk.follows()) == 2
    with pytest.raises(FollowNotFound):
        fast_desk.unfollow(CHAT, "Daraa")
    assert fast_desk.unfollow(CHAT, "jassim CLASHES").id == first.id
    assert fast_desk.follows(CHAT) == []


def test_articles_are_matched_once_and_only_after_their_vectors(fast_desk: Newsdesk) -> None:
    add_articles(fast_desk, 2)  # before any follow: never alerts
    fast_desk.follow(CHAT, "market reopened storm roofs")
    waiting = add_articles(fast_desk, 1, index=False)
    assert fast_desk.match_follows() == 0  # no vectors yet: the article waits
    assert int(fast_desk.archive.get_meta(CHECKED_KEY) or 0) == waiting[0] - 1
    fast_desk.indexer.sync()
    assert fast_desk.match_follows() == 1
    assert fast_desk.match_follows() == 0  # judged once
    [message] = fast_desk.due_alerts(per_hour=3)
    assert [a.id for a, _ in message.alerts] == waiting


def test_alerts_beyond_the_hourly_budget_are_batched_then_wait(fast_desk: Newsdesk) -> None:
    now = [10_000.0]
    fast_desk.follow_store.clock = lambda: now[0]
    follow = fast_desk.follow(CHAT, "market")
    ids = add_articles(fast_desk, 5)
    queued = [QueuedAlert(CHAT, i, i, follow.id, 0.9) for i in ids]
    assert fast_desk.follow_store.queue(queued + queued[:1], checked_up_to=ids[-1]) == 5
    messages = fast_desk.due_alerts(per_hour=3)
    assert [len(m.alerts) for m in messages] == [1, 1, 3]  # the third carries the rest
    assert messages[0].alerts[0][1] == "market"
    for m in messages:
        fast_desk.alert_sent(m)
    more = add_articles(fast_desk, 1)
    fast_desk.follow_store.queue([QueuedAlert(CHAT, more[0], more[0], follow.id, 0.9)], more[0])
    now[0] += 1800
    assert fast_desk.due_alerts(per_hour=3) == []  # three messages this hour already
    now[0] += 1801
    [late] = fast_desk.due_alerts(per_hour=3)
    assert [a.id for a, _ in late.alerts] == more
