"""What the bot remembers across restarts: answers by message, votes, question budgets."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.ingest.store.archive import Archive
from newsdesk.ingest.store.chats import DAY, ChatMemory


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path / "archive.db")


def test_answers_survive_reopening_the_archive(tmp_path: Path, clock: Clock) -> None:
    with Archive(tmp_path / "a.db") as archive:
        ChatMemory(archive, clock=clock).remember(7, [10, 11], {"question": "who?", "text": "X"})
    with Archive(tmp_path / "a.db") as archive:
        memory = ChatMemory(archive, clock=clock)
        assert memory.recall(7, 11) == {"question": "who?", "text": "X"}
        assert memory.recall(7, 12) is None and memory.recall(8, 11) is None  # per chat
        assert memory.last(7) == {"question": "who?", "text": "X"}


def test_last_answer_is_the_newest(archive: Archive, clock: Clock) -> None:
    memory = ChatMemory(archive, clock=clock)
    memory.remember(1, [5], {"n": 1})
    clock.now += 1
    memory.remember(1, [9], {"n": 2})
    memory.remember(2, [20], {"n": 3})
    assert memory.last(1) == {"n": 2} and memory.last(2) == {"n": 3} and memory.last(3) is None


def test_old_answers_expire(archive: Archive, clock: Clock) -> None:
    memory = ChatMemory(archive, keep_days=30, clock=clock)
    memory.remember(1, [1], {"n": 1})
    clock.now += 31 * DAY
    assert memory.recall(1, 1) is None and memory.last(1) is None
    memory.remember(1, [2], {"n": 2})  # writing also drops the expired rows
    assert archive.rows("SELECT count(*) FROM bot_answers") == [(1,)]


def test_each_chat_keeps_only_its_newest_answers(archive: Archive, clock: Clock) -> None:
    memory = ChatMemory(archive, per_chat=3, clock=clock)
    for message_id in range(1, 6):
        clock.now += 1
        memory.remember(1, [message_id], {"n": message_id})
    memory.remember(2, [1], {"n": "other chat"})
    assert [memory.recall(1, m) is not None for m in range(1, 6)] == [False, False] + [True] * 3
    assert memory.recall(2, 1) == {"n": "other chat"}


def test_one_vote_per_person_and_message(archive: Archive, clock: Clock) -> None:
    memory = ChatMemory(archive, clock=clock)
    memory.remember(1, [4], {"n": 1})
    assert memory.vote(1, 4, user_id=100) is True
    assert memory.vote(1, 4, user_id=100) is False
    assert memory.vote(1, 4, user_id=101) is True


def test_budget_is_a_sliding_window_per_user_and_scope(archive: Archive, clock: Clock) -> None:
    memory = ChatMemory(archive, clock=clock)
    start = clock.now
    assert [memory.take("chat", 1, 3) for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now = start + 20
    assert memory.take("chat", 1, 3) == pytest.approx(40)  # the first frees its slot at 60 s
    assert memory.take("chat", 2, 3) == 0.0  # budgets are per user
    assert memory.take("inline", 1, 3) == 0.0  # and per kind of question
    clock.now = start + 60  # all three have left the window
    assert [memory.take("chat", 1, 3) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert memory.take("chat", 1, 3) == pytest.approx(60)


def test_budget_holds_across_a_restart(tmp_path: Path, clock: Clock) -> None:
    with Archive(tmp_path / "a.db") as archive:
        memory = ChatMemory(archive, clock=clock)
        assert [memory.take("chat", 1, 2) for _ in range(2)] == [0.0, 0.0]
    with Archive(tmp_path / "a.db") as archive:
        assert ChatMemory(archive, clock=clock).take("chat", 1, 2) == pytest.approx(60)
