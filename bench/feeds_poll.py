"""What polling 100 followed feeds costs, against a local server that answers each request
after a simulated network delay. Baseline: the same 100 feeds all answering 304 Not Modified.

    python bench/feeds_poll.py [--feeds 100] [--delay 0.05]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

# See bench/ingest.py: the project root, not this folder, must come first on sys.path.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "tests"))  # the tests' local feed server
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from newsdesk.config import Settings  # noqa: E402
from newsdesk.desk import Newsdesk  # noqa: E402

from fakes.feeds import FeedServer, item, rss  # noqa: E402


def timed(label: str, desk: Newsdesk, expect: str) -> float:
    start = time.perf_counter()
    results = desk.poll_feeds(every_feed=True)
    seconds = time.perf_counter() - start
    outcomes = {r.outcome for r in results}
    added = sum(r.added for r in results)
    assert outcomes == {expect}, outcomes
    print(f"  {label:<44} {seconds:6.2f} s  ({len(results)} feeds, {added} new articles)")
    return seconds


def serve(server: FeedServer, feeds: int, items: int, offset: int, delay: float) -> None:
    for f in range(feeds):
        entries = [item(f * 1000 + n) for n in range(offset, offset + items)]
        server.serve(f"/feed{f}", rss(f"Wire {f}", entries), delay=delay)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds per request")
    args = parser.parse_args()
    server = FeedServer()
    threading.Thread(target=server.httpd.serve_forever, daemon=True).start()
    serve(server, args.feeds, 3, 0, args.delay)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "home")
        with Newsdesk(settings) as desk:
            desk.warm_up()
            for f in range(args.feeds):
                desk.add_feed(server.url(f"/feed{f}"))
            print(f"{args.feeds} feeds, {args.delay * 1000:.0f} ms per request, ", end="")
            print(f"{settings.feed_workers} fetched at once")
            timed("first poll: 3 items each, all new", desk, "new")
            base = timed("all 304 Not Modified (baseline)", desk, "not modified")
            serve(server, args.feeds, 3, 1, args.delay)  # one new item on top, one dropped
            changed = timed("all changed: 1 new item each", desk, "new")
            timed("all 304 again", desk, "not modified")
            with Newsdesk(replace(settings, feed_workers=1), embedder=desk.embedder) as serial:
                one = timed("all 304, one feed at a time", serial, "not modified")
            for route in server.routes.values():
                route.validators = False
            unchanged = timed("all 200 without validators, nothing new", desk, "new")
    print(f"ratio all changed / all 304: {changed / base:.1f}")
    print(f"ratio 200 nothing new / all 304: {unchanged / base:.1f}")
    print(f"ratio serial / concurrent (all 304): {one / base:.1f}")
    server.httpd.shutdown()


if __name__ == "__main__":
    main()
