"""Answers in a full archive, as a new user would have it: the seed article among the 530 dev
articles (conftest's `full_desk`, built once per session with the real models)."""

from __future__ import annotations

import pytest

from newsdesk import FollowUp, Newsdesk

# The archive takes a few minutes to build with the real model: more than one test's budget.
pytestmark = pytest.mark.timeout(1200)

FACTS = {
    "When did ISIS intend to announce an emirate?": "October 23",
    "Who is Ayham Faisl al-Halqi?": "ISIS Emir",
    "Which brigade sent groups to Jassim?": "Eighth Brigade",
    "Why is Daraa strategically important?": "Jordan, Palestine and Lebanon",
}


def test_who_was_killed_opens_with_the_dead(full_desk: Newsdesk) -> None:
    answer = full_desk.ask("Who was killed in Jassim?")
    opening = answer.text.split("\n")[0]
    assert "15" in opening and "Jebawi" in opening
    assert answer.sources[0].source == "North Press"


def test_a_sure_fact_is_shown_first(full_desk: Newsdesk) -> None:
    # "Which brigade?": one name answers it, in the sentence that says so; the model is sure
    # enough to show it first (in bold in Telegram), above that sentence.
    answer = full_desk.ask("Which brigade sent groups to Jassim?")
    assert answer.short == "Eighth Brigade"
    fact, sentences = answer.text.split("\n", 1)
    assert fact == "Eighth Brigade [1]" and "Eighth Brigade" in sentences


@pytest.mark.parametrize("question", FACTS)
def test_other_seed_questions_keep_their_fact(full_desk: Newsdesk, question: str) -> None:
    answer = full_desk.ask(question)
    assert FACTS[question] in answer.text and answer.sources[0].source == "North Press"


def test_a_when_follow_up_gives_the_date(full_desk: Newsdesk) -> None:
    first = full_desk.ask("Who was killed in Jassim?")
    follow = full_desk.ask(
        "And when did that happen?", context=FollowUp(first.question, first.text)
    )
    assert follow.answerable and "October 21" in follow.text.split("\n")[0]
