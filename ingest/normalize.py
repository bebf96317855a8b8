"""Clean up an article's text and fields so every reader hands on the same shape of data."""

from __future__ import annotations

import functools
import re
import unicodedata
import warnings
from dataclasses import replace
from datetime import datetime
from email.utils import parsedate_to_datetime

from dateutil import parser as dateparser
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from newsdesk.ingest.models import RawArticle

# Zero-width space and BOM are debris from copy-paste; ZWNJ/ZWJ and the bidi marks are kept
# because Arabic and Persian spelling depends on them.
_STRAY_CHARS = dict.fromkeys(map(ord, "\u200b\ufeff"))
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f]")
# email.utils accepts almost anything and silently drops "PM"; only feed-style dates go to it.
_RFC822 = re.compile(r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}\b.*")
_HSPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# Two far-apart defaults: a field dateutil fills from the default differs between the parses,
# which tells a date without a day (or a time) from one that has it.
_DEFAULT_A = datetime(2000, 1, 1, 0, 0, 0)
_DEFAULT_B = datetime(2001, 2, 2, 1, 1, 1)
_MIN_LANGID_CHARS = 20
EMPTY_REASON = "empty article: no text"  # what is left once the text is cleaned


def clean_text(text: str) -> str:
    """NFC, LF line ends, no control or zero-width debris, single spaces, "\\n\\n" paragraphs."""
    text = unicodedata.normalize("NFC", text).translate(_STRAY_CHARS)
    text = _CONTROL.sub("", _LINE_BREAKS.sub("\n", text))
    lines = (_HSPACE.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_line(value: str | None) -> str | None:
    """`clean_text` folded onto one line; None when nothing is left."""
    if value is None:
        return None
    line = " ".join(clean_text(value).split("\n")).strip()
    return _HSPACE.sub(" ", line) or None


def normalize_date(value: str | None) -> str | None:
    """ISO 8601 ("YYYY-MM-DD", or full isoformat when a time is given); None if unparseable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.date().isoformat() if len(value) <= 10 else parsed.isoformat()
    except ValueError:
        pass
    if _RFC822.fullmatch(value):
        try:
            return parsedate_to_datetime(value).isoformat()
        except (TypeError, ValueError, IndexError):
            pass
    return _parse_loose_date(value)


def _parse_loose_date(value: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unknown zone names only cost the zone, not the date
            a = dateparser.parse(value, default=_DEFAULT_A)
            b = dateparser.parse(value, default=_DEFAULT_B)
    except (ValueError, OverflowError):
        return None
    if a.date() != b.date():
        return None  # year, month or day missing: better no date than an invented one
    if a.hour != b.hour:
        return a.date().isoformat()
    return a.isoformat()


@functools.cache
def _language_model() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE)


def release_language_model() -> None:
    """Free the language identifier (76 MB) until the next article needs it: an ingest ends
    by embedding its articles for the multilingual set, and a second model loads then."""
    _language_model.cache_clear()


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when there is too little text to tell."""
    if len(text) < _MIN_LANGID_CHARS:
        return None
    lang, _score = _language_model().classify(text)
    return str(lang)


def _language_code(value: str | None) -> str | None:
    # "en-US" and "EN" both mean "en" to the rest of newsdesk.
    line = clean_line(value)
    return re.split(r"[-_]", line, maxsplit=1)[0].lower() if line else None


def normalize(raw: RawArticle) -> RawArticle:
    """A cleaned copy of `raw`: tidy text and fields, ISO date, detected language."""
    text = clean_text(raw.text)
    metadata = dict(raw.metadata)
    iso_date = normalize_date(raw.date)
    if raw.date and iso_date is None:
        metadata["raw_date"] = raw.date
    language = _language_code(raw.language) or detect_language(text)
    return replace(
        raw,
        text=text,
        title=clean_line(raw.title),
        date=iso_date,
        source=clean_line(raw.source),
        url=clean_line(raw.url),
        external_id=clean_line(raw.external_id),
        author=clean_line(raw.author),
        place=clean_line(raw.place),
        language=language,
        metadata=metadata,
    )
