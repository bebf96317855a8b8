"""Relative dates in a question ("last week", "in October", "since 2023") as a date range."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS |= {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTHS["sept"] = 9
# "may" is also a verb: as a month it must follow "in/since/during/…" (see _MONTH_RE).
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))


@dataclass(frozen=True)
class DateRange:
    """Publication dates a question asks about, and the question without the date words."""

    since: str | None  # ISO date, inclusive
    until: str | None  # ISO date, inclusive
    question: str  # the date words removed: they match no article text
    phrase: str | None = None  # the words that set the range, e.g. "last week"
    strict: bool = True  # False for bare years ("in 2005"), often the event's, not the article's

    @property
    def empty(self) -> bool:
        return self.since is None and self.until is None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _recent_month(month: int, as_of: date, year: int | None) -> int:
    """The year of the latest `month` not after as_of, unless the question gave one."""
    if year is not None:
        return year
    return as_of.year if month <= as_of.month else as_of.year - 1


Span = tuple[date | None, date | None]


def _week(as_of: date, back: int) -> Span:
    monday = as_of - timedelta(days=as_of.weekday()) - timedelta(weeks=back)
    return monday, monday + timedelta(days=6)


def _last_month(as_of: date) -> Span:
    year, month = (as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)
    return date(year, month, 1), _month_end(year, month)


def _days(n: int) -> Callable[[date], Span]:
    """The last n days, today included."""
    return lambda d: (d - timedelta(days=n - 1), d)


# Fixed phrases, most specific first: "in the last week" is a rolling window, not "last week".
_FIXED: list[tuple[str, Callable[[date], Span]]] = [
    (r"today|tonight|this morning", lambda d: (d, d)),
    (r"yesterday", lambda d: (d - timedelta(days=1), d - timedelta(days=1))),
    (r"(?:(?:in|over|during) )?the (?:last|past) year|past year", _days(365)),
    (r"(?:(?:in|over|during) )?the (?:last|past) month|past month", _days(30)),
    (
        r"(?:(?:in|over|during) )?the (?:last|past) (?:week|7 days|seven days)|past week",
        _days(7),
    ),
    # "This week" in news quizzes reaches a day further back: on the dev set the article behind
    # a "this week" question is up to 7 days older than the question.
    (r"this week", lambda d: (d - timedelta(7), d)),
    (r"last week", lambda d: _week(d, 1)),
    (r"this month", lambda d: (d.replace(day=1), d)),
    (r"last month", _last_month),
    (r"this year", lambda d: (date(d.year, 1, 1), d)),
    (r"last year", lambda d: (date(d.year - 1, 1, 1), date(d.year - 1, 12, 31))),
]
_FIXED_RE = [(re.compile(rf"\b(?:{p})\b", re.I), f) for p, f in _FIXED]
_DAYS_RE = re.compile(r"\b(?:in )?the (?:past|last) (\d{1,3}) days\b", re.I)
_MONTH_RE = re.compile(
    rf"\b(in|during|since|after|before|from)\s+({_MONTH_NAMES})\.?(?:\s+(\d{{4}}))?\b", re.I
)
_YEAR_RE = re.compile(r"\b(in|during|since|after|before|from)\s+((?:19|20)\d\d)\b", re.I)


def _strip(question: str, match: re.Match[str]) -> str:
    text = question[: match.start()] + question[match.end() :]
    return re.sub(r"\s+([?.!,])", r"\1", " ".join(text.split()))


def _bounded(word: str, start: date, end: date) -> Span:
    """A month or year range cut by the preposition before it."""
    word = word.lower()
    if word in ("since", "from"):
        return start, None
    if word == "after":
        return end + timedelta(days=1), None
    if word == "before":
        return None, start - timedelta(days=1)
    return start, end


def _result(question: str, m: re.Match[str], span: Span, strict: bool = True) -> DateRange:
    since, until = span
    return DateRange(
        since.isoformat() if since else None,
        until.isoformat() if until else None,
        # A soft year stays in the question: "2005" in an article's text is evidence too.
        (_strip(question, m) or question) if strict else question,
        m.group(0),
        strict,
    )


def parse_dates(question: str, as_of: date) -> DateRange:
    """The publication-date range a question's date words ask for, relative to `as_of`."""
    for pattern, rule in _FIXED_RE:
        if m := pattern.search(question):
            return _result(question, m, rule(as_of))
    if m := _DAYS_RE.search(question):
        return _result(question, m, _days(max(1, int(m.group(1))))(as_of))
    if m := _MONTH_RE.search(question):
        word, name, year_text = m.group(1), m.group(2), m.group(3)
        if name.lower() == "may" and not name[0].isupper() and not year_text:
            return DateRange(None, None, question)  # "in may" is more likely a verb than May
        month = _MONTHS[name.lower().rstrip(".")]
        year = _recent_month(month, as_of, int(year_text) if year_text else None)
        return _result(question, m, _bounded(word, date(year, month, 1), _month_end(year, month)))
    if m := _YEAR_RE.search(question):
        year = int(m.group(2))
        span = _bounded(m.group(1), date(year, 1, 1), date(year, 12, 31))
        # "Who won the Nobel prize in 2005?" asks about a 2005 event that a later article may
        # report: a bare "in YEAR" only prefers articles of that year (strict=False), while
        # "since 2023" / "before 2020" are plainly about publication.
        return _result(question, m, span, strict=m.group(1).lower() not in ("in", "during"))
    return DateRange(None, None, question)
