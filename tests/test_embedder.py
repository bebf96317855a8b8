"""The embedder: the packaged model's vectors, the same however texts are batched, with the
model calls' big buffers kept out of the resident set."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder
from newsdesk.index.vectors.multilingual import MultilingualEmbedder

TEXTS = [
    "Who was killed in Jassim?",
    "  Residents and local groups aborted an ISIS emirate in Daraa.  ",
    "Fifteen militants, including nine leaders, were killed. " * 40,  # past 256 word pieces
    "x",
]


def test_a_text_gets_one_vector_however_it_is_batched(
    embedder: SentenceTransformerEmbedder,
) -> None:
    together = embedder.encode(TEXTS)
    assert together.dtype == np.float32 and together.shape == (len(TEXTS), embedder.dim)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    one_at_a_time = np.vstack([embedder.encode([t]) for t in reversed(TEXTS)])[::-1]
    assert np.abs(one_at_a_time - together).max() < 1e-5


@pytest.mark.model
def test_the_multilingual_model_remembers_texts_it_embedded_correctly() -> None:
    # Passages embedded at question time are kept for the next question about the story;
    # what comes back is what embedding them afresh gives, in the order asked, duplicates too.
    model = MultilingualEmbedder(remember=2)
    first = model.encode(["من قتل في جاسم؟", *TEXTS[:2]])  # the first is forgotten again
    again = model.encode([TEXTS[1], "من قتل في جاسم؟", TEXTS[1]])
    assert np.abs(again - first[[2, 0, 2]]).max() < 1e-6
    assert again.shape == (3, model.dim) and np.allclose(np.linalg.norm(again, axis=1), 1.0)


def test_loading_the_model_maps_big_buffers() -> None:
    """glibc takes the fixed mmap threshold once the model is loaded (bench/README.md, memory)."""
    code = (
        "from newsdesk.index.vectors.embedder import load_embedder; "
        "from newsdesk.index.vectors.malloc import large_allocations_mapped; "
        "load_embedder('all-MiniLM-L6-v2').encode(['a']); "
        "print(large_allocations_mapped())"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == [str(sys.platform == "linux")]
