"""Turn the bytes of one input (text, Markdown, HTML, JSON, JSONL, RSS/Atom) into raw articles."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from xml.sax import SAXParseException

import feedparser
import trafilatura
from trafilatura.settings import Document

from newsdesk.errors import ReadError
from newsdesk.ingest.encoding import codec_name, decode_leniently, decode_text, encoding_label
from newsdesk.ingest.models import RawArticle, ReadFailure
from newsdesk.ingest.normalize import clean_text

Parsed = RawArticle | ReadFailure

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_FRONT_KEYS = {"title", "date", "source", "url", "author", "place", "language"}
# "DARAA, Syria (North Press) – ": an upper-case place, optional region, outlet, then a dash.
_DATELINE = re.compile(
    r"(?P<place>[A-Z][A-Z.'’ -]*[A-Z])(?:,[^(\n]{0,40})?\s*\((?P<source>[^()\n]{2,60})\)\s*[–—-]"
)
# "درعا – نورث برس": an Arabic place, a dash, the outlet, then a dash, a colon or a line end.
_ARABIC_DATELINE = re.compile(
    r"(?P<place>[\u0621-\u064a ]{2,30}?)\s+[–—-]\s+(?P<source>[\u0621-\u064a ]{2,30}?)"
    r"\s*(?:[–—:-]|\n|$)"
)
# Outlets that publish in Arabic and English, under their English name in both.
_OUTLETS = {"نورث برس": "North Press"}
_BYLINE = re.compile(r"\(?\s*(?:Reporting|Reported|Writing|Written)\s+by\s+(?P<name>[^;()\n]+)")
_MAX_TITLE_CHARS = 250
_RECORD_FIELDS = ("title", "date", "source", "url", "language", "author", "place")


def sniff(text: str) -> str:
    """Guess "html", "feed", "json", "jsonl" or "text" from the start of the content."""
    head = text[:2048].lstrip().lower()
    if re.search(r"<(rss|feed|rdf:rdf)[\s>]", head):
        return "feed"
    if head.startswith(("<!doctype html", "<html", "<head", "<body")) or "<html" in head:
        return "html"
    if head.startswith("<?xml"):
        return "feed"
    if head.startswith(("{", "[")):
        try:
            json.loads(text)
            return "json"
        except ValueError:
            first = text.lstrip().split("\n", 1)[0]
            try:
                return "jsonl" if isinstance(json.loads(first), dict) else "text"
            except ValueError:
                return "text"
    return "text"


def parse_text(text: str) -> RawArticle:
    """Plain text or Markdown: front matter, title line, dateline and byline."""
    fields, body = _split_front_matter(clean_text(text))
    lines = body.strip().split("\n")
    first = re.sub(r"^#{1,6}\s+", "", lines[0]).strip()
    if fields.get("title") and first == fields["title"]:
        lines = lines[1:]
    elif not fields.get("title") and len(lines) > 1 and len(first) <= _MAX_TITLE_CHARS:
        fields["title"] = first
        lines = lines[1:]
    body = "\n".join(lines).strip()
    if dateline := _DATELINE.match(body):
        fields.setdefault("place", dateline["place"].title())
        fields.setdefault("source", dateline["source"].strip())
    elif dateline := _ARABIC_DATELINE.match(body):
        source = dateline["source"].strip()
        fields.setdefault("place", dateline["place"].strip())
        fields.setdefault("source", _OUTLETS.get(source, source))
    for line in [ln for ln in lines if ln.strip()][-3:][::-1]:
        if byline := _BYLINE.match(line.strip()):
            fields.setdefault("author", byline["name"].strip().rstrip("."))
            break
    external_id = fields.pop("id", None)
    metadata = {k: fields.pop(k) for k in list(fields) if k not in _FRONT_KEYS}
    return RawArticle(text=body, external_id=external_id, metadata=metadata, **fields)


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        return {}, text
    fields: dict[str, str] = {}
    for line in lines[1:end]:
        key, sep, value = line.partition(":")
        value = value.strip().strip("\"'")
        if sep and key.strip() and value:
            fields[key.strip().lower()] = value
    return fields, "\n".join(lines[end + 1 :])


def html_charset(data: bytes) -> str | None:
    """The charset a page declares in a <meta> tag near its top."""
    match = _META_CHARSET.search(data[:4096])
    return match[1].decode("ascii", "replace") if match else None


def parse_html(data: bytes, charset: str | None = None, url: str | None = None) -> RawArticle:
    """Main text and metadata of a web page, via trafilatura; `url` is the fallback URL."""
    declared = charset or html_charset(data)
    try:
        page, encoding = decode_text(data, declared)
    except ReadError:
        page, encoding = decode_leniently(data)  # a browser shows a page rather than refuse it
    document = _extract(page, url)
    if document is None and "<html" not in page[:4096].lower():
        # trafilatura rejects bare fragments such as "<p>…</p>"; a full document shell fixes that.
        document = _extract(f"<html><body>{page}</body></html>", url)
    if document is None or not (document.text or "").strip():
        raise ReadError("no article text found in the HTML")
    lines = (document.text or "").strip().split("\n")
    if len(lines) > 1 and lines[0].strip() == (document.title or "").strip():
        lines = lines[1:]  # the page's <h1>: kept as the title, as for text files
    return RawArticle(
        # trafilatura puts one block per line; newsdesk separates paragraphs by a blank line.
        text="\n\n".join(lines),
        title=document.title,
        date=document.date,
        source=document.sitename,
        url=document.url or url,
        author=document.author,
        encoding=encoding,
    )


def _extract(page: str, url: str | None) -> Document | None:
    document = trafilatura.bare_extraction(
        page, url=url, with_metadata=True, include_comments=False
    )
    return document if isinstance(document, Document) else None


def parse_json(text: str, origin: str) -> Iterator[Parsed]:
    """A .json file: one record, or a list of records labelled "origin#N"."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ReadError(f"invalid JSON ({err})") from None
    if isinstance(value, list):
        for number, item in enumerate(value, start=1):
            yield _record(item, f"{origin}#{number}")
    else:
        yield _record(value, origin)


