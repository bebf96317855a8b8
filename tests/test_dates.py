"""Relative dates in questions become publication-date ranges (pure functions, no model)."""

from __future__ import annotations

from datetime import date

import pytest

from newsdesk.index.read.dates import parse_dates

AS_OF = date(2022, 10, 27)  # a Thursday


@pytest.mark.parametrize(
    ("question", "since", "until", "rest"),
    [
        ("Who was killed yesterday?", "2022-10-26", "2022-10-26", "Who was killed?"),
        ("What happened today in Daraa?", "2022-10-27", "2022-10-27", "What happened in Daraa?"),
        # last week = the previous Monday to Sunday
        (
            "What happened last week in Jassim?",
            "2022-10-17",
            "2022-10-23",
            "What happened in Jassim?",
        ),
        # this week = the last seven days (news-quiz usage, see dates.py)
        ("Who won this week?", "2022-10-20", "2022-10-27", "Who won?"),
        ("What did ISIS do in October?", "2022-10-01", "2022-10-31", "What did ISIS do?"),
        # a month still to come this year means last year's
        ("Who resigned in November?", "2021-11-01", "2021-11-30", "Who resigned?"),
        ("Floods in March 2021?", "2021-03-01", "2021-03-31", "Floods?"),
        ("Which strikes since 2023?", "2023-01-01", None, "Which strikes?"),
        ("Any news last month?", "2022-09-01", "2022-09-30", "Any news?"),
        ("Elections before 2020?", None, "2019-12-31", "Elections?"),
        # rolling windows, today included: not the calendar "last year" / "last week"
        ("Who was elected in the last year?", "2021-10-28", "2022-10-27", "Who was elected?"),
        ("Raids over the past month?", "2022-09-28", "2022-10-27", "Raids?"),
        ("Arrests in the last week?", "2022-10-21", "2022-10-27", "Arrests?"),
        ("Deaths in the last 30 days?", "2022-09-28", "2022-10-27", "Deaths?"),
        ("Protests in may 2022?", "2022-05-01", "2022-05-31", "Protests?"),
        ("Any news in the last 0 days?", "2022-10-27", "2022-10-27", "Any news?"),
    ],
)
def test_relative_dates(question: str, since: str | None, until: str | None, rest: str) -> None:
    got = parse_dates(question, AS_OF)
    assert (got.since, got.until, got.question) == (since, until, rest)
    assert got.strict


def test_bare_year_is_soft_and_kept() -> None:
    got = parse_dates("Who won the Nobel Prize for Literature in 2005?", AS_OF)
    assert (got.since, got.until) == ("2005-01-01", "2005-12-31")
    assert not got.strict  # may be the event's year, not the article's
    assert "2005" in got.question


def test_no_date_words() -> None:
    got = parse_dates("Who was killed in Jassim?", AS_OF)
    assert got.empty and got.question == "Who was killed in Jassim?"


def test_may_the_verb_is_not_a_month() -> None:
    assert parse_dates("What may happen in may?", AS_OF).empty
    assert parse_dates("Attacks in May?", AS_OF).since == "2022-05-01"


def test_year_boundaries() -> None:
    got = parse_dates("What happened last month?", date(2023, 1, 15))
    assert (got.since, got.until) == ("2022-12-01", "2022-12-31")
    got = parse_dates("What happened last week?", date(2023, 1, 2))
    assert (got.since, got.until) == ("2022-12-26", "2023-01-01")
