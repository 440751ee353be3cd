"""Memory handed back after a large build: a content snapshot, a search index.

Building one makes many short-lived objects; Python frees them, but the C allocator keeps the
freed pages in the process unless asked to return them. Each worker would otherwise stay at the
high-water mark of its largest build (about 6 MB of 1,000 articles' search index alone).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _libc() -> Any:
    """glibc's malloc_trim when the C library has it (glibc does; musl and macOS do not)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_freed_memory() -> None:
    """Collect the garbage of a build and return the freed pages to the system where possible."""
    gc.collect()
    trim = _libc()
    if trim is not None:
        trim(0)
