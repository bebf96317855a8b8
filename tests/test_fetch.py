"""Downloading one URL: what is sent, what comes back, and a one-line reason when it fails."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from newsdesk.errors import ReadError
from newsdesk.ingest.fetch import USER_AGENT, Fetched, fetch_url

SEEN: list[dict[str, str]] = []
PAGE = b"<html><body><p>Hello</p></body></html>"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        SEEN.append(dict(self.headers.items()))
        if self.path == "/page":
            self._answer(200, PAGE, {"Content-Type": "text/html; Charset=ISO-8859-1"})
        elif self.path == "/moved":
            self._answer(302, b"", {"Location": "/page"})
        elif self.path == "/to-ftp":
            self._answer(301, b"", {"Location": "ftp://example.org/file"})
        elif self.path == "/etag":
            if self.headers.get("If-None-Match") == '"v1"':
                self._answer(304, None, {"ETag": '"v1"'})
            else:
                self._answer(200, b"fresh", {"ETag": '"v1"', "Last-Modified": "Thu, 27 Oct"})
        elif self.path == "/unmeasured":
            # No Content-Length: the body ends when the connection closes (HTTP/1.0).
            self._answer(200, b"y" * 5000, {}, length=False)
        elif self.path == "/gzip":
            body = gzip.compress(b"z" * 5000)  # 5000 bytes once decoded, a few dozen sent
            self._answer(200, body, {"Content-Encoding": "gzip"})
        elif self.path == "/teapot":
            self._answer(418, b"", {})
        else:
            self.send_error(404)

    def _answer(
        self, status: int, body: bytes | None, headers: dict[str, str], *, length: bool = True
    ) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if body is not None and length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def fetch(url: str, max_bytes: int = 1000, headers: dict[str, str] | None = None) -> Fetched:
    return fetch_url(url, timeout=2.0, max_bytes=max_bytes, headers=headers)


def test_a_page_after_a_redirect(server: str) -> None:
    SEEN.clear()
    fetched = fetch(f"{server}/moved")
    assert fetched.body == PAGE
    assert (fetched.status, fetched.final_url) == (200, f"{server}/page")
    assert (fetched.content_type, fetched.charset) == ("text/html", "iso-8859-1")
    assert [h["User-Agent"] for h in SEEN] == [USER_AGENT, USER_AGENT]
    assert SEEN[0]["Accept"] == "*/*"


def test_validators_are_sent_and_a_304_has_no_body(server: str) -> None:
    first = fetch(f"{server}/etag")
    assert (first.body, first.etag, first.last_modified) == (b"fresh", '"v1"', "Thu, 27 Oct")
    again = fetch(f"{server}/etag", headers={"If-None-Match": '"v1"'})
    assert (again.status, again.body, again.etag) == (304, b"", '"v1"')


def test_the_size_cap_holds_without_a_content_length(server: str) -> None:
    assert len(fetch(f"{server}/unmeasured", max_bytes=5000).body) == 5000
    with pytest.raises(ReadError, match=r"^larger than the 1000 bytes limit$"):
        fetch(f"{server}/unmeasured", max_bytes=1000)


def test_a_compressed_body_is_decoded_and_capped_as_decoded(server: str) -> None:
    assert fetch(f"{server}/gzip", max_bytes=5000).body == b"z" * 5000
    with pytest.raises(ReadError, match=r"^larger than the 1000 bytes limit$"):
        fetch(f"{server}/gzip", max_bytes=1000)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/teapot", "HTTP 418 I'm a Teapot"),
        ("/nothing", "HTTP 404 Not Found"),
        ("/to-ftp", "redirected to an unsupported URL scheme 'ftp'"),
    ],
)
def test_failures_are_one_line(server: str, path: str, reason: str) -> None:
    with pytest.raises(ReadError) as caught:
        fetch(f"{server}{path}")
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/x", "unsupported URL scheme 'ftp': only http and https"),
        ("http://[::1", "invalid URL: Invalid IPv6 URL"),
    ],
)
def test_urls_that_are_never_requested(url: str, reason: str) -> None:
    with pytest.raises(ReadError) as caught:
        fetch(url)
    assert str(caught.value) == reason
