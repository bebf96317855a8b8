"""Read files, directories, URLs and stdin into normalised articles, one failure per bad input."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from newsdesk.config import Settings
from newsdesk.errors import ReadError
from newsdesk.ingest.encoding import (
    BINARY_REASON,
    bom_encoding,
    decode_text,
    encoding_label,
    is_binary,
    stream_encoding,
)
from newsdesk.ingest.fetch import fetch_url, format_size
from newsdesk.ingest.formats import (
    Parsed,
    parse_feed,
    parse_html,
    parse_json,
    parse_jsonl,
    parse_text,
    sniff,
)
from newsdesk.ingest.models import RawArticle, ReadFailure
from newsdesk.ingest.normalize import EMPTY_REASON

KIND_BY_EXTENSION = {
    ".txt": "text",
    ".md": "text",
    ".markdown": "text",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
}


def read_inputs(
    targets: Iterable[str], settings: Settings, stdin: BinaryIO | None = None
) -> Iterator[RawArticle | ReadFailure]:
    """Normalised articles from paths, directories, http(s) URLs and "-" (stdin); never raises."""
    for target in targets:
        if target == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _safely("stdin", _read_stream(stream, settings))
        elif target.lower().startswith(("http://", "https://")):
            yield from _safely(target, _read_url(target, settings))
        elif "://" in target:
            scheme = target.split("://", 1)[0]
            yield ReadFailure(target, f"unsupported URL scheme {scheme!r}: only http and https")
        elif os.path.isdir(target):
            yield from _read_directory(Path(target), settings)
        else:
            yield from _safely(target, _read_file(Path(target), settings))


def _safely(origin: str, items: Iterator[Parsed]) -> Iterator[RawArticle | ReadFailure]:
    """Normalise each article, and turn whatever goes wrong into one failure for `origin`."""
    try:
        for item in items:
            yield _finish(item, origin)
    except ReadError as err:
        yield ReadFailure(origin, str(err))
    except OSError as err:
        yield ReadFailure(origin, _os_reason(err))
    except Exception as err:  # a parser bug on odd input must not stop the other inputs
        detail = " ".join(str(err).split())
        yield ReadFailure(origin, f"unexpected error: {type(err).__name__}: {detail}")


def _finish(item: Parsed, origin: str) -> RawArticle | ReadFailure:
    """The item labelled with where it came from (the ingest pipeline normalizes it)."""
    if isinstance(item, ReadFailure):
        return item
    return replace(item, origin=item.origin or origin)


def _os_reason(err: OSError) -> str:
    if isinstance(err, FileNotFoundError):
        return "no such file or directory"
    if isinstance(err, PermissionError):
        return "permission denied"
    return (err.strerror or type(err).__name__).lower()


def _read_directory(directory: Path, settings: Settings) -> Iterator[RawArticle | ReadFailure]:
    found = False
    for item in _walk(directory):
        if isinstance(item, ReadFailure):
            yield item
        else:
            found = True
            yield from _safely(str(item), _read_file(item, settings))
    if not found:
        known = ", ".join(KIND_BY_EXTENSION)
        yield ReadFailure(str(directory), f"no readable files ({known}) in this directory")


def _walk(directory: Path) -> Iterator[Path | ReadFailure]:
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as err:
        yield ReadFailure(str(directory), _os_reason(err))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        # Symlinked directories are not followed: a link to a parent would loop forever.
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        elif Path(entry.name).suffix.lower() in KIND_BY_EXTENSION:
            yield Path(entry.path)


def _read_file(path: Path, settings: Settings) -> Iterator[Parsed]:
    size = path.stat().st_size
    if not path.is_file():
        raise ReadError("not a regular file")
    kind = KIND_BY_EXTENSION.get(path.suffix.lower())
    if kind == "jsonl":
        yield from _stream_jsonl(path, settings)
        return
    limit = settings.max_input_bytes
    if size > limit:
        raise ReadError(
            f"file is {format_size(size)}, over the {format_size(limit, limit=True)} limit"
        )
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:  # the file grew after stat
        raise ReadError(f"file is over the {format_size(limit, limit=True)} limit")
    yield from _parse_bytes(data, str(path), kind)


def _stream_jsonl(path: Path, settings: Settings) -> Iterator[Parsed]:
    """JSON Lines are read line by line: an archive export may dwarf one article's size limit."""
    limit = settings.max_input_bytes
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)  # enough text for its encoding to show
        if not head.strip():
            raise ReadError(EMPTY_REASON)
        if is_binary(head):
            raise ReadError(BINARY_REASON)
        if bom_encoding(head) in ("utf-16", "utf-32"):
            raise ReadError("UTF-16/32 JSON Lines can't be read line by line; re-save as UTF-8")
        codec = stream_encoding(head)
        encoding = None if codec in ("utf-8", "utf-8-sig") else encoding_label(codec)
        handle.seek(0)
        number = 0
        # readline with a cap: one huge line must not be read into memory whole.
        while raw := handle.readline(limit + 1):
            number += 1
            origin = f"{path}:{number}"
            if len(raw) > limit:
                while raw and not raw.endswith(b"\n"):  # skip the rest of that line
                    raw = handle.readline(limit)
                too_big = f"over the {format_size(limit, limit=True)} limit"
                yield ReadFailure(origin, f"line is {too_big}")
                continue
            try:
                line = raw.decode(codec)
            except UnicodeDecodeError as err:
                yield ReadFailure(origin, f"not valid {encoding_label(codec)} at byte {err.start}")
                continue
            records = parse_jsonl(line.rstrip("\r\n"), str(path), first_line=number)
            yield from _read_as(records, encoding)


