"""Near-duplicate detection with 64-bit SimHash over word shingles, banded for fast look-up."""

from __future__ import annotations

import hashlib
import re

BANDS = 4
BAND_BITS = 64 // BANDS
NEAR_DUPLICATE_BITS = 6
# Two hashes up to 6 bits apart need not share a band exactly (one differing bit in each of
# the 4 bands is 4 bits), but one of their bands is at most one bit apart: a look-up that
# probes each band with its one-bit neighbours finds every near copy (up to 7 bits apart).
_TOKEN = re.compile(r"\w+", re.UNICODE)


def simhash(text: str, shingle: int = 3) -> int:
    """An unsigned 64-bit SimHash of the text's lower-cased word shingles."""
    words = _TOKEN.findall(text.lower())
    grams = {" ".join(words[i : i + shingle]) for i in range(max(1, len(words) - shingle + 1))}
    weights = [0] * 64
    for gram in grams:
        h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if h >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def bands(h: int) -> list[int]:
    """The hash cut into BANDS integers, each indexed in SQLite for candidate look-up."""
    mask = (1 << BAND_BITS) - 1
    return [(h >> (i * BAND_BITS)) & mask for i in range(BANDS)]


def probes(h: int) -> list[list[int]]:
    """For each band, the values a near copy's band may have: this one and its one-bit
    neighbours."""
    return [[b, *(b ^ 1 << bit for bit in range(BAND_BITS))] for b in bands(h)]


def to_signed(h: int) -> int:
    """SQLite integers are signed 64-bit."""
    return h - (1 << 64) if h >= 1 << 63 else h


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()
