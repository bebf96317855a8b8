"""Followed feeds: the list kept in the archive, and fetching one feed politely.

Fetching never writes: `fetch_feed` returns what a poll found, and the facade stores the new
articles (one transaction each) and then `FeedStore.record`s the outcome. A poll killed in
between leaves whole articles and the old validators, so the next poll fetches the feed again
and stores only what is still missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from newsdesk.config import Settings
from newsdesk.errors import FeedError, ReadError
from newsdesk.ingest.fetch import fetch_url
from newsdesk.ingest.formats import FeedDocument, read_feed
from newsdesk.ingest.models import RawArticle, ReadFailure
from newsdesk.ingest.normalize import normalize
from newsdesk.ingest.pipeline import IngestReport
from newsdesk.ingest.readers import read_inputs
from newsdesk.ingest.store.archive import identity
from newsdesk.ingest.store.feeds import Feed, FeedFetch, FeedStore, Outcome

_FEED_LINK = re.compile(
    r"""<link[^>]+type=["']application/(?:rss|atom)\+xml["'][^>]*>""", re.IGNORECASE
)
_HREF = re.compile(r"""href=["']([^"']+)["']""", re.IGNORECASE)


def check_feed(url: str, settings: Settings) -> FeedDocument:
    """Fetch a URL once and read it as a feed; FeedError says why it can't be followed."""
    try:
        fetched = fetch_url(url, timeout=settings.fetch_timeout, max_bytes=settings.feed_max_bytes)
        return _as_feed(url, fetched.body, fetched.content_type)
    except ReadError as err:
        raise FeedError(f"cannot follow {url}: {err}") from None


def _as_feed(url: str, body: bytes, content_type: str) -> FeedDocument:
    head = body[:4096].lstrip().lower()
    if content_type in ("text/html", "application/xhtml+xml") or head.startswith(
        (b"<!doctype html", b"<html")
    ):
        link = _FEED_LINK.search(body[:65536].decode("utf-8", "replace"))
        href = _HREF.search(link.group()) if link else None
        hint = f" (the page names its feed: {href.group(1)})" if href else ""
        raise ReadError(f"not a feed but a web page{hint}")
    return read_feed(body, url, content_type, strict=True)


def fetch_feed(
    feed: Feed, settings: Settings, known: Callable[[Collection[str]], set[str]], now: float
) -> FeedFetch:
    """Poll one feed: conditional GET, parse, keep new items only, fill summary-only items
    from their article pages. Never raises: whatever goes wrong is the feed's error."""
    try:
        return _fetch_feed(feed, settings, known, now)
    except ReadError as err:
        return FeedFetch(feed, "error", error=str(err))
    except Exception as err:  # a parser bug on one odd feed must not stop the other feeds
        detail = " ".join(str(err).split())[:200]
        return FeedFetch(feed, "error", error=f"unexpected error: {type(err).__name__}: {detail}")


def _fetch_feed(
    feed: Feed, settings: Settings, known: Callable[[Collection[str]], set[str]], now: float
) -> FeedFetch:
    validators = {"If-None-Match": feed.etag, "If-Modified-Since": feed.last_modified}
    fetched = fetch_url(
        feed.url,
        timeout=settings.fetch_timeout,
        max_bytes=settings.feed_max_bytes,
        headers={k: v for k, v in validators.items() if v},
    )
    if fetched.status == 304:
        return FeedFetch(feed, "not modified")
    document = _as_feed(feed.url, fetched.body, fetched.content_type)
    # Duplicated guids inside one feed count once; items already stored are skipped before
    # any article page is fetched for them.
    fresh: dict[str, tuple[RawArticle, bool]] = {}
    for entry in document.entries:
        article = normalize(replace(entry.article, source=feed.source or entry.article.source))
        fresh.setdefault(identity(article), (article, entry.summary_only))
    stored = known(list(fresh))
    new = [item for uid, item in fresh.items() if uid not in stored]
    # Feeds list newest first: the newest go in now, the rest on the following polls.
    taken = new[: settings.feed_max_items]
    note = f"{len(new) - len(taken)} more next time" if len(new) > len(taken) else ""
    pages = settings.feed_max_pages
    items: list[RawArticle | ReadFailure] = []
    for article, summary_only in taken:
        if summary_only and article.url and pages > 0:
            pages -= 1
            article = _with_page_text(article, settings)
        items.append(_dated(article, now) if article.text else _empty(article))
    ttl = document.ttl_minutes * 60 if document.ttl_minutes else None
    # Items left for later: no validators, or the next poll would be answered 304 without them.
    complete = not note
    return FeedFetch(
        feed,
        "new",
        items=items,
        title=document.title,
        ttl=ttl,
        etag=fetched.etag if complete else None,
        last_modified=fetched.last_modified if complete else None,
        note=note,
    )


def _with_page_text(article: RawArticle, settings: Settings) -> RawArticle:
    """The item with its article page's text, when the page yields more than the summary."""
    assert article.url is not None
    for page in read_inputs([article.url], settings):
        if isinstance(page, RawArticle) and len(page.text) > len(article.text):
            return replace(article, text=page.text, author=article.author or page.author)
        break
    return article


def _dated(article: RawArticle, now: float) -> RawArticle:
    if article.date:
        return article
    # An undated item is dated when first seen, and says so, so timelines can place it.
    first_seen = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
    return replace(article, date=first_seen, metadata=article.metadata | {"date": "first seen"})


def _empty(article: RawArticle) -> ReadFailure:
    return ReadFailure(article.origin, "feed item without text, and no article page to read")


@dataclass
class PollResult:
    """One feed's poll after storing: the feed's new state, and what was stored."""

    feed: Feed
    outcome: Outcome
    added: int = 0
    failures: list[ReadFailure] = field(default_factory=list)


def poll(
    feeds: Sequence[Feed],
    store: FeedStore,
    settings: Settings,
    ingest: Callable[[list[RawArticle | ReadFailure]], IngestReport],
    *,
    on_polled: Callable[[PollResult], object] | None = None,
) -> list[PollResult]:
    """Fetch the feeds side by side (`settings.feed_workers` at once), store each one's new
    items with `ingest` as it comes in, and record how its poll went."""
    if not feeds:
        return []
    results = []
    pool = ThreadPoolExecutor(min(settings.feed_workers, len(feeds)), "newsdesk-feed")
    try:
        now = store.clock()
        futures = [pool.submit(fetch_feed, feed, settings, store.known, now) for feed in feeds]
        for future in as_completed(futures):
            fetched = future.result()
            report = ingest(fetched.items)
            added = report.count("added") + report.count("duplicate")
            feed = store.record(fetched, added, settings.feed_max_backoff)
            results.append(PollResult(feed, fetched.outcome, added, report.failures))
            if on_polled:
                on_polled(results[-1])
    finally:
        # After Ctrl-C, feeds not yet fetched are dropped rather than waited for.
        pool.shutdown(wait=False, cancel_futures=True)
    return results
