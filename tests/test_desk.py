"""The Newsdesk facade with a stand-in model: what the CLI and the bot call, in seconds."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from newsdesk import Answer, ArticleNotFound, Newsdesk, Settings
from newsdesk.index.read.answerer import Source
from newsdesk.ingest.models import RawArticle

from conftest import NEWSDESK, SEED, SEED_TITLE, HashingEmbedder


def test_facade_ingests_lists_gets_and_deletes(fast_desk: Newsdesk) -> None:
    report = fast_desk.ingest([str(SEED.parent)])
    assert report.summary()["added"] == 1
    stats = fast_desk.stats()
    assert (stats.articles, stats.outlets, stats.unindexed_chunks) == (1, 1, 0)
    assert stats.top_outlets == {"North Press": 1} and stats.dates == "no dates known"
    [article] = fast_desk.articles()
    assert article.title == SEED_TITLE and fast_desk.get(article.id) == article
    assert fast_desk.search("Ayoub al-Jebawi")[0].article.id == article.id
    deleted = fast_desk.delete(article.id)
    assert deleted.title == SEED_TITLE
    assert fast_desk.stats().articles == 0 and fast_desk.check().ok
    with pytest.raises(ArticleNotFound):
        fast_desk.get(article.id)


def test_a_library_callers_articles_are_normalized_like_read_ones(fast_desk: Newsdesk) -> None:
    english = " ".join(
        ["Shelling hit the town of Jassim in\u200b Daraa on Monday, medics said."] * 8
    )
    arabic = " ".join(["قصفت القوات مدينة جاسم في ريف درعا يوم الاثنين، وفق مصادر طبية محلية."] * 8)
    items = [
        RawArticle(f"  {english}\r\n", title=" Jassim  shelled ", external_id="en"),
        RawArticle(arabic, title="قصف جاسم", external_id="ar"),
        RawArticle(" \u200b \n ", title="Nothing", external_id="empty"),
    ]
    report = fast_desk.ingest_items(items, index=False)
    assert report.summary()["added"] == 2 and [f.origin for f in report.failures] == [""]
    en, ar = (fast_desk.get(ref) for ref in ("en", "ar"))
    assert (en.language, ar.language) == ("en", "ar")
    assert en.title == "Jassim shelled" and "\u200b" not in en.text and en.text == en.text.strip()
    # An English article puts only its lead in the multilingual set; an Arabic one all of it.
    multi = set(fast_desk.archive.multilingual_chunk_ids())
    en_chunks = [c.chunk_id for c in fast_desk.archive.article_chunks(en.id)]
    ar_chunks = [c.chunk_id for c in fast_desk.archive.article_chunks(ar.id)]
    assert multi == {en_chunks[0], *ar_chunks} and len(en_chunks) > 1


def test_feedback_is_stored(fast_desk: Newsdesk) -> None:
    fast_desk.feedback(chat_id=5, user_id=6, question="who?", answer="X [1]", rating=-1)
    rows = fast_desk.archive.rows("SELECT chat_id, user_id, question, rating FROM feedback")
    assert rows == [(5, 6, "who?", -1)]


def test_settings_accept_a_string_home(tmp_path: Path) -> None:
    settings = Settings(home=str(tmp_path / "news"))  # type: ignore[arg-type]
    assert settings.db_path == tmp_path / "news" / "archive.db"


class SlowEmbedder(HashingEmbedder):
    """Takes its time to tell its size, as a real model takes its time to load."""

    @property
    def dim(self) -> int:  # type: ignore[override]
        time.sleep(0.05)
        return 64


def test_lazy_loading_is_once_whichever_threads_ask(settings: Settings) -> None:
    with Newsdesk(settings, embedder=SlowEmbedder()) as desk:
        start = threading.Barrier(8)

        def load(_: int) -> int:
            start.wait()
            return id(desk.indexer)

        with ThreadPoolExecutor(8) as pool:
            assert len(set(pool.map(load, range(8)))) == 1


def test_answer_round_trips_through_plain_data() -> None:
    source = Source(1, 7, "ext-7", "Title", "North Press", "2022-10-27", None, 0.5)
    answer = Answer("Who?", "Him [1]", True, [source], 12.5, "Him", [], [source], None)
    data = answer.to_dict() | {"field_of_a_later_version": 1}
    assert Answer.from_dict(data) == answer


def test_stats_and_ingest_load_no_telegram_module(tmp_path: Path) -> None:
    """The bot's library is imported by `newsdesk bot` only."""
    env = os.environ | {"PYTHONPROFILEIMPORTTIME": "1", "NEWSDESK_HOME": str(tmp_path)}
    for args in (["stats"], ["articles"], ["--help"]):
        done = subprocess.run(NEWSDESK + args, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        imported = [line for line in done.stderr.splitlines() if "import time:" in line]
        assert imported and not [line for line in imported if "telegram" in line]


def test_hashing_stand_in_points_alike_texts_alike() -> None:
    vectors = HashingEmbedder().encode(["killed in Jassim", "in Jassim killed", "wheat prices"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert vectors[0] @ vectors[1] > 0.99 > vectors[0] @ vectors[2]
