"""The embedder: the packaged model's vectors, the same however texts are batched, with the
model calls' big buffers kept out of the resident set."""

from __future__ import annotations

import platform
import subprocess
import sys

import numpy as np
import pytest

from newsdesk.index.vectors import malloc
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


# Whether a block of 8 MB gets pages of its own (mallinfo2's `hblkhd`, bytes in mapped blocks)
# right after one of 16 MB was freed: glibc's sliding threshold has then climbed to 16 MB and
# puts it on the heap; at newsdesk's fixed 4 MB threshold it is mapped.
PROBE = """
import ctypes

class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split())]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Mallinfo2
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]

def big_blocks_mapped():
    libc.free(libc.malloc(16 << 20))
    before = libc.mallinfo2().hblkhd
    block = libc.malloc(8 << 20)
    grown = libc.mallinfo2().hblkhd - before
    libc.free(block)
    return grown >= 8 << 20
"""
LIBC, LIBC_VERSION = platform.libc_ver()
glibc = pytest.mark.skipif(
    LIBC != "glibc" or tuple(map(int, LIBC_VERSION.split("."))) < (2, 33),
    reason="the mmap threshold is glibc's (mallinfo2: 2.33 and later)",
)


def probe(then: str) -> list[str]:
    """What `big_blocks_mapped()` says in a new process before and after running `then`."""
    code = f"{PROBE}\nprint(big_blocks_mapped())\n{then}\nprint(big_blocks_mapped())"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout.split()


@glibc
def test_large_allocations_mapped_fixes_the_mmap_threshold() -> None:
    # The module alone, as a file: importing the package would take the child a second.
    then = (
        "import importlib.util as u; "
        f"spec = u.spec_from_file_location('malloc', {malloc.__file__!r}); "
        "module = u.module_from_spec(spec); spec.loader.exec_module(module); "
        "assert module.large_allocations_mapped()"
    )
    assert probe(then) == ["False", "True"]


@glibc
@pytest.mark.model
def test_loading_the_model_maps_big_buffers() -> None:
    """glibc takes the fixed mmap threshold once the model is loaded (bench/README.md, memory):
    a model call's big buffers are unmapped when freed instead of fragmenting the heap."""
    then = (
        "from newsdesk.index.vectors.embedder import load_embedder; "
        "load_embedder('all-MiniLM-L6-v2').encode(['a'])"
    )
    assert probe(then) == ["False", "True"]
