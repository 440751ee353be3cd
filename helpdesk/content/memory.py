"""Memory handed back after a large build: a content snapshot, a search index.

Building one makes many short-lived objects; Python frees them, but the C allocator keeps the
freed pages in the process unless asked to return them. Each worker would otherwise stay at the
high-water mark of its largest build (about 6 MB of 1,000 articles' search index alone).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

# glibc's mallopt: the parameter, and the value it has unless told otherwise (malloc.h)
_M_TRIM_THRESHOLD = -1
_DEFAULT_TRIM_THRESHOLD = 128 * 1024


@lru_cache(maxsize=2)
def _libc(function: str = "malloc_trim") -> Any:
    """glibc's malloc_trim (or mallopt) when the C library has it (glibc does; musl and macOS do
    not)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        found = getattr(ctypes.CDLL(name), function)
    except (OSError, AttributeError):
        return None
    found.argtypes = [ctypes.c_int, ctypes.c_int] if function == "mallopt" else [ctypes.c_size_t]
    found.restype = ctypes.c_int
    return found


@contextmanager
def handed_back_as_freed() -> Iterator[None]:
    """While a content load runs: whatever the load frees at the top of the heap goes back to the
    system at once (glibc's trim threshold at 0), not only when the load is over. The garbage of
    a load (files read, renderings, pickles from the parsing processes) is otherwise left between
    the objects kept, and the heap stays at its high-water mark: the load of 1,000 articles leaves
    the process 7 MB larger, not 11, and the workers forked from it the same (the master's column
    of `bench/engine.py --memory`). The threshold is set back to glibc's default after."""
    mallopt = _libc("mallopt")
    if mallopt is not None:
        mallopt(_M_TRIM_THRESHOLD, 0)
    try:
        yield
    finally:
        if mallopt is not None:
            mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)


def release_freed_memory() -> None:
    """Collect the garbage of a build and return the freed pages to the system where possible."""
    gc.collect()
    trim = _libc()
    if trim is not None:
        trim(0)
