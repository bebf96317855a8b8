"""Download one web page or feed with a time limit and a size cap."""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

from newsdesk.errors import ReadError

USER_AGENT = "newsdesk/0.1"
_CHUNK = 64 * 1024


@dataclass
class Fetched:
    """A downloaded body and what the server said about it."""

    body: bytes
    content_type: str  # lower-case media type without parameters, "" when not sent
    final_url: str  # after redirects
    charset: str | None
    status: int = 200  # 304: not modified since the validators sent (body empty)
    etag: str | None = None
    last_modified: str | None = None


def format_size(n_bytes: int, *, limit: bool = False) -> str:
    """Human size: "50.0 MB" for a file, "20 MB" (`limit`) for a configured maximum."""
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if n_bytes >= scale:
            text = f"{n_bytes / scale:.1f}"
            if limit:
                text = text.removesuffix(".0")
            return f"{text} {unit}"
    return f"{n_bytes} bytes"


def fetch_url(
    url: str, *, timeout: float, max_bytes: int, headers: Mapping[str, str] | None = None
) -> Fetched:
    """GET an http(s) URL; raise ReadError with a one-line reason on any failure.

    `headers` may carry validators (If-None-Match, If-Modified-Since): a 304 answer comes back
    as a Fetched with status 304 and no body."""
    try:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
    except ValueError as err:
        raise ReadError(f"invalid URL: {err}") from None
    if scheme not in ("http", "https"):
        raise ReadError(f"unsupported URL scheme {scheme!r}: only http and https")
    sent = {"User-Agent": USER_AGENT, "Accept": "*/*", **(headers or {})}
    request = urllib.request.Request(url, headers=sent)
    too_large = ReadError(f"larger than the {format_size(max_bytes, limit=True)} limit")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise too_large
            body = _read_capped(response, max_bytes)
            if body is None:
                raise too_large
            content_type = response.headers.get("Content-Type", "")
            return Fetched(
                body=body,
                content_type=content_type.split(";", 1)[0].strip().lower(),
                final_url=response.geturl(),
                charset=response.headers.get_content_charset(),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
    except urllib.error.HTTPError as err:
        if err.code == HTTPStatus.NOT_MODIFIED:
            return Fetched(b"", "", url, None, status=304, etag=err.headers.get("ETag"))
        if 300 <= err.code < 400:  # urllib follows redirects and gives up on a loop
            raise ReadError(f"redirect loop (HTTP {err.code} again and again)") from None
        phrase = err.reason or _status_phrase(err.code)
        raise ReadError(f"HTTP {err.code} {phrase}") from None
    except urllib.error.URLError as err:
        raise ReadError(_network_reason(err.reason, timeout)) from None
    except TimeoutError:
        raise ReadError(_timed_out(timeout)) from None
    except http.client.HTTPException as err:
        raise ReadError(f"connection broken: {type(err).__name__} {err}".strip()) from None
    except ValueError as err:
        raise ReadError(f"invalid URL: {err}") from None
    except OSError as err:
        raise ReadError(_network_reason(err, timeout)) from None


def _read_capped(response: http.client.HTTPResponse, max_bytes: int) -> bytes | None:
    # Content-Length can be absent or wrong, so the cap is enforced on what actually arrives.
    chunks: list[bytes] = []
    received = 0
    while received <= max_bytes:
        chunk = response.read(min(_CHUNK, max_bytes + 1 - received))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        received += len(chunk)
    return None


def _status_phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "error"


def _timed_out(timeout: float) -> str:
    return f"timed out after {timeout:g} s"


def _network_reason(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError):
        return _timed_out(timeout)
    if isinstance(reason, socket.gaierror):
        return f"could not resolve host: {reason.strerror or reason}"
    if isinstance(reason, OSError) and reason.strerror:
        return f"could not connect: {reason.strerror}"
    return f"could not connect: {reason}"
