"""MiniLM through ONNX Runtime (index/vectors/onnx.py): exported from the packaged weights on
first use, torch's vectors in fp32, close to them in int8, and which encoder a desk picks for
an archive (index/vectors/encoders.py)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.errors import ModelMismatchError, NewsdeskError
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder
from newsdesk.index.vectors.encoders import DEFAULT, encoder_for, load_onnx
from newsdesk.index.vectors.onnx import OnnxEmbedder

from conftest import SEED

TEXTS = [
    "Who was killed in Jassim?",
    "  Residents and local groups aborted an ISIS emirate in Daraa.  ",
    "Fifteen militants, including nine leaders, were killed. " * 40,  # past 256 word pieces
    "x",
    "من قتل في جاسم؟",
    SEED.read_text(encoding="utf-8")[:1500],
]
MINILM = "all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder of the module's own: the first model load exports into it."""
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def fp32(cache: Path) -> OnnxEmbedder:
    return load_onnx(MINILM, int8=False, cache=cache, threads=2, batch_size=32)


@pytest.fixture(scope="module")
def int8(cache: Path) -> OnnxEmbedder:
    return load_onnx(MINILM, int8=True, cache=cache, threads=2, batch_size=32)


@pytest.mark.model
def test_the_export_gives_torchs_vectors(
    fp32: OnnxEmbedder, embedder: SentenceTransformerEmbedder, cache: Path
) -> None:
    assert fp32.path.parent == cache and fp32.path.exists() and fp32.name == MINILM
    together = fp32.encode(TEXTS)
    assert together.shape == (len(TEXTS), 384) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    # The same model, hence the same name in the archive: within 1e-6 of torch's vectors,
    # however the texts are batched.
    assert np.abs(together - embedder.encode(TEXTS)).max() < 1e-6
    alone = np.vstack([fp32.encode([t]) for t in TEXTS])
    assert np.abs(alone - together).max() < 1e-6
    assert [fp32.count_tokens(t) for t in TEXTS] == [embedder.count_tokens(t) for t in TEXTS]


@pytest.mark.model
def test_int8_is_close_to_torch_under_a_name_of_its_own(
    int8: OnnxEmbedder, embedder: SentenceTransformerEmbedder
) -> None:
    assert int8.name == f"{MINILM}-int8" and int8.path.stat().st_size < 30e6
    vectors, exact = int8.encode(TEXTS), embedder.encode(TEXTS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (vectors * exact).sum(axis=1).min() > 0.97


@pytest.mark.model
def test_a_new_archive_on_int8_answers_end_to_end(
    int8: OnnxEmbedder, cache: Path, settings: Settings
) -> None:
    settings = replace(settings, encoder="auto", encoder_cache=cache, multilingual=False)
    with Newsdesk(settings) as desk:
        desk.ingest([str(SEED)])
        assert desk.embedder is int8  # the default for a new archive, loaded once
        assert desk.archive.get_meta("embedding_model") == f"{MINILM}-int8"
        answer = desk.ask("Who was killed in Jassim?")
        assert "15" in answer.text and "Jebawi" in answer.text
        assert answer.sources[0].source == "North Press"
        assert desk.check().ok


@pytest.mark.model
def test_an_archive_made_by_torch_is_read_by_onnx_and_refused_by_int8(
    seed_home: Path, settings: Settings, cache: Path, fp32: OnnxEmbedder
) -> None:
    shutil.copytree(seed_home, settings.home)
    auto = replace(settings, encoder="auto", encoder_cache=cache, multilingual=False)
    with Newsdesk(auto) as desk:
        # "auto" follows the archive: torch's vectors, so ONNX fp32, the same model.
        assert desk.embedder is fp32
        assert "Jassim" in desk.search("Who was killed in Jassim?")[0].text
    refused = pytest.raises(ModelMismatchError, match="set to use 'all-MiniLM-L6-v2-int8'")
    with Newsdesk(replace(auto, encoder="onnx-int8")) as desk, refused:
        desk.search("Who was killed in Jassim?")


def test_auto_follows_the_archives_vectors() -> None:
    auto = Settings(encoder="auto")
    assert encoder_for(auto, None) == DEFAULT
    assert encoder_for(auto, MINILM) == "onnx"
    assert encoder_for(auto, f"{MINILM}-int8") == "onnx-int8"
    assert encoder_for(auto, "some-other-model") == DEFAULT  # refused when the index opens
    assert encoder_for(Settings(encoder="torch"), f"{MINILM}-int8") == "torch"
    with pytest.raises(NewsdeskError, match="NEWSDESK_ENCODER to one of auto, torch"):
        encoder_for(Settings(encoder="tensorflow"), None)
    assert Settings.from_env({"NEWSDESK_ENCODER": "onnx"}).encoder == "onnx"
