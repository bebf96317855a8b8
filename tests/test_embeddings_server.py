"""Embeddings from an OpenAI-compatible server (index/vectors/remote.py), against a real server
process on 127.0.0.1 (fakes/embeddings.py): batches, requests in flight, a 429 burst, a server
killed mid-ingest, errors in one line without secrets, and the model name the archive records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from newsdesk.cli.main import cli
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.errors import EmbeddingError, ModelMismatchError
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder
from newsdesk.index.vectors.remote import RemoteEmbedder, shown_url

from conftest import SEED
from fakes.embeddings import EmbeddingServer

MODEL = "hashing-64"  # the name the fake server serves its stand-in under
ARTICLES = 30


def corpus(path: Path, count: int = ARTICLES) -> str:
    with path.open("w", encoding="utf-8") as f:
        for i in range(count):
            text = " ".join(
                f"Dispatch {i}, part {j}: the council of town {i} met about issue {j} today."
                for j in range(8)
            )
            f.write(json.dumps({"id": f"d{i}", "title": f"Dispatch {i}", "text": text}) + "\n")
    return str(path)


def on_server(settings: Settings, url: str, **more: object) -> Settings:
    """Settings embedding through the server; no model in this process (the multilingual set
    and named entities off), small batches so that an ingest takes many requests."""
    chosen: dict[str, object] = {
        "embeddings_url": url,
        "embeddings_model": MODEL,
        "embeddings_batch": 4,
        "embeddings_requests": 3,
        "embeddings_retries": 3,
        "multilingual": False,
        "entities": False,
    }
    return replace(settings, **(chosen | more))  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[EmbeddingServer]:
    with EmbeddingServer("--encoder", "hashing", "--model", MODEL, "--delay", "0.02") as s:
        yield s


def test_ingest_and_search_through_the_server(
    server: EmbeddingServer, settings: Settings, tmp_path: Path
) -> None:
    with Newsdesk(on_server(settings, server.url)) as desk:
        desk.ingest([corpus(tmp_path / "c.jsonl")])
        report = desk.check()
        assert report.ok and report.vectors == report.chunks > 0 and not report.pending
        hits = desk.search("council of town 17 met", mode="dense")
        assert hits[0].article.external_id == "d17"
        assert desk.archive.get_meta("embedding_model") == MODEL
    stats = server.stats()
    # Batches of 4 texts, several requests at once (the sync hands over 4 × 3 passages a call).
    assert stats["texts"] >= report.chunks and stats["served"] >= report.chunks / 4
    assert stats["most_in_flight"] > 1


def test_a_burst_of_429_is_waited_out(settings: Settings, tmp_path: Path) -> None:
    with EmbeddingServer("--encoder", "hashing", "--model", MODEL, "--busy", "5") as server:
        with Newsdesk(on_server(settings, server.url, embeddings_retries=6)) as desk:
            desk.ingest([corpus(tmp_path / "c.jsonl", 10)])
            report = desk.check()
            assert report.ok and report.vectors == report.chunks and not report.pending
        assert server.stats()["busy"] == 5


def test_a_server_killed_mid_ingest_loses_nothing(settings: Settings, tmp_path: Path) -> None:
    source = corpus(tmp_path / "c.jsonl")
    dying = EmbeddingServer("--encoder", "hashing", "--model", MODEL, "--die-after", "6")
    with dying, Newsdesk(on_server(settings, dying.url)) as desk:
        with pytest.raises(EmbeddingError) as failed:
            desk.ingest([source])
        message = str(failed.value)
        assert "\n" not in message and dying.url in message and "next ingest" in message
        report = desk.check()
        # What was stored is whole; none of it is marked embedded without its vector.
        assert report.ok and report.pending and report.vectors < report.chunks
    with (
        EmbeddingServer("--encoder", "hashing", "--model", MODEL) as back,
        Newsdesk(on_server(settings, back.url)) as desk,
    ):
        summary = desk.ingest([source]).summary()
        assert summary["added"] + summary["unchanged"] == ARTICLES
        report = desk.check()
        assert report.ok and not report.pending and report.vectors == report.chunks
        assert desk.search("council of town 29 met", mode="dense")[0].article.external_id == "d29"


def test_the_command_line_says_in_one_line_what_failed(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = corpus(tmp_path / "c.jsonl", 5)
    with EmbeddingServer("--encoder", "hashing", "--model", MODEL, "--api-key", "s3cret") as s:
        for name, value in {
            "NEWSDESK_EMBEDDINGS_URL": s.url.replace("http://", "http://user:pw@"),
            "NEWSDESK_EMBEDDINGS_MODEL": MODEL,
            "NEWSDESK_EMBEDDINGS_API_KEY": "wrong-key",
            "NEWSDESK_MULTILINGUAL": "0",
            "NEWSDESK_ENTITIES": "0",
        }.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(cli, ["--home", str(settings.home), "ingest", "-q", source])
        assert result.exit_code == 1
        error = result.output.strip().splitlines()[-1]
        assert "refused the request (401" in error and "NEWSDESK_EMBEDDINGS_API_KEY" in error
        assert "wrong-key" not in result.output and "pw" not in result.output
        monkeypatch.setenv("NEWSDESK_EMBEDDINGS_URL", s.url)
        monkeypatch.setenv("NEWSDESK_EMBEDDINGS_API_KEY", "s3cret")
        result = CliRunner().invoke(cli, ["--home", str(settings.home), "ingest", "-q", source])
        assert result.exit_code == 0, result.output


def test_an_archive_made_by_the_server_refuses_another_model(
    server: EmbeddingServer, settings: Settings, tmp_path: Path
) -> None:
    with Newsdesk(on_server(settings, server.url)) as desk:
        desk.ingest([corpus(tmp_path / "c.jsonl", 3)])
    # Its dimension is known from the archive: check and delete need no server.
    server.stop()
    with Newsdesk(on_server(settings, server.url)) as desk:
        assert desk.check().ok
        desk.delete(desk.articles()[0].id)
        assert desk.check().ok
    refused = pytest.raises(ModelMismatchError, match="indexed with the model 'hashing-64'")
    with Newsdesk(on_server(settings, server.url, embeddings_model="other")) as desk, refused:
        desk.check()


def test_unreachable_or_unfit_servers_are_one_line_errors(tmp_path: Path) -> None:
    gone = RemoteEmbedder("http://127.0.0.1:9/v1", MODEL, retries=2, backoff=0.01)
    with pytest.raises(EmbeddingError, match=r"failed 2 tries, last: cannot reach it"):
        gone.encode(["a text"])
    with EmbeddingServer("--encoder", "hashing", "--model", MODEL) as server:
        other = RemoteEmbedder(server.url, "not-served", retries=2, backoff=0.01)
        with pytest.raises(EmbeddingError, match=r"\(404: model 'not-served' not found\)"):
            other.encode(["a text"])
    assert shown_url("https://me:key@host:8080/v1?api_key=k") == "https://host:8080/v1"


def test_vectors_come_back_in_order_and_unit_length(server: EmbeddingServer) -> None:
    embedder = RemoteEmbedder(server.url, MODEL, batch=3, requests=4)
    texts = [f"text number {i} about topic {i % 5}" for i in range(20)]
    together = embedder.encode(texts)
    alone = np.vstack([embedder.encode([t]) for t in texts])
    assert together.shape == (20, embedder.dim) and np.abs(together - alone).max() < 1e-6
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert embedder.count_tokens("Who was killed in Jassim?") == 8  # MiniLM's word pieces


@pytest.mark.model
def test_the_packaged_model_served_gives_the_in_process_vectors(
    embedder: SentenceTransformerEmbedder,
) -> None:
    texts = [SEED.read_text()[:2000], "Who was killed in Jassim?", "من قتل في جاسم؟"]
    with EmbeddingServer("--encoder", "torch", "--model", "all-MiniLM-L6-v2") as server:
        remote = RemoteEmbedder(server.url, "all-MiniLM-L6-v2")
        assert np.abs(remote.encode(texts) - embedder.encode(texts)).max() < 1e-6