def parse_jsonl(text: str, origin: str, first_line: int = 1) -> Iterator[Parsed]:
    """One JSON record per line; a broken line fails alone."""
    for number, line in enumerate(text.split("\n"), start=first_line):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            yield ReadFailure(f"{origin}:{number}", f"invalid JSON ({err})")
            continue
        yield _record(value, f"{origin}:{number}")


def _record(value: Any, origin: str) -> Parsed:
    if not isinstance(value, dict):
        return ReadFailure(origin, f"record is {_json_kind(value)}, not a JSON object")
    fields = dict(value)
    text = fields.pop("text", None)
    if text is None or (isinstance(text, str) and not text.strip()):
        return ReadFailure(origin, "record has no text")
    if not isinstance(text, str):
        return ReadFailure(origin, f"record's text is {_json_kind(text)}, not a string")
    date = fields.get("date")
    if isinstance(date, int | float) and not isinstance(date, bool):
        # A bare number is a Unix timestamp, the usual export format of scrapers.
        fields["date"] = datetime.fromtimestamp(date, UTC).isoformat()
    known = {key: _as_str(fields.pop(key, None)) for key in _RECORD_FIELDS}
    external_id = _as_str(fields.pop("id", None))
    # A nested "metadata" object (as newsdesk itself exports) is flattened into the rest.
    if isinstance(fields.get("metadata"), dict):
        fields = {**fields.pop("metadata"), **fields}
    return RawArticle(text=text, external_id=external_id, metadata=fields, origin=origin, **known)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else "a string"


def _as_str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass
class FeedEntry:
    """One feed item as an article; `summary_only` when the feed gave no full content."""

    article: RawArticle
    summary_only: bool


