"""Big archives: an approximate (IVF) index past the threshold, and a memory-mapped index
that other processes search without copying it."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_index import SEED_QUESTIONS

from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.errors import SearchIndexError
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder
from newsdesk.index.vectors.faiss import VectorIndex
from newsdesk.index.vectors.ivf import build_ivf
from newsdesk.index.vectors.sync import TRAINED_ON

from conftest import SEED, stand_ins

# The seed article makes about 15 chunks; a few more articles give the IVF something to
# cluster. Four lists, two searched: approximate for real, on a test-sized archive.
SMALL = {"vector_threshold": 20, "ivf_lists": 4, "ivf_probes": 2}


def _others(tmp_path: Path) -> str:
    topics = ["an earthquake in Izmir", "floods in Derna", "a volcano near Grindavik"]
    path = tmp_path / "others.jsonl"
    with path.open("w") as f:
        for n, topic in enumerate(topics):
            text = " ".join(
                f"Report {j} on {topic}: officials counted damage {j}." for j in range(12)
            )
            f.write(json.dumps({"id": f"o{n}", "title": topic.capitalize(), "text": text}) + "\n")
    return str(path)


@pytest.fixture
def big_settings(settings: Settings) -> Settings:
    return replace(settings, **SMALL)  # type: ignore[arg-type]


def test_an_archive_over_the_threshold_gets_an_ivf_that_answers_and_survives_changes(
    big_settings: Settings, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    with Newsdesk(big_settings, embedder=embedder) as desk:
        desk.ingest([str(SEED.parent), _others(tmp_path)])
        report = desk.check()
        assert report.ok and report.vectors == report.chunks > SMALL["vector_threshold"]
        assert report.index.startswith("ivf-fp16, 4 lists, 2 probed")
        assert desk.stats().vector_index == report.index
        for question, facts in SEED_QUESTIONS.items():
            top = desk.search(question, 3)[0]
            assert any(fact in top.text for fact in facts), (question, top.text)

        other = next(a for a in desk.articles() if a.external_id == "o1")
        desk.delete(other.id)
        after = desk.check()
        assert after.ok and after.vectors == after.chunks < report.chunks
        assert all(h.article.id != other.id for h in desk.search("floods in Derna", 10))

        assert desk.reindex() == after.chunks
        rebuilt = desk.check()
        assert rebuilt.ok and rebuilt.index.startswith("ivf-fp16") and not rebuilt.retrain_advised
        assert "Jassim" in desk.search("Who was killed in Jassim?")[0].text


def _reports(tmp_path: Path, name: str, count: int) -> str:
    path = tmp_path / f"{name}.jsonl"
    with path.open("w") as f:
        for n in range(count):
            text = " ".join(
                f"Town {n} {name} sentence {j}: a report of event {j}." for j in range(9)
            )
            f.write(json.dumps({"id": f"{name}{n}", "title": f"{name} {n}", "text": text}) + "\n")
    return str(path)


def test_the_ivf_is_retrained_as_the_archive_doubles(
    big_settings: Settings, tmp_path: Path
) -> None:
    settings = replace(big_settings, ivf_lists=0, ivf_probes=1000)
    with stand_ins(settings) as desk:
        desk.ingest([_reports(tmp_path, "a", 10)])
        first = int(desk.archive.get_meta(TRAINED_ON) or 0)
        assert desk.check().index.startswith("ivf-fp16") and first == len(desk.indexer.vectors)
        desk.ingest([_reports(tmp_path, "b", 30)])
        report = desk.check()
        assert report.ok and not report.retrain_advised
        assert int(desk.archive.get_meta(TRAINED_ON) or 0) > 2 * first
        assert len(desk.search("a report of an event in town", 5, mode="dense")) == 5


def test_stats_describe_the_index_without_loading_the_model(big_settings: Settings) -> None:
    # No embedder given: stats must not need one.
    with Newsdesk(big_settings) as desk:
        assert desk.stats().vector_index == "none yet"


def test_an_ivf_keeps_ids_and_finds_what_the_flat_index_finds() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(2000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat = VectorIndex(32)
    ids = list(range(1000, 3000))
    flat.add(ids, vectors)
    ivf = build_ivf(
        flat, lists=16, probes=16, codes="sq8"
    )  # every list probed: exact but for rounding
    assert ivf.info().kind == "ivf-sq8" and sorted(ivf.ids().tolist()) == ids
    for row in (0, 777, 1999):
        assert ivf.search(vectors[row], 1)[0][0] == ids[row]
    stored = ivf.get([1777, 5])  # by id, as search fills in a bm25-only passage's similarity
    assert list(stored) == [1777] and float(stored[1777] @ vectors[777]) > 0.99
    assert ivf.remove([1000, 1001, 5]) == 2 and len(ivf) == 1998
    retrained = build_ivf(ivf, lists=8, probes=8, codes="fp16")
    assert retrained.search(vectors[777], 1)[0][0] == 1777


READER = """
import sys
from pathlib import Path
import numpy as np
from newsdesk.index.vectors.faiss import VectorIndex

index = VectorIndex.load(Path(sys.argv[1]), 32, mapped=True)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
maps = open("/proc/self/maps").read()
hit = index.search(np.load(sys.argv[2]), 1)[0][0]
print(hit, index.info().mapped, sys.argv[1] in maps)
"""


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_a_second_process_reads_the_index_memory_mapped(tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(500, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(32)
    index.add(list(range(500)), vectors)
    if kind == "ivf":
        index = build_ivf(index, lists=4, probes=4, codes="fp16")
    path = tmp_path / "index.faiss"
    index.save(path)
    np.save(tmp_path / "query.npy", vectors[123])
    out = subprocess.run(
        [sys.executable, "-c", READER, str(path), str(tmp_path / "query.npy")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # The file itself is in the reader's address space: mapped, not read into its heap.
    assert out == ["123", "True", "True"]


def test_a_mapped_index_refuses_writes_and_a_writer_replaces_the_file_under_it(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(200, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    path = tmp_path / "index.faiss"
    build_ivf(_flat(vectors), lists=2, probes=2, codes="sq8").save(path)
    reader = VectorIndex.load(path, 32, mapped=True)
    with pytest.raises(SearchIndexError, match="read-only"):
        reader.remove([1])
    writer = VectorIndex.load(path, 32)
    writer.remove(list(range(100)))
    writer.save(path)  # atomic rename: the reader's mapping still holds the old file
    assert reader.search(vectors[5], 1)[0][0] == 5
    reader.reload(path, mapped=True)
    assert all(i >= 100 for i, _ in reader.search(vectors[5], 10))


def test_a_desk_searches_mapped_and_writes_through_a_private_copy(
    seed_desk: Newsdesk, tmp_path: Path
) -> None:
    assert seed_desk.indexer.vectors.info().mapped
    seed_desk.ingest([_others(tmp_path)])
    assert seed_desk.indexer.vectors.info().mapped and seed_desk.check().ok
    assert seed_desk.search("floods in Derna")[0].article.external_id == "o1"


def _flat(vectors: np.ndarray) -> VectorIndex:
    index = VectorIndex(vectors.shape[1])
    index.add(list(range(len(vectors))), vectors)
    return index
