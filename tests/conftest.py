"""Shared fixtures: one loaded embedding model per session, a fresh archive per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk.config import Settings
from newsdesk.index.desk import Newsdesk
from newsdesk.index.embedder import SentenceTransformerEmbedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# The bot tests' fixtures (fake Telegram server, seeded archive) live in tests/botkit.py.
pytest_plugins = ["botkit"]

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "corpus" / "north-press-daraa-jassim.txt"
SEED_TITLE = "Residents, local groups abort ISIS emirate in Syria’s Daraa"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real packaged all-MiniLM-L6-v2, loaded once for the whole test session."""
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2", threads=2)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def desk(settings: Settings, embedder: SentenceTransformerEmbedder) -> Iterator[Newsdesk]:
    """An empty archive in tmp_path with the shared model."""
    with Newsdesk(settings, embedder=embedder) as d:
        yield d


@pytest.fixture
def seed_desk(desk: Newsdesk) -> Newsdesk:
    """An archive holding the seed article from ../shared/corpus/."""
    report = desk.ingest([str(SEED)])
    assert report.summary()["added"] == 1
    return desk
