"""Generated answers: the OpenAI-compatible back end against a fake server, and the check."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from newsdesk.errors import GenerationError
from newsdesk.index.generate.llm import OpenAICompatible, chatml
from newsdesk.index.generate.writer import (
    JUDGED_OUT,
    Numbered,
    Writing,
    check,
    number_passages,
    prompt,
)
from newsdesk.index.read.types import NOTHING, Answer, source_of
from newsdesk.index.search.hybrid import Hit
from newsdesk.ingest.store.records import Article

from fakes.openai import FakeOpenAI, Reply

JASSIM = (
    "Local groups killed 15 ISIS militants, including nine leaders, among them "
    "Ayoub al-Jebawi, in Jassim on October 21."
)
MESSAGES = [{"role": "user", "content": "Who was killed in Jassim?"}]


def passages(n: int, *texts: str) -> list[Hit]:
    """Hits on passages of one article n (its text is theirs, in order), best first."""
    body = " ".join(texts)
    article = Article(n, f"uid{n}", f"Title {n}", body, source="North Press", date="2022-10-27")
    hits, at = [], 0
    for i, text in enumerate(texts):
        hits.append(Hit(n * 100 + i, text, at, at + len(text), article, 1.0 / n))
        at += len(text) + 1
    return hits


def hit(n: int, text: str) -> Hit:
    return passages(n, text)[0]


def five() -> list[Numbered]:
    return number_passages(
        [hit(1, JASSIM)] + [hit(n, f"Passage {n} of news.") for n in range(2, 6)]
    )


def test_streams_the_answer_piece_by_piece() -> None:
    with FakeOpenAI(Reply(["Ayoub", " al-Jebawi", " [1]"])) as server:
        model = OpenAICompatible(server.url, "qwen", api_key="sk-test")
        pieces = list(model.stream(MESSAGES, max_tokens=50))
    assert pieces == ["Ayoub", " al-Jebawi", " [1]"]
    [body] = server.requests
    assert body["model"] == "qwen" and body["stream"] is True and body["max_tokens"] == 50
    assert body["messages"] == MESSAGES
    assert server.headers[0]["Authorization"] == "Bearer sk-test"


def test_busy_server_is_retried_before_the_first_word() -> None:
    busy = Reply(status=429, headers={"Retry-After": "0"})
    with FakeOpenAI(busy, Reply(status=503), Reply(["ok [1]"])) as server:
        model = OpenAICompatible(server.url, "m", retries=2, backoff=0.01)
        assert "".join(model.stream(MESSAGES, max_tokens=5)) == "ok [1]"
    assert len(server.requests) == 3


def test_errors_are_one_clear_line() -> None:
    with FakeOpenAI(Reply(status=500)) as server:
        model = OpenAICompatible(server.url, "m", retries=1, backoff=0.01)
        with pytest.raises(GenerationError, match=r"answered 500: status 500$"):
            list(model.stream(MESSAGES, max_tokens=5))
        assert len(server.requests) == 2  # one retry, then the error
    with FakeOpenAI(Reply(status=401)) as server:
        with pytest.raises(GenerationError, match="answered 401"):
            list(OpenAICompatible(server.url, "m").stream(MESSAGES, max_tokens=5))
        assert len(server.requests) == 1  # a refusal is not retried
    with (
        FakeOpenAI(Reply(raw=["data: {not json"])) as server,
        pytest.raises(GenerationError, match="malformed event"),
    ):
        list(OpenAICompatible(server.url, "m").stream(MESSAGES, max_tokens=5))


def test_slow_or_absent_server() -> None:
    with FakeOpenAI(Reply(["late"], delay=2.0)) as server:
        model = OpenAICompatible(server.url, "m", timeout=0.3)
        with pytest.raises(GenerationError, match=r"did not answer within 0.3 s"):
            list(model.stream(MESSAGES, max_tokens=5))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    with pytest.raises(GenerationError, match="cannot reach the language model server"):
        list(OpenAICompatible(f"http://127.0.0.1:{port}/v1", "m").stream(MESSAGES, max_tokens=5))


def test_passages_numbered_by_article_with_outlet_and_date() -> None:
    first, again = passages(1, "First.", "First again.")
    hits = [first, hit(2, "Second."), again, hit(3, "Third.")]
    numbered = number_passages(hits, articles=2)
    assert [(p.n, p.article.id, p.text) for p in numbered] == [
        (1, 1, "First. … First again."),
        (2, 2, "Second."),
    ]
    user = prompt("Who?", numbered)[-1]["content"]
    assert "[1] Title 1 (North Press, 2022-10-27): First. … First again." in user
    assert "Question: Who?\n\nAnswer in one or two sentences" in user
    assert "answer it with" not in user  # no fact line shown, none passed on
    hinted = prompt("Who?", numbered, "Eighth Brigade")[-1]["content"]
    assert "The passages answer it with: Eighth Brigade. Use all of these." in hinted


def test_overlapping_passages_are_told_once_best_first() -> None:
    one, two, three = passages(1, "A.", "B.", "C.")
    overlapping = [replace(three, start=two.start), replace(one, end=two.end)]  # "B. C.", "A. B."
    assert number_passages(overlapping)[0].text == "A. B. C."
    apart = [three, one]
    assert number_passages(apart)[0].text == "C. … A."


def test_check_keeps_a_grounded_answer() -> None:
    text = "Local groups killed 15 ISIS militants, among them Ayoub al-Jebawi [1]."
    checked = check(text, five())
    assert checked.grounded and [p.n for p in checked.cited] == [1]
    assert check("According to the report, nine leaders died [1].", five()).grounded


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Local groups killed 17 militants [1].", "the number 17 is in no cited passage"),
        ("Ayoub al-Jebawi was killed [7].", "cites [7], which is not a passage"),
        ("Abu Omar was killed.", "cites no passage"),
        ("Abu Omar al-Masri was killed [1].", "the name 'Abu Omar al-Masri' is in no cited"),
        ("15 militants were killed [2].", "the number 15 is in no cited passage"),
    ],
    ids=["invented-number", "citation-7-of-5", "no-citation", "invented-name", "wrong-passage"],
)
def test_check_rejects_what_the_passages_do_not_say(text: str, problem: str) -> None:
    checked = check(text, five())
    assert not checked.grounded and any(p.startswith(problem) for p in checked.problems)


def test_an_uncited_answer_is_credited_to_the_passage_holding_its_facts() -> None:
    checked = check("Local groups killed 15 militants, among them Ayoub al-Jebawi.", five())
    assert checked.grounded and checked.text.endswith("al-Jebawi. [1]")


def test_not_in_the_archive_is_a_decline() -> None:
    checked = check(" Not in the archive. ", five())
    assert checked.declined and not checked.grounded


def test_chatml_prompt_ends_where_the_answer_begins() -> None:
    text = chatml([{"role": "system", "content": "Rules."}, {"role": "user", "content": "Q?"}])
    assert text == (
        "<|im_start|>system\nRules.<|im_end|>\n<|im_start|>user\nQ?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def extractive_answer(hits: list[Hit]) -> Answer:
    """What the extractive reader said: the fact's sentence, citing article 1."""
    ranked = [source_of(i, h.article, h.score) for i, h in enumerate(hits, 1)]
    return Answer(
        "Who was killed in Jassim?", f"{JASSIM} [1]", True, ranked[:1], 5.0, None, [], ranked
    )


