"""The feed tests' fixture: a real local feed server (fakes/feeds.py) in a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from fakes.feeds import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
