"""Near-duplicate detection with 64-bit SimHash over word shingles, banded for fast look-up."""

from __future__ import annotations

import hashlib
import re

BANDS = 4  # 4 bands of 16 bits: any two hashes within 3 bits share at least one band exactly
BAND_BITS = 64 // BANDS
NEAR_DUPLICATE_BITS = 6
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


def to_signed(h: int) -> int:
    """SQLite integers are signed 64-bit."""
    return h - (1 << 64) if h >= 1 << 63 else h


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()
