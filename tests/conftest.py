"""Shared fixtures: one loaded embedding model per session, a fresh archive per test."""

from __future__ import annotations

import os
import re
import shutil
import sys
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder, load_embedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# The bot tests' fixtures (fake Telegram server, seeded archive) live in tests/botkit.py.
pytest_plugins = ["botkit", "feedkit"]

SHARED = Path(__file__).resolve().parents[2] / "shared"
# The seed article as the repository ships it in sample/ (a copy of ../shared/corpus/'s).
SEED = Path(__file__).resolve().parents[1] / "sample" / "north-press-daraa-jassim.txt"
# The command line in a process of its own, as a user runs it.
NEWSDESK = [sys.executable, "-c", "from newsdesk.cli.main import main; main()"]
SEED_TITLE = "Residents, local groups abort ISIS emirate in Syria’s Daraa"
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real packaged all-MiniLM-L6-v2, loaded once for the whole test session."""
    # The same instance the CLI's desks load in this process (load_embedder caches it).
    embedder = load_embedder("all-MiniLM-L6-v2", threads=2, batch_size=32)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    return embedder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def desk(settings: Settings, embedder: SentenceTransformerEmbedder) -> Iterator[Newsdesk]:
    """An empty archive in tmp_path with the shared model."""
    with Newsdesk(settings, embedder=embedder) as d:
        yield d


@pytest.fixture(scope="session")
def seed_home(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> Path:
    """An archive folder holding sample/ (the seed article), indexed once per session."""
    home = tmp_path_factory.mktemp("seed") / "home"
    with Newsdesk(Settings(home=home), embedder=embedder) as desk:
        assert desk.ingest([str(SEED.parent)]).summary()["added"] == 1
    return home


@pytest.fixture
def seed_desk(
    seed_home: Path, settings: Settings, embedder: SentenceTransformerEmbedder
) -> Iterator[Newsdesk]:
    """A copy of the seeded archive of the test's own, at `settings.home`."""
    shutil.copytree(seed_home, settings.home)
    with Newsdesk(settings, embedder=embedder) as desk:
        yield desk


@pytest.fixture(scope="session")
def full_desk(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> Iterator[Newsdesk]:
    """The archive a new user would have: the seed article among the 530 dev articles, and
    two short Arabic articles (tests/data), with both vector sets. Built once per session
    (a few minutes with the real models): the tests that use it only ask."""
    home = tmp_path_factory.mktemp("full") / "home"
    with Newsdesk(Settings(home=home), embedder=embedder) as desk:
        corpus = SHARED / "eval-dev" / "corpus.jsonl"
        report = desk.ingest([str(corpus), str(SEED), str(DATA / "arabic-articles.jsonl")])
        assert report.summary()["failed"] == 0 and desk.stats().articles >= 500
        yield desk


class HashingEmbedder:
    """A stand-in for the model, for logic tests that don't judge answers: each word hashed
    to a dimension, so texts sharing words point alike. Loads and encodes at once."""

    name = "hashing-test-embedder"
    dim = 64

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-9)

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))


@pytest.fixture
def fast_desk(settings: Settings) -> Iterator[Newsdesk]:
    """An empty archive in tmp_path with the hashing stand-in for the model."""
    with Newsdesk(settings, embedder=HashingEmbedder()) as desk:
        yield desk


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that loads the real model, so `make test-fast` can leave it out."""
    for item in items:
        if "embedder" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.model)
