"""Download one web page or feed with a time limit and a size cap."""

from __future__ import annotations

import functools
import socket
import ssl
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

import httpx

from newsdesk.errors import ReadError

USER_AGENT = "newsdesk/0.1"
MAX_REDIRECTS = 10  # a longer chain is taken for a loop


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

    `timeout` bounds each step (connecting, and every wait for more of the answer), not the
    whole download. `headers` may carry validators (If-None-Match, If-Modified-Since): a 304
    answer comes back as a Fetched with status 304 and no body."""
    try:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
    except ValueError as err:
        raise ReadError(f"invalid URL: {err}") from None
    if scheme not in ("http", "https"):
        raise ReadError(f"unsupported URL scheme {scheme!r}: only http and https")
    sent = {"User-Agent": USER_AGENT, "Accept": "*/*", **(headers or {})}
    try:
        with (
            httpx.Client(
                timeout=timeout,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                verify=_tls_context(),
            ) as client,
            client.stream("GET", url, headers=sent) as response,
        ):
            return _received(response, url, max_bytes)
    except httpx.TooManyRedirects:
        raise ReadError(f"redirect loop (more than {MAX_REDIRECTS} redirects)") from None
    except httpx.TimeoutException:
        raise ReadError(_timed_out(timeout)) from None
    except httpx.UnsupportedProtocol as err:
        # Only a redirect gets here: the scheme asked for was checked above.
        moved_to = err.request.url.scheme
        raise ReadError(f"redirected to an unsupported URL scheme {moved_to!r}") from None
    except httpx.ConnectError as err:
        raise ReadError(_network_reason(_os_error(err))) from None
    except (httpx.NetworkError, httpx.ProtocolError, httpx.DecodingError) as err:
        # The connection was made and failed during the exchange.
        cause = _os_error(err)
        detail = cause.strerror if cause and cause.strerror else _one_line(err)
        raise ReadError(f"connection broken: {detail}") from None
    except httpx.TransportError as err:  # a proxy's refusal, for one
        raise ReadError(f"could not connect: {_one_line(err)}") from None
    except httpx.InvalidURL as err:
        raise ReadError(f"invalid URL: {err}") from None


def _received(response: httpx.Response, url: str, max_bytes: int) -> Fetched:
    if response.status_code == HTTPStatus.NOT_MODIFIED:
        return Fetched(b"", "", url, None, status=304, etag=response.headers.get("ETag"))
    if response.status_code >= 300:  # a redirect that could not be followed, or an error
        code = response.status_code
        raise ReadError(f"HTTP {code} {response.reason_phrase or _status_phrase(code)}")
    too_large = ReadError(f"larger than the {format_size(max_bytes, limit=True)} limit")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    # Content-Length can be absent or wrong, and a compressed body grows as it is decoded, so
    # the cap is enforced on the decoded bytes as they arrive.
    chunks: list[bytes] = []
    received = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        received += len(chunk)
        if received > max_bytes:
            raise too_large
    content_type = response.headers.get("Content-Type", "")
    return Fetched(
        body=b"".join(chunks),
        content_type=content_type.split(";", 1)[0].strip().lower(),
        final_url=str(response.url),
        charset=(response.charset_encoding or "").lower() or None,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA certificates takes ~50 ms: once per process, not once per download.
    return httpx.create_ssl_context()


def _status_phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "error"


def _timed_out(timeout: float) -> str:
    return f"timed out after {timeout:g} s"


def _os_error(err: BaseException) -> OSError | None:
    """The operating system's error behind an httpx error (httpx wraps httpcore's, which wraps
    the socket's), for its short message: "Connection refused", not "[Errno 111] …"."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, OSError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _network_reason(reason: OSError | None) -> str:
    if isinstance(reason, socket.gaierror):
        return f"could not resolve host: {reason.strerror or reason}"
    if isinstance(reason, ssl.SSLCertVerificationError) and reason.verify_message:
        return f"could not connect: certificate verify failed: {reason.verify_message}"
    if reason is not None and reason.strerror:
        return f"could not connect: {reason.strerror}"
    return f"could not connect: {_one_line(reason) if reason else 'unknown error'}"


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__
