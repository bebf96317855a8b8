"""Near copies are found by their SimHash bands, however their differing bits fall."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from newsdesk.ingest.models import Chunk, RawArticle
from newsdesk.ingest.store.archive import Archive
from newsdesk.text import simhash


def _flip(h: int, bits: list[int]) -> int:
    for bit in bits:
        h ^= 1 << bit
    return h


def _found_by_probes(a: int, b: int) -> bool:
    """Whether a look-up of `a`'s probes meets one of `b`'s bands."""
    return any(
        band in values for values, band in zip(simhash.probes(a), simhash.bands(b), strict=True)
    )


def test_copies_one_bit_off_in_every_band_are_candidates() -> None:
    # Exact bands alone missed this: 4 bits apart, one in each band, no band shared.
    h = random.Random(1).getrandbits(64)
    other = _flip(h, [3, 16 + 5, 32 + 7, 48 + 11])
    assert simhash.distance(h, other) == 4
    assert not set(simhash.bands(h)) & set(simhash.bands(other))
    assert _found_by_probes(h, other)


def test_every_copy_within_the_near_duplicate_distance_is_a_candidate() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        h = rng.getrandbits(64)
        bits = rng.sample(range(64), rng.randint(1, simhash.NEAR_DUPLICATE_BITS))
        assert _found_by_probes(h, _flip(h, bits)), bits


@pytest.mark.parametrize("bits", [[3, 20, 37, 60], [1, 2, 17, 33, 49, 63]])
def test_the_archive_links_a_near_copy_whose_bits_differ_in_every_band(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bits: list[int]
) -> None:
    first = random.Random(3).getrandbits(64)
    hashes = iter([first, _flip(first, bits)])
    # The texts' own hashes cannot be steered bit by bit: the archive gets these instead.
    monkeypatch.setattr(simhash, "simhash", lambda text: next(hashes))
    with Archive(tmp_path / "archive.db") as archive:
        texts = ["Shelling hit Jassim on Monday.", "Shelling hit Jassim on Monday, medics said."]
        results = [
            archive.store(RawArticle(t, title=t, external_id=str(i)), [Chunk(0, 0, len(t), t)])
            for i, t in enumerate(texts)
        ]
    assert results[1].duplicate_of == results[0].article_id
