"""content/memory.py: memory handed back after, and during, a content load (what it saves is
measured by `bench/engine.py --memory`, not asserted here)."""

from __future__ import annotations

import pytest

from helpdesk.content import memory


def test_the_libc_functions_are_found_where_glibc_is():
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("musl and macOS have no malloc_trim or mallopt: the load goes on without them")
    assert memory._libc("malloc_trim") is not None and memory._libc("mallopt") is not None


def test_during_a_load_the_heap_is_trimmed_as_freed_and_after_it_as_before(monkeypatch):
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(memory, "_libc", lambda function="malloc_trim": lambda *a: calls.append(a) or 1)
    with memory.handed_back_as_freed():
        assert calls == [(memory._M_TRIM_THRESHOLD, 0)]
    assert calls[-1] == (memory._M_TRIM_THRESHOLD, 128 * 1024)  # glibc's own default again
    calls.clear()
    with pytest.raises(RuntimeError), memory.handed_back_as_freed():
        raise RuntimeError("a load that fails")
    assert calls == [(memory._M_TRIM_THRESHOLD, 0), (memory._M_TRIM_THRESHOLD, 128 * 1024)]