def written(*replies: Reply, unsure: bool = False) -> tuple[Answer, list[str]]:
    """The answer, and what the model was asked in turn (each request's last message)."""
    hits = [hit(1, JASSIM), hit(2, "Wheat prices rose in Hasakah by 30 percent.")]
    extractive = replace(extractive_answer(hits), unsure=unsure)
    with FakeOpenAI(*replies) as server:
        model = OpenAICompatible(server.url, "m", retries=0)
        answer = Writing(model, extractive, hits, max_tokens=60).run()
    return answer, [r["messages"][-1]["content"] for r in server.requests]


def test_grounded_answer_replaces_the_extractive_one_with_its_own_sources() -> None:
    answer, _ = written(Reply(["Wheat prices rose", " by 30 percent [2]."]))
    assert answer.generated == "grounded" and answer.answerable
    assert answer.text == "Wheat prices rose by 30 percent [1]."  # numbered as first cited
    assert [(s.n, s.article_id) for s in answer.sources] == [(1, 2)]


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        (Reply(["Local groups killed 17 ISIS militants [1]."]), "replaced: the number 17"),
        (Reply(["Ayoub al-Jebawi was killed [7]."]), "replaced: cites [7]"),
        (Reply(["Not in the archive."]), "declined"),
        (Reply(status=500), "failed: the language model server"),
    ],
    ids=["invented-number", "citation-7-of-2", "declined", "server-error"],
)
def test_extractive_answer_stands_when_the_generated_one_does_not(
    reply: Reply, outcome: str
) -> None:
    answer, _ = written(reply)
    assert answer.generated is not None and answer.generated.startswith(outcome)
    assert answer.text == f"{JASSIM} [1]" and [s.article_id for s in answer.sources] == [1]


def test_an_unsure_answer_the_model_judges_off_the_point_becomes_nothing_found() -> None:
    answer, asked = written(Reply(["No."]), unsure=True)
    assert not answer.answerable and answer.text == NOTHING and answer.generated == JUDGED_OUT
    assert answer.sources == [] and [s.article_id for s in answer.closest] == [1, 2]
    [judged] = asked  # nothing was written after the "no"
    assert "Reply yes or no" in judged and JASSIM in judged  # on the sentences it gave


def test_an_unsure_answer_the_model_finds_to_the_point_is_written_as_usual() -> None:
    written_text = Reply(["Wheat prices rose by 30 percent [2]."])
    answer, asked = written(Reply(["Yes"]), written_text, unsure=True)
    assert answer.generated == "grounded" and answer.answerable
    assert len(asked) == 2 and "Passages:" in asked[1]
    _, asked = written(written_text)
    assert len(asked) == 1 and "Passages:" in asked[0], "a sure answer is not judged"
