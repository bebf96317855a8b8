"""Ingesting into a real archive: the seed article, re-ingest, update, delete, story clusters."""

from __future__ import annotations

import json
from pathlib import Path

from newsdesk.desk import Newsdesk

from conftest import SEED, SEED_TITLE


def write_jsonl(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_seed_article_is_stored_with_its_metadata(seed_desk: Newsdesk) -> None:
    [article] = seed_desk.archive.articles()
    assert article.title == SEED_TITLE
    assert article.source == "North Press"
    assert article.place == "Daraa"
    assert article.author == "Ihsan Muhammad"
    assert article.language == "en"
    chunks = seed_desk.archive.article_chunks(article.id)
    assert len(chunks) > 5
    # Offsets point back into the stored text, and no chunk is a bare "Reporting by" tail.
    for c in chunks:
        assert article.text[c.start : c.end] == c.text
        assert len(c.text.split()) >= 12
    assert seed_desk.check().ok and not seed_desk.check().pending


def test_reingest_changes_nothing(seed_desk: Newsdesk) -> None:
    before = seed_desk.archive.stats()
    vectors = len(seed_desk.indexer.vectors)
    report = seed_desk.ingest([str(SEED)])
    assert report.summary() | {"chunks": 0} == {
        "added": 0,
        "updated": 0,
        "unchanged": 1,
        "duplicates": 0,
        "failed": 0,
        "chunks": 0,
    }
    after = seed_desk.archive.stats()
    assert (after.articles, after.chunks) == (before.articles, before.chunks)
    assert len(seed_desk.indexer.vectors) == vectors


def test_changed_text_under_same_id_replaces_chunks(desk: Newsdesk, tmp_path: Path) -> None:
    first = {
        "id": "a1",
        "title": "Flood in Valencia",
        "source": "Wire",
        "text": "Heavy rain flooded the old town of Valencia on Monday. " * 3,
    }
    desk.ingest([str(write_jsonl(tmp_path / "v1.jsonl", first))])
    second = first | {"text": "The mayor of Valencia announced a relief fund for shop owners. " * 3}
    report = desk.ingest([str(write_jsonl(tmp_path / "v2.jsonl", second))])
    assert report.summary()["updated"] == 1
    [article] = desk.archive.articles()
    assert "relief fund" in article.text
    hits = desk.search("flooded old town rain")
    assert all("flooded" not in h.text for h in hits)
    assert desk.check().ok
    assert len(desk.indexer.vectors) == desk.stats().chunks


def test_deleted_article_never_comes_back(seed_desk: Newsdesk, tmp_path: Path) -> None:
    other = {
        "id": "x",
        "title": "Wheat prices",
        "source": "Wire",
        "text": "Wheat prices rose in Jordan after the border with Syria closed. " * 2,
    }
    seed_desk.ingest([str(write_jsonl(tmp_path / "o.jsonl", other))])
    seed_id = next(a.id for a in seed_desk.archive.articles() if a.title == SEED_TITLE)
    seed_desk.delete(seed_id)
    for query in ["Who was killed in Jassim?", "Ayoub al-Jebawi", "ISIS emirate Daraa"]:
        assert all(h.article.id != seed_id for h in seed_desk.search(query, 10))
    assert seed_desk.check().ok
    assert len(seed_desk.indexer.vectors) == seed_desk.stats().chunks


def test_lightly_edited_copy_joins_the_same_story(seed_desk: Newsdesk, tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    copy = text.replace("15 militants", "fifteen militants").replace(
        "Reporting by Ihsan Muhammad", "Reposted from North Press"
    )
    path = tmp_path / "repost.txt"
    path.write_text(copy, encoding="utf-8")
    report = seed_desk.ingest([str(path)])
    assert report.summary()["duplicates"] == 1
    original, repost = sorted(seed_desk.archive.articles(), key=lambda a: a.id)
    assert repost.cluster_id == original.cluster_id == original.id
    # Both copies are kept, but one story does not fill every search result slot.
    stories = [h.article.cluster_id for h in seed_desk.search("ISIS emirate", 2)]
    assert len(stories) == 2


def test_unrelated_article_starts_its_own_story(seed_desk: Newsdesk, tmp_path: Path) -> None:
    other = {"id": "r", "title": "Rugby", "text": "Scotland appointed a new rugby coach. " * 5}
    seed_desk.ingest([str(write_jsonl(tmp_path / "r.jsonl", other))])
    clusters = {a.cluster_id for a in seed_desk.archive.articles()}
    assert len(clusters) == 2


def test_arabic_article_round_trips_and_is_searchable(desk: Newsdesk, tmp_path: Path) -> None:
    text = "اشتباكات في مدينة جاسم بريف درعا بين مجموعات محلية وعناصر من تنظيم داعش. " * 3
    record = {"id": "ar1", "title": "اشتباكات في جاسم", "text": text, "source": "نورث برس"}
    desk.ingest([str(write_jsonl(tmp_path / "ar.jsonl", record))])
    [article] = desk.archive.articles()
    assert article.language == "ar"
    assert article.text == text.strip()
    assert desk.search("جاسم")[0].article.external_id == "ar1"
