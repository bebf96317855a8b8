"""Vectors in Milvus (index/vectors/milvus.py), on Milvus Lite: the same store contract as
FAISS, and the indexer's check, delete, reindex, multilingual set and outbox through it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.errors import NewsdeskError, SearchIndexError
from newsdesk.index.vectors.factory import backend
from newsdesk.index.vectors.milvus import MilvusSet

from conftest import NEWSDESK, SEED, stand_ins

pytest.importorskip("pymilvus")


def on_milvus(settings: Settings) -> Settings:
    return replace(settings, vectors=f"milvus:{settings.home / 'vectors.db'}")


@pytest.fixture
def milvus_desk(settings: Settings) -> Iterator[Newsdesk]:
    """An empty archive whose vectors live in Milvus Lite, with the hashing stand-ins."""
    with stand_ins(on_milvus(settings)) as desk:
        yield desk


def articles(path: Path, count: int = 6, language: str = "en") -> str:
    with path.open("w", encoding="utf-8") as f:
        for i in range(count):
            text = " ".join(
                f"Bulletin {i} item {j}: the mayor of city {i} spoke." for j in range(8)
            )
            row = {"id": f"b{i}", "title": f"Bulletin {i}", "text": text, "language": language}
            f.write(json.dumps(row) + "\n")
    return str(path)


def test_the_store_keeps_ids_and_vectors(tmp_path: Path) -> None:
    store = MilvusSet(str(tmp_path / "v.db"), "t_vectors", 8, "owner")
    try:
        assert len(store) == 0 and store.search(np.ones(8), 3) == [] and not store.exists()
        rng = np.random.default_rng(0)
        vectors = rng.normal(size=(50, 8)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store.add(list(range(100, 150)), vectors)
        assert len(store) == 50 and store.ids().tolist() == list(range(100, 150))
        best, score = store.search(vectors[7], 1)[0]
        assert best == 107 and abs(score - 1.0) < 1e-5
        store.add([107], -vectors[7:8])  # replaces the vector under the same id
        assert store.search(vectors[7], 50)[-1][0] == 107 and len(store) == 50
        assert np.allclose(store.get([107, 999])[107], -vectors[7], atol=1e-6)
        assert store.remove([100, 101, 999]) == 2 and len(store) == 48
        assert str(store.info()).startswith("milvus, t_vectors at ") and store.exists()
    finally:
        store.close()


def test_ingest_search_check_and_delete(milvus_desk: Newsdesk, tmp_path: Path) -> None:
    milvus_desk.ingest([articles(tmp_path / "a.jsonl"), str(SEED)])
    report = milvus_desk.check()
    assert report.ok and report.vectors == report.chunks > 0 and not report.pending
    assert report.index.startswith("milvus, newsdesk_vectors at ")
    assert report.multi_index.startswith("milvus, newsdesk_multilingual at ")
    assert milvus_desk.search("mayor of city 4 spoke", mode="dense")[0].article.external_id == "b4"
    assert milvus_desk.stats().vector_index == report.index
    seed = next(a for a in milvus_desk.articles() if a.source == "North Press")
    chunks = {c.chunk_id for c in milvus_desk.archive.article_chunks(seed.id)}
    milvus_desk.delete(seed.id)
    assert not chunks & {int(i) for i in milvus_desk.indexer.vectors.ids()}
    multi = milvus_desk.indexer.multi
    assert multi is not None and not chunks & {int(i) for i in multi.ids()}
    after = milvus_desk.check()
    assert after.ok and after.vectors == after.chunks == report.chunks - len(chunks)


def test_the_multilingual_set_holds_leads_and_other_languages(
    milvus_desk: Newsdesk, tmp_path: Path
) -> None:
    milvus_desk.ingest([articles(tmp_path / "en.jsonl", 2)])
    milvus_desk.ingest([articles(tmp_path / "fr.jsonl", 1, language="fr")])
    multi = milvus_desk.indexer.multi
    assert multi is not None
    held = {int(i) for i in multi.ids()}
    for article in milvus_desk.archive.articles(limit=None):
        chunks = [c.chunk_id for c in milvus_desk.archive.article_chunks(article.id)]
        expected = chunks[:1] if article.language == "en" else chunks
        assert held & set(chunks) == set(expected)


def test_drift_is_found_and_reindex_rebuilds_the_collections(
    milvus_desk: Newsdesk, tmp_path: Path
) -> None:
    milvus_desk.ingest([articles(tmp_path / "a.jsonl")])
    # A crash after SQLite committed a delete, before Milvus heard of it.
    article = milvus_desk.archive.articles()[0]
    milvus_desk.archive.delete(article.id)
    milvus_desk.archive.forget_removed(milvus_desk.archive.removed_chunk_ids())
    # And a vector lost while its chunk is marked embedded.
    lost = milvus_desk.archive.embedded_chunk_ids()[0]
    milvus_desk.indexer.vectors.remove([lost])
    report = milvus_desk.check()
    assert not report.ok and report.stale and report.missing == [lost]
    assert milvus_desk.reindex() == report.chunks
    report = milvus_desk.check()
    assert report.ok and report.vectors == report.chunks and not report.pending


def test_pending_chunks_are_embedded_by_the_next_sync(
    milvus_desk: Newsdesk, tmp_path: Path
) -> None:
    milvus_desk.ingest([articles(tmp_path / "a.jsonl")], index=False)
    report = milvus_desk.check()
    assert report.ok and report.vectors == 0 and len(report.pending) == report.chunks
    assert milvus_desk.indexer.sync() == report.chunks
    assert milvus_desk.check().vectors == report.chunks


def test_a_lost_collection_is_refused_until_reindexed(settings: Settings, tmp_path: Path) -> None:
    with stand_ins(on_milvus(settings)) as desk:
        desk.ingest([articles(tmp_path / "a.jsonl", 2)])
        assert isinstance(desk.indexer._main, MilvusSet)
        desk.indexer._main.client.drop_collection("newsdesk_vectors")
    with stand_ins(on_milvus(settings)) as desk:
        with pytest.raises(SearchIndexError, match=r"collection newsdesk_vectors at .* is missing"):
            desk.search("mayor")
        desk.reindex()
        assert desk.check().ok and desk.search("mayor of city 1", mode="dense")


def test_two_archives_never_share_a_collection_unawares(settings: Settings, tmp_path: Path) -> None:
    shared = f"milvus:{tmp_path / 'shared.db'}"
    first = replace(settings, home=tmp_path / "one", vectors=shared)
    second = replace(settings, home=tmp_path / "two", vectors=shared)
    with stand_ins(first) as desk:
        desk.ingest([articles(tmp_path / "a.jsonl", 2)])
    with stand_ins(second) as desk:
        desk.ingest([articles(tmp_path / "a.jsonl", 2)], index=False)
        with pytest.raises(NewsdeskError, match="holds the vectors of another archive"):
            desk.check()
    with stand_ins(replace(second, milvus_collection="second")) as desk:
        desk.indexer.sync()
        assert desk.check().ok


def test_milvus_lite_serves_one_process_at_a_time(settings: Settings, tmp_path: Path) -> None:
    env = os.environ | {"NEWSDESK_VECTORS": on_milvus(settings).vectors}
    stats = [*NEWSDESK, "--home", str(settings.home), "stats"]
    with stand_ins(on_milvus(settings)) as desk:
        desk.ingest([articles(tmp_path / "a.jsonl", 2)])
        held = subprocess.run(stats, env=env, capture_output=True, text=True, timeout=120)
        assert held.returncode == 1
        assert "lets one process at a time open it" in held.stderr
        assert len(held.stderr.strip().splitlines()) == 1
    # Closed, the folder is free for another process.
    done = subprocess.run(stats, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "milvus, newsdesk_vectors at" in done.stdout


def test_a_bad_vectors_setting_says_what_to_write(settings: Settings) -> None:
    unknown = pytest.raises(NewsdeskError, match=r"NEWSDESK_VECTORS to faiss or milvus:<uri>")
    with stand_ins(replace(settings, vectors="qdrant:x")) as desk, unknown:
        desk.check()
    not_lite = pytest.raises(NewsdeskError, match=r"Lite path ending in \.db")
    with stand_ins(replace(settings, vectors="milvus:/tmp/vectors")) as desk, not_lite:
        desk.check()
    assert Settings.from_env({"NEWSDESK_VECTORS": "milvus:v.db"}).vectors == "milvus:v.db"
    inside = replace(settings, vectors="milvus:v.db")  # a relative path: in the archive folder
    assert backend(inside) == ("milvus", str(settings.home / "v.db"))
    assert backend(replace(settings, vectors="milvus:http://u:p@db:19530")) == (
        "milvus",
        "http://u:p@db:19530",
    )


@pytest.mark.model
def test_the_command_line_on_milvus_lite(tmp_path: Path) -> None:
    """The acceptance run: ingest the seed article, ask, check, delete, with the real models."""
    home = tmp_path / "home"
    # As a user runs it: the default encoder too (conftest sets torch for the other tests).
    env = os.environ | {"NEWSDESK_VECTORS": f"milvus:{home / 'vectors.db'}"}
    env["NEWSDESK_ENCODER"] = "auto"

    def newsdesk(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*NEWSDESK, "--home", str(home), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done

    newsdesk("ingest", "-q", str(SEED))
    answer = json.loads(newsdesk("ask", "--json", "Who was killed in Jassim?").stdout)
    assert "15" in answer["answer"] and "Jebawi" in answer["answer"]
    assert answer["sources"][0]["source"] == "North Press"
    checked = newsdesk("check").stdout
    assert "vector index: milvus, newsdesk_vectors at" in checked and "ok:" in checked
    article = json.loads(newsdesk("articles", "--json").stdout)[0]["id"]
    newsdesk("delete", str(article))
    report = json.loads(newsdesk("check", "--json").stdout)
    assert report["ok"] and report["vectors"] == report["chunks"] == 0
