"""The embedder: sentence-transformers' vectors without the sentence-transformers package."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from newsdesk.errors import NewsdeskError
from newsdesk.index.embedder import SentenceTransformerEmbedder, _layout, model_path

TEXTS = [
    "Who was killed in Jassim?",
    "  Residents and local groups aborted an ISIS emirate in Daraa.  ",
    "Fifteen militants, including nine leaders, were killed. " * 40,  # past 256 word pieces
    "x",
]


def test_vectors_equal_sentence_transformers(embedder: SentenceTransformerEmbedder) -> None:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(model_path("all-MiniLM-L6-v2")), device="cpu")
    expected = reference.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    got = embedder.encode(TEXTS)
    assert got.dtype == np.float32 and got.shape == (len(TEXTS), embedder.dim)
    assert np.abs(got - expected).max() < 1e-5
    # Split across calls and batches, in any order, a text gets the same vector.
    one_at_a_time = np.vstack([embedder.encode([t]) for t in reversed(TEXTS)])[::-1]
    assert np.abs(one_at_a_time - expected).max() < 1e-5


@pytest.mark.model
def test_loading_the_model_imports_no_sentence_transformers() -> None:
    code = (
        "import sys; from newsdesk.index.embedder import load_embedder; "
        "from newsdesk.index.heap import large_allocations_mapped; "
        "load_embedder('all-MiniLM-L6-v2').encode(['a']); "
        "print(sorted({'sentence_transformers', 'sklearn'} & set(sys.modules)), "
        "large_allocations_mapped())"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["[]", str(sys.platform == "linux")]


def _folder(tmp_path: Path, modules: list[str], pooling: dict[str, bool]) -> Path:
    listing = [
        {
            "idx": i,
            "name": str(i),
            "path": "1_Pooling" if kind == "Pooling" else str(i),
            "type": f"sentence_transformers.models.{kind}",
        }
        for i, kind in enumerate(modules)
    ]
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "modules.json").write_text(json.dumps(listing))
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (tmp_path / "sentence_bert_config.json").write_text('{"max_seq_length": 128}')
    return tmp_path


def test_layout_of_a_model_folder(tmp_path: Path) -> None:
    assert _layout(model_path("all-MiniLM-L6-v2")) == (256, False, "mean")
    cls = _folder(tmp_path, ["Transformer", "Pooling"], {"pooling_mode_cls_token": True})
    assert _layout(cls) == (128, False, "cls")


def test_refuses_what_it_would_not_reproduce(tmp_path: Path) -> None:
    mean = {"pooling_mode_mean_tokens": True}
    dense = _folder(tmp_path / "a", ["Transformer", "Pooling", "Dense"], mean)
    with pytest.raises(NewsdeskError, match="Dense"):
        _layout(dense)
    both = {"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}
    with pytest.raises(NewsdeskError, match="pools by"):
        _layout(_folder(tmp_path / "b", ["Transformer", "Pooling"], both))
