"""Keeping a model call's freed memory out of the resident set (glibc; no-ops elsewhere)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
# Allocations from this size up get pages of their own. A model call's activations are
# blocks of 1-50 MB; glibc's threshold starts at 128 KB but climbs (up to 32 MB) each time
# such a block is freed, after which they land on the heap and fragment it. 1 MB held the
# peak 15 MB lower than 4 MB but cost 7% more CPU in page faults; 4 MB cost none measurable.
MAPPED_FROM = 4 << 20


@functools.cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


@functools.cache
def large_allocations_mapped() -> bool:
    """Serve allocations of `MAPPED_FROM` bytes and up by mmap, at a fixed threshold, so each
    is unmapped when freed; returns whether the C library took the setting.

    The peak of embedding the 256 longest dev passages, 16 a call, through sentence-
    transformers: 757 MB with glibc's sliding threshold, 639 MB with a fixed 1 MB one
    (bench/README.md, memory).
    """
    mallopt = getattr(_libc(), "mallopt", None)
    return bool(mallopt and mallopt(_M_MMAP_THRESHOLD, MAPPED_FROM))


def release_freed() -> None:
    """Return the heap's free pages to the system.

    Each model call frees its activations, but glibc keeps freed heap pages in the process:
    embedding 2,048 dev passages 16 at a time took the resident set from 511 MB (model
    loaded) to 947 MB and climbing; trimmed after each call it stayed at 590 (peak 707).
    """
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)
