"""A real local web server for feeds: routes that change between polls, ETag and
Last-Modified validators answered with 304, errors, delays and redirect loops."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml"


@dataclass
class Route:
    body: bytes = b""
    content_type: str = RSS_TYPE
    status: int = 200
    delay: float = 0.0
    location: str | None = None  # answer with a redirect here
    validators: bool = True  # send ETag and Last-Modified, honour them with 304
    modified: float = 0.0


class FeedServer:
    """Serves `routes` on 127.0.0.1; `requests` records (path, request headers)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server.lock:
                    server.requests.append((self.path, dict(self.headers)))
                    route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                time.sleep(route.delay)
                if route.location:
                    self.send_response(302)
                    self.send_header("Location", route.location)
                    self.end_headers()
                    return
                if route.status != 200:
                    self.send_error(route.status)
                    return
                etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                modified = formatdate(route.modified, usegmt=True)
                # As RFC 9110 says: If-None-Match, when sent, decides alone (a body changed
                # within the same second keeps its Last-Modified).
                match = self.headers.get("If-None-Match")
                since = self.headers.get("If-Modified-Since")
                if route.validators and (match == etag if match else since == modified):
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                if route.validators:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", modified)
                self.end_headers()
                # A client over its size cap hangs up mid-body: that is its right.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: str | bytes, **options: Any) -> str:
        """Serve `body` at `path` from now on (a changed body gets new validators)."""
        data = body.encode() if isinstance(body, str) else body
        with self.lock:
            self.routes[path] = Route(data, modified=time.time() // 1, **options)
        return self.url(path)

    def hits(self, path: str) -> list[dict[str, str]]:
        """The request headers of every GET of `path` so far."""
        with self.lock:
            return [headers for p, headers in self.requests if p == path]


def item(
    n: int,
    *,
    title: str | None = None,
    text: str | None = None,
    date: str | None = "Thu, 27 Oct 2022 14:03:00 +0300",
    guid: str | None = None,
    link: str | None = None,
    summary_only: bool = False,
) -> dict[str, Any]:
    """One feed item's fields; the text is long enough to make a passage of its own."""
    body = text or (
        f"Report {n}: the water authority in district {n} said repairs to the pumping station "
        f"would take {n + 2} more days, and residents queued for bottled water at dawn."
    )
    return {
        "title": title or f"Water report {n}",
        "text": body,
        "date": date,
        "guid": guid or f"item-{n}",
        "link": link or f"https://example.org/news/{n}",
        "summary_only": summary_only,
    }


def rss(title: str, items: list[dict[str, Any]], *, ttl: int | None = None) -> str:
    """An RSS 2.0 feed; items carry content:encoded unless summary-only."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f"<channel><title>{escape(title)}</title><link>https://example.org/</link>",
        "<language>en</language>",
    ]
    if ttl:
        parts.append(f"<ttl>{ttl}</ttl>")
    for i in items:
        parts.append(f"<item><title>{escape(i['title'])}</title><link>{escape(i['link'])}</link>")
        parts.append(f'<guid isPermaLink="false">{escape(i["guid"])}</guid>')
        if i["date"]:
            parts.append(f"<pubDate>{i['date']}</pubDate>")
        if i["summary_only"]:
            parts.append(f"<description>{escape(i['text'])}</description>")
        else:
            parts.append("<description>Short summary.</description>")
            parts.append(f"<content:encoded><![CDATA[<p>{i['text']}</p>]]></content:encoded>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts)


def atom(title: str, items: list[dict[str, Any]]) -> str:
    """An Atom feed of the same items (dates as given, ISO 8601 expected)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(title)}</title><id>urn:{escape(title)}</id>",
        "<updated>2022-10-28T10:00:00Z</updated>",
    ]
    for i in items:
        parts.append(f"<entry><title>{escape(i['title'])}</title><id>{escape(i['guid'])}</id>")
        parts.append(f'<link href="{escape(i["link"])}"/>')
        if i["date"]:
            parts.append(f"<published>{i['date']}</published><updated>{i['date']}</updated>")
        parts.append(f'<content type="html">{escape("<p>" + i["text"] + "</p>")}</content>')
        parts.append("</entry>")
    parts.append("</feed>")
    return "\n".join(parts)