@dataclass
class FeedDocument:
    """A parsed RSS or Atom feed: its title, its own refresh hint, and its items."""

    title: str | None
    ttl_minutes: float | None  # RSS <ttl>: how long the feed may be cached
    entries: list[FeedEntry]


def read_feed(
    data: bytes, origin: str, content_type: str | None = None, *, strict: bool = False
) -> FeedDocument:
    """An RSS or Atom feed's items, labelled "origin#N"; ReadError when it is no feed.

    `strict` refuses XML that is not well-formed even when feedparser salvages items from it:
    a followed feed cut short would otherwise be half ingested, and it comes again next poll.
    """
    headers = {"content-type": content_type} if content_type else None
    # A BytesIO, because feedparser treats a bare string or bytes as a path or URL to open.
    feed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    broken = feed.get("bozo_exception")
    if strict and isinstance(broken, SAXParseException):
        raise ReadError(f"malformed feed: {_feed_error(broken)}")
    if not feed.entries:
        if feed.get("bozo"):
            raise ReadError(f"malformed feed: {_feed_error(feed.get('bozo_exception'))}")
        if not feed.get("version"):
            raise ReadError("not an RSS or Atom feed")
        return FeedDocument(feed.feed.get("title"), _ttl(feed.feed.get("ttl")), [])
    source = feed.feed.get("title")
    language = feed.feed.get("language")
    # feedparser reads the XML declaration and the HTTP charset itself, and says what it used.
    codec = codec_name(feed.get("encoding"))
    encoding = encoding_label(codec) if codec and codec not in ("utf-8", "ascii") else None
    entries = []
    for number, entry in enumerate(feed.entries, start=1):
        article = RawArticle(
            text=_entry_text(entry),
            title=html_to_text(entry.get("title", "")) or None,
            date=entry.get("published") or entry.get("updated"),
            source=source,
            url=entry.get("link"),
            external_id=entry.get("id") or entry.get("link"),
            author=entry.get("author"),
            language=language,
            origin=f"{origin}#{number}",
            encoding=encoding,
        )
        entries.append(FeedEntry(article, summary_only=not entry.get("content")))
    return FeedDocument(source, _ttl(feed.feed.get("ttl")), entries)


def parse_feed(data: bytes, origin: str, content_type: str | None = None) -> Iterator[Parsed]:
    """Every entry of an RSS or Atom feed; entries are labelled "origin#N"."""
    document = read_feed(data, origin, content_type)
    if not document.entries:
        raise ReadError("feed has no entries")
    for entry in document.entries:
        yield entry.article


def _ttl(value: object) -> float | None:
    try:
        minutes = float(str(value))
    except ValueError:
        return None
    return minutes if minutes > 0 else None


def _feed_error(error: object) -> str:
    # SAX errors read "<unknown>:1:96: unclosed token"; say where in words instead.
    if isinstance(error, SAXParseException):
        where = f"line {error.getLineNumber()}, column {error.getColumnNumber()}"
        return f"{error.getMessage()} at {where}"
    return " ".join(str(error or "unknown error").split())


def _entry_text(entry: Any) -> str:
    contents = [c.get("value", "") for c in entry.get("content", [])]
    body = max(contents, key=len, default="") or entry.get("summary", "")
    return html_to_text(body)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment, one paragraph per block element."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return "".join(extractor.parts).strip()


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset(
        "p div section article blockquote ul ol li h1 h2 h3 h4 h5 h6 pre table tr figure".split()
    )
    _SKIPPED = frozenset(("script", "style", "template", "noscript"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._in_pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_pre += tag == "pre"
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        self._in_pre -= tag == "pre" and self._in_pre > 0
        if tag in self._SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            # Source line breaks inside a paragraph are layout, not text, except in <pre>.
            self.parts.append(data if self._in_pre else re.sub(r"\s+", " ", data))
