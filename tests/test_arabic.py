"""Arabic articles and questions: folding, sentences, datelines, keyword search, names."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk import Newsdesk, Settings
from newsdesk.ingest.models import RawArticle
from newsdesk.ingest.pipeline import prepared
from newsdesk.ingest.readers import read_inputs
from newsdesk.ingest.store.archive import Archive
from newsdesk.text.arabic import fold, skeleton
from newsdesk.text.sentences import split_sentences

from conftest import SEED, stand_ins

DATA = Path(__file__).parent / "data"
ARABIC_SEED = DATA / "north-press-jassim-ar.txt"


def test_folding_makes_one_spelling_of_many() -> None:
    assert fold("أَحْمَد") == fold("احمد") == fold("إحمد") == fold("آحمد")
    assert fold("مدرســة") == fold("مدرسه") == fold("مدرسة")  # tatweel; ة read as ه
    assert fold("مستشفى") == fold("مستشفي")
    assert fold("الجباوي") == fold("والجباوي") == fold("جباوي")
    assert fold("Jassim al-Jebawi, 2022") == "Jassim al-Jebawi, 2022"  # Latin untouched
    assert fold("الى") == "الي"  # too short to be the article and a word


def test_names_share_a_skeleton_across_scripts() -> None:
    pairs = [("جاسم", "Jassim"), ("درعا", "Daraa"), ("الجباوي", "Jebawi"), ("إدلب", "Idlib")]
    assert all(skeleton(ar) == skeleton(en) != "" for ar, en in pairs)
    assert skeleton("جاسم") != skeleton("Damascus")


def test_arabic_sentences_and_dateline() -> None:
    [article] = map(prepared, read_inputs([str(ARABIC_SEED)], Settings()))
    assert isinstance(article, RawArticle)
    assert article.source == "North Press" and article.place == "درعا"
    assert (article.title or "").startswith("الأهالي ومجموعات محلية")
    text = "ارتفعت الأسعار؛ بسبب قلة الأمطار. هل تعود؟ قال التاجر ذلك"
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == ["ارتفعت الأسعار؛", "بسبب قلة الأمطار.", "هل تعود؟", "قال التاجر ذلك"]


@pytest.fixture
def arabic_desk(fast_desk: Newsdesk) -> Newsdesk:
    report = fast_desk.ingest([str(ARABIC_SEED), str(DATA / "arabic-articles.jsonl"), str(SEED)])
    assert report.summary()["added"] == 4
    return fast_desk


@pytest.mark.parametrize(
    "query",
    ["مسؤول الاغتيالات", "مسئول الإغتيالات", "مَسْؤُولُ الاغْتِيالاتِ", "والاغتيالات مسؤول"],
    ids=["plain", "other-hamza-and-alef", "diacritics", "prefixed-article"],
)
def test_arabic_keyword_search_ignores_spelling(arabic_desk: Newsdesk, query: str) -> None:
    hits = arabic_desk.search(query, 3, mode="keyword")
    assert hits and hits[0].article.title.startswith("الأهالي ومجموعات محلية")
    assert "أيوب الجباوي" in hits[0].text  # stored text is the article's own, unfolded


def test_arabic_name_finds_its_english_spelling(arabic_desk: Newsdesk) -> None:
    """A name written in Arabic finds articles that spell it in Latin letters."""
    hits = arabic_desk.search("من قُتل في جاسم؟", 5, mode="keyword")
    titles = [h.article.title for h in hits]
    assert "Residents, local groups abort ISIS emirate in Syria’s Daraa" in titles


def test_archives_from_before_folding_are_refolded(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    with stand_ins(settings) as desk:
        desk.ingest([str(ARABIC_SEED)])
    with Archive(settings.db_path) as archive:  # as newsdesk stored it before migration 3
        archive.db.execute("DELETE FROM chunks_fts")
        archive.db.execute(
            "INSERT INTO chunks_fts (rowid, text, title) SELECT c.id, c.text, a.title "
            "FROM chunks c JOIN articles a ON a.id = c.article_id"
        )
        for table in ("names", "feeds", "follows", "alerts", "entities"):  # later migrations'
            archive.db.execute(f"DROP TABLE {table}")
        archive.db.execute("ALTER TABLE articles DROP COLUMN entities_model")
        archive.db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        archive.db.conn.commit()
    with stand_ins(settings) as desk:
        assert desk.search("مسئول الإغتيالات", 1, mode="keyword")
        assert desk.archive.names_like(skeleton("Jassim")) == []  # no Latin names in Arabic
