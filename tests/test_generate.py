"""Generated answers: the OpenAI-compatible back end against a fake server, and the check."""

from __future__ import annotations

import socket

import pytest

from newsdesk.errors import GenerationError
from newsdesk.index.generate import Numbered, check, number_passages, prompt
from newsdesk.index.llm import OpenAICompatible, chatml
from newsdesk.index.search import Hit
from newsdesk.ingest.archive import Article

from fake_openai import FakeOpenAI, Reply

JASSIM = (
    "Local groups killed 15 ISIS militants, including nine leaders, among them "
    "Ayoub al-Jebawi, in Jassim on October 21."
)
MESSAGES = [{"role": "user", "content": "Who was killed in Jassim?"}]


def article(n: int, source: str = "North Press") -> Article:
    return Article(n, f"uid{n}", f"Title {n}", "text", source=source, date="2022-10-27")


def hit(n: int, text: str) -> Hit:
    return Hit(n * 10, text, 0, len(text), article(n), 1.0 / n)


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
    hits = [hit(1, "First."), hit(2, "Second."), hit(1, "First again."), hit(3, "Third.")]
    numbered = number_passages(hits, articles=2)
    assert [(p.n, p.article.id, p.text) for p in numbered] == [
        (1, 1, "First. … First again."),
        (2, 2, "Second."),
    ]
    user = prompt("Who?", numbered)[1]["content"]
    assert "[1] Title 1 (North Press, 2022-10-27): First. … First again." in user
    assert user.endswith("Question: Who?")


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
        ("Ayoub al-Jebawi was killed.", "cites no passage"),
        ("Abu Omar al-Masri was killed [1].", "the name 'Abu Omar al-Masri' is in no cited"),
        ("15 militants were killed [2].", "the number 15 is in no cited passage"),
    ],
    ids=["invented-number", "citation-7-of-5", "no-citation", "invented-name", "wrong-passage"],
)
def test_check_rejects_what_the_passages_do_not_say(text: str, problem: str) -> None:
    checked = check(text, five())
    assert not checked.grounded and any(p.startswith(problem) for p in checked.problems)


def test_not_in_the_archive_is_a_decline() -> None:
    checked = check(" Not in the archive. ", five())
    assert checked.declined and not checked.grounded


def test_chatml_prompt_ends_where_the_answer_begins() -> None:
    text = chatml([{"role": "system", "content": "Rules."}, {"role": "user", "content": "Q?"}])
    assert text == (
        "<|im_start|>system\nRules.<|im_end|>\n<|im_start|>user\nQ?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
