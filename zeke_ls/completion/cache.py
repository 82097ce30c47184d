"""An LRU of recent suggestions, keyed by model, prefix and suffix, with typed-ahead reuse.

Clients ask again on every keystroke. When the user types exactly what a cached suggestion
proposed, the rest of that suggestion is still right, so it is answered from here without an
upstream request (as Tabby does). Entries expire, because the other open files and the model
behind an alias change over time.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

TAIL = 256
"""How much of the prefix must agree for typed-ahead reuse (the packed prefix may have lost
lines at its start as the user typed)."""


@dataclass(frozen=True)
class Entry:
    model: str
    prefix: str
    suffix: str
    suggestions: tuple[str, ...]
    stored_at: float


class CompletionCache:
    def __init__(
        self, size: int = 100, ttl_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ):
        self.size, self.ttl_s, self._clock = size, ttl_s, clock
        self._entries: OrderedDict[tuple[str, str, str], Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, model: str, prefix: str, suffix: str, suggestions: list[str]) -> None:
        if self.size <= 0 or not suggestions:
            return
        key = (model, prefix, suffix)
        self._entries[key] = Entry(model, prefix, suffix, tuple(suggestions), self._clock())
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def get(self, model: str, prefix: str, suffix: str) -> list[str] | None:
        """Suggestions for this exact context, or the rest of ones the user is typing."""
        entry = self._entries.get((model, prefix, suffix))
        if entry is not None and self._fresh(entry):
            self._entries.move_to_end((model, prefix, suffix))
            return list(entry.suggestions)
        return self._typed_ahead(model, prefix, suffix)

    def _fresh(self, entry: Entry) -> bool:
        return self._clock() - entry.stored_at <= self.ttl_s

    def _typed_ahead(self, model: str, prefix: str, suffix: str) -> list[str] | None:
        for entry in reversed(self._entries.values()):
            if entry.model != model or entry.suffix != suffix or not self._fresh(entry):
                continue
            rest = _remainders(entry, prefix)
            if rest:
                return rest
        return None


def _remainders(entry: Entry, prefix: str) -> list[str]:
    """What is left of each suggestion once `prefix` has typed its first characters.

    The end of the entry's prefix is searched for near the end of the new prefix (one C-level
    `rfind` per entry, since this runs on every cache miss); what follows it is what was typed.
    """
    tail = entry.prefix[-TAIL:]
    longest = max(len(s) for s in entry.suggestions)
    found = prefix.rfind(tail, max(0, len(prefix) - longest - len(tail)))
    if found < 0 or (len(entry.prefix) <= TAIL and found != 0):
        return []
    typed = prefix[found + len(tail) :]
    if not typed:
        return []
    rest = (s[len(typed) :] for s in entry.suggestions if s.startswith(typed))
    return [r for r in rest if r]
