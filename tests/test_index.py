"""The vector index and hybrid search with the real model, FAISS and SQLite files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.errors import EmptyArchiveError, ModelMismatchError, QueryError, SearchIndexError
from newsdesk.index.search.names import latin_spellings, spelled_alike
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder
from newsdesk.ingest.store.records import Filters

SEED_QUESTIONS = {
    "Who was killed in Jassim?": ["Ayoub al-Jebawi", "15 militants"],
    "When did ISIS intend to announce an emirate?": ["October 23"],
    "Who is Ayham Faisl al-Halqi?": ["Ayham Faisl al-Halqi, an ISIS Emir"],
    "Which brigade sent groups to Jassim?": ["Eighth Brigade"],
    "Why is Daraa strategically important?": ["strategic position"],
}


@pytest.mark.parametrize("question", SEED_QUESTIONS)
def test_seed_questions_find_the_answering_passage_first(
    seed_desk: Newsdesk, question: str
) -> None:
    top = seed_desk.search(question, 3)[0]
    assert any(fact in top.text for fact in SEED_QUESTIONS[question]), top.text
    assert top.article.source == "North Press"


def test_hits_carry_article_metadata_and_scores(seed_desk: Newsdesk) -> None:
    hit = seed_desk.search("Ayoub al-Jebawi emir of assassinations")[0]
    assert "Ayoub al-Jebawi" in hit.text
    assert hit.dense is not None and 0 < hit.dense <= 1
    assert hit.keyword is not None and hit.keyword > 0
    assert hit.article.title.startswith("Residents, local groups")


def test_filters_by_date_and_outlet(desk: Newsdesk, tmp_path: Path) -> None:
    records = [
        {
            "id": "old",
            "title": "Jassim clashes",
            "date": "2021-03-01",
            "source": "Enab Baladi",
            "text": "Clashes broke out in Jassim between local groups and ISIS cells. " * 3,
        },
        {
            "id": "new",
            "title": "Jassim curfew",
            "date": "2022-10-25",
            "source": "North Press",
            "text": "A curfew was imposed in Jassim after clashes with ISIS cells. " * 3,
        },
    ]
    path = tmp_path / "two.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records))
    desk.ingest([str(path)])

    def ids(f: Filters) -> list[str]:
        return [str(h.article.external_id) for h in desk.search("Jassim ISIS", filters=f)]

    assert ids(Filters(since="2022-01-01")) == ["new"]
    assert ids(Filters(until="2021-12-31")) == ["old"]
    assert ids(Filters(source="enab baladi")) == ["old"]
    assert sorted(ids(Filters())) == ["new", "old"]


@pytest.mark.parametrize("query", ["", "   ", "?!… —", "***"])
def test_empty_or_punctuation_queries_get_a_clear_error(seed_desk: Newsdesk, query: str) -> None:
    with pytest.raises(QueryError, match=r"empty|no words"):
        seed_desk.search(query)


def test_huge_query_still_searches(seed_desk: Newsdesk) -> None:
    query = ("Who was killed in Jassim? " * 400)[:10_000]
    assert "Jassim" in seed_desk.search(query)[0].text


def test_a_name_spelled_otherwise_finds_the_archives_spelling(seed_desk: Newsdesk) -> None:
    # The seed writes "Jassim"; an asker may write "Jasim" (or mistype it).
    assert latin_spellings(seed_desk.archive, "Who was killed in Jasim?") == ["jassim"]
    hits = seed_desk.search("Jasim", mode="keyword")
    assert hits and "Jassim" in hits[0].text
    # A word the archive holds is no misspelling, and a short one has too many neighbours.
    assert latin_spellings(seed_desk.archive, "Who was killed in Jassim?") == []
    assert latin_spellings(seed_desk.archive, "Who was killed in Dara?") == []


@pytest.mark.parametrize(
    ("asked", "name", "alike"),
    [
        ("isrel", "israel", True),
        ("deraa", "daraa", True),
        ("gaddafi", "gadhafi", True),
        ("isrel", "israeli", False),  # two letters off in a short word
        ("deraa", "der", False),
        ("qaddafi", "gaddafi", False),  # a name starts alike
        ("israel", "israel", False),  # the same word is no other spelling
    ],
)
def test_other_spellings_of_a_name(asked: str, name: str, alike: bool) -> None:
    assert spelled_alike(asked, name) is alike


def test_arabic_query_gives_results_not_errors(seed_desk: Newsdesk) -> None:
    assert isinstance(seed_desk.search("من قتل في جاسم؟"), list)


def test_empty_archive_says_so(desk: Newsdesk) -> None:
    with pytest.raises(EmptyArchiveError, match="the archive is empty"):
        desk.search("anything at all")


def test_drift_after_a_crash_is_found_and_fixed(seed_desk: Newsdesk, settings: Settings) -> None:
    # A crash after SQLite committed a delete but before the index was saved leaves vectors of
    # chunks that no longer exist, and the removal bookkeeping lost.
    article = seed_desk.archive.articles()[0]
    seed_desk.archive.delete(article.id)
    seed_desk.archive.forget_removed(seed_desk.archive.removed_chunk_ids())
    report = seed_desk.check()
    assert not report.ok and len(report.stale) == report.vectors > 0
    seed_desk.reindex()
    assert seed_desk.check().ok and seed_desk.check().vectors == 0


def test_missing_or_corrupt_index_is_refused_until_reindexed(
    seed_desk: Newsdesk, settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    settings.index_path.write_bytes(b"not a faiss index")
    with Newsdesk(settings, embedder=embedder) as reopened:
        with pytest.raises(SearchIndexError, match="unreadable"):
            reopened.search("Who was killed in Jassim?")
        reopened.reindex()
        assert "Jassim" in reopened.search("Who was killed in Jassim?")[0].text
    settings.index_path.unlink()
    with Newsdesk(settings, embedder=embedder) as reopened:
        with pytest.raises(SearchIndexError, match=r"index.faiss is missing"):
            reopened.search("Who was killed in Jassim?")
        reopened.reindex()
        assert reopened.check().ok


def test_archive_indexed_with_another_model_is_refused(
    seed_desk: Newsdesk, settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    seed_desk.archive.set_meta("embedding_model", "some-other-model")
    with Newsdesk(settings, embedder=embedder) as reopened:
        with pytest.raises(ModelMismatchError, match="indexed with the model 'some-other-model'"):
            reopened.search("Jassim")
        reopened.reindex()
        assert reopened.search("Jassim")


def _one(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / f"{name}.jsonl"
    path.write_text(json.dumps({"id": name, "title": name, "text": text}))
    return str(path)


def test_two_processes_sharing_an_archive_keep_every_vector(
    settings: Settings, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    # Two desks on one home stand for the bot and a `newsdesk ingest` run beside it.
    with (
        Newsdesk(settings, embedder=embedder) as bot,
        Newsdesk(settings, embedder=embedder) as cli,
    ):
        bot.ingest([_one(tmp_path, "quake", "An earthquake shook Izmir on Friday. " * 4)])
        cli.ingest([_one(tmp_path, "volcano", "A volcano erupted in Iceland near Grindavik. " * 4)])
        # The bot sees what the other process added, by meaning as well as by keywords ...
        hits = bot.search("lava eruption on an island in the north Atlantic", mode="dense")
        assert hits[0].article.external_id == "volcano"
        # ... and its own next write keeps the other process's vectors.
        bot.ingest([_one(tmp_path, "flood", "Floods hit Derna in eastern Libya. " * 4)])
    with Newsdesk(settings, embedder=embedder) as fresh:
        report = fresh.check()
        assert report.ok and report.vectors == report.chunks and not report.pending


def test_delete_with_an_unusable_index_deletes_nothing(
    seed_desk: Newsdesk, settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    settings.index_path.write_bytes(b"corrupt")
    with Newsdesk(settings, embedder=embedder) as reopened:
        article = reopened.archive.articles()[0]
        with pytest.raises(SearchIndexError, match="unreadable"):
            reopened.delete(article.id)
        assert reopened.archive.get(article.id).title == article.title
