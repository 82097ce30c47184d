"""The completion cache: exact hits, LRU eviction, expiry, and typed-ahead reuse."""

from __future__ import annotations

from zeke_ls.completion.cache import CompletionCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_exact_hit_and_miss_by_model_prefix_suffix():
    cache = CompletionCache()
    cache.put("m", "x = ", "\n", ["1"])
    assert cache.get("m", "x = ", "\n") == ["1"]
    assert cache.get("other", "x = ", "\n") is None
    assert cache.get("m", "x = ", "\ny") is None
    assert cache.get("m", "y = ", "\n") is None


def test_lru_evicts_the_least_recently_used():
    cache = CompletionCache(size=2)
    cache.put("m", "a", "", ["1"])
    cache.put("m", "b", "", ["2"])
    assert cache.get("m", "a", "") == ["1"]
    cache.put("m", "c", "", ["3"])
    assert cache.get("m", "b", "") is None
    assert cache.get("m", "a", "") == ["1"] and len(cache) == 2


def test_entries_expire():
    clock = Clock()
    cache = CompletionCache(ttl_s=10, clock=clock)
    cache.put("m", "a", "", ["1"])
    clock.now = 11
    assert cache.get("m", "a", "") is None


def test_typed_ahead_returns_the_rest():
    cache = CompletionCache()
    cache.put("m", "def f():\n    ", "\n", ["return 42", "pass"])
    assert cache.get("m", "def f():\n    ret", "\n") == ["urn 42"]
    assert cache.get("m", "def f():\n    return 42", "\n") is None  # fully typed: nothing left
    assert cache.get("m", "def f():\n    rex", "\n") is None  # diverged
    assert cache.get("m", "def f():\n    ret", "\nz") is None  # suffix changed


def test_typed_ahead_survives_a_prefix_window_that_lost_its_first_lines():
    cache = CompletionCache()
    head = "".join(f"line {i}\n" for i in range(100))
    cache.put("m", head + "x = ", "", ["value"])
    assert cache.get("m", head[len("line 0\n") :] + "x = va", "") == ["lue"]


def test_zero_size_disables():
    cache = CompletionCache(size=0)
    cache.put("m", "a", "", ["1"])
    assert cache.get("m", "a", "") is None
