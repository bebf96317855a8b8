"""What polling 100 followed feeds costs, against a local server that answers each request
after a simulated network delay. Baseline: the same 100 feeds all answering 304 Not Modified.

    python -m bench.feeds_poll [--feeds 100] [--delay 0.05]

The server is fakes.feeds (the one the tests use); the model is the real one.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

from bench.common import Timer, save
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk

from fakes.feeds import FeedServer, item, rss


def timed(label: str, desk: Newsdesk, expect: str) -> float:
    with Timer() as t:
        results = desk.poll_feeds(every_feed=True)
    seconds = t.seconds
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
            first = timed("first poll: 3 items each, all new", desk, "new")
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
    seconds = {
        "first_poll_all_new": first,
        "all_304_baseline": base,
        "all_changed_1_new": changed,
        "all_304_serial": one,
        "all_200_nothing_new": unchanged,
    }
    ratios = {k: v / base for k, v in seconds.items() if k != "all_304_baseline"}
    figures = {"workers": settings.feed_workers, "seconds": seconds, "ratios_to_304": ratios}
    save("feeds_poll", figures, vars(args))


if __name__ == "__main__":
    main()