def _read_stream(stream: BinaryIO, settings: Settings) -> Iterator[Parsed]:
    limit = settings.max_input_bytes
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ReadError(f"input is larger than the {format_size(limit, limit=True)} limit")
    yield from _parse_bytes(data, "stdin", None)


def _read_url(url: str, settings: Settings) -> Iterator[Parsed]:
    fetched = fetch_url(url, timeout=settings.fetch_timeout, max_bytes=settings.max_input_bytes)
    yield from _parse_bytes(
        fetched.body,
        url,
        _kind_from_content_type(fetched.content_type),
        charset=fetched.charset,
        url=fetched.final_url,
        content_type=fetched.content_type,
    )


def _kind_from_content_type(content_type: str) -> str | None:
    if content_type in ("text/html", "application/xhtml+xml"):
        return "html"
    if any(word in content_type for word in ("rss", "atom", "rdf")) or content_type.endswith("xml"):
        return "feed"
    if any(word in content_type for word in ("ndjson", "jsonl", "jsonlines")):
        return "jsonl"
    if "json" in content_type:
        return "json"
    if content_type in ("text/plain", "text/markdown"):
        return "text"
    return None


def _parse_bytes(
    data: bytes,
    origin: str,
    kind: str | None,
    *,
    charset: str | None = None,
    url: str | None = None,
    content_type: str | None = None,
) -> Iterator[Parsed]:
    if not data.strip():
        raise ReadError(EMPTY_REASON)
    if is_binary(data):
        raise ReadError(BINARY_REASON)
    if kind == "html":
        yield parse_html(data, charset, url)
        return
    if kind == "feed":
        yield from parse_feed(data, origin, content_type)
        return
    text, encoding = decode_text(data, charset)
    sniffed = sniff(text)
    if kind is None or (kind == "json" and sniffed == "jsonl"):
        kind = sniffed
    if kind == "html":
        yield parse_html(data, charset, url)
    elif kind == "feed":
        yield from parse_feed(data, origin, content_type)
    elif kind == "json":
        yield from _read_as(parse_json(text, origin), encoding)
    elif kind == "jsonl":
        yield from _read_as(parse_jsonl(text, origin), encoding)
    else:
        yield from _read_as([parse_text(text)], encoding)


def _read_as(items: Iterable[Parsed], encoding: str | None) -> Iterator[Parsed]:
    """The articles, marked as read in `encoding` (None: UTF-8) for the ingest report."""
    for item in items:
        yield replace(item, encoding=encoding) if isinstance(item, RawArticle) else item
