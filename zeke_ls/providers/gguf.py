"""What a GGUF file says about its own model: name, architecture, chat template, FIM tokens.

A user may point `[providers.llamacpp] model_path` at any GGUF file, named anything, so the
model family (which FIM template, whether there is a chat template at all) is read from the
file's metadata rather than guessed from the alias. Only the key/value header is read
(memory-mapped, no tensors): a few milliseconds even for a 150k-token vocabulary.

Format (gguf v2/v3): magic `GGUF`, u32 version, u64 tensor count, u64 key/value count, then
per entry a string key, a u32 value type and the value (arrays: u32 item type, u64 count).
"""

from __future__ import annotations

import functools
import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path

_SCALARS = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_STRING, _ARRAY = 8, 9
FIM_MARKERS = {
    "qwen": "<|fim_prefix|>",
    "starcoder": "<fim_prefix>",
    "codellama": "<PRE>",
    "codestral": "[PREFIX]",
    "deepseek": "<\uff5cfim\u2581begin\uff5c>",
}
"""A vocabulary token that identifies each FIM family of `zeke_ls.prompts.fim`."""


class GGUFError(ValueError):
    """Not a GGUF file, or one this reader cannot follow."""


@dataclass(frozen=True)
class GGUFInfo:
    name: str = ""
    architecture: str = ""
    chat_template: str | None = None
    special_tokens: frozenset[str] = field(default_factory=frozenset)
    """Vocabulary entries that look like sentinels (`<...>`, `[...]`), for family detection."""

    @property
    def fim_family(self) -> str | None:
        """The FIM template family whose sentinel tokens are in the vocabulary."""
        for family, marker in FIM_MARKERS.items():
            if marker in self.special_tokens:
                return family
        return None


class _Reader:
    def __init__(self, data: mmap.mmap) -> None:
        self.data, self.pos = data, 0

    def unpack(self, fmt: str) -> object:
        try:
            (value,) = struct.unpack_from("<" + fmt, self.data, self.pos)
        except struct.error:  # a truncated or corrupt file
            raise GGUFError(f"truncated GGUF metadata at byte {self.pos}") from None
        self.pos += struct.calcsize("<" + fmt)
        return value

    def string(self) -> str:
        size = int(self.unpack("Q"))  # type: ignore[call-overload]
        raw = self.data[self.pos : self.pos + size]
        self.pos += size
        return raw.decode("utf-8", "replace")

    def skip_string(self) -> None:
        self.pos += int(self.unpack("Q"))  # type: ignore[call-overload]

    def value(self, kind: int, keep: bool) -> object:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            if keep:
                return self.string()
            self.skip_string()
            return None
        if kind == _ARRAY:
            return self.array(keep)
        raise GGUFError(f"unknown GGUF value type {kind}")

    def array(self, keep: bool) -> list[object] | None:
        kind = int(self.unpack("I"))  # type: ignore[call-overload]
        count = int(self.unpack("Q"))  # type: ignore[call-overload]
        if kind in _SCALARS and not keep:
            self.pos += count * struct.calcsize("<" + _SCALARS[kind])
            return None
        items = [self.value(kind, keep) for _ in range(count)]
        return items if keep else None


def _looks_special(token: str) -> bool:
    return len(token) < 40 and (
        (token.startswith("<") and token.endswith(">"))
        or (token.startswith("[") and token.endswith("]") and token[1:-1].isupper())
    )


@functools.lru_cache(maxsize=8)
def read_gguf(path: str) -> GGUFInfo:
    """The metadata of one GGUF file (cached per path). Raises GGUFError or OSError."""
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        reader = _Reader(data)
        if data[:4] != b"GGUF":
            raise GGUFError(f"not a GGUF file: {path}")
        reader.pos = 4
        version = int(reader.unpack("I"))  # type: ignore[call-overload]
        if version < 2:
            raise GGUFError(f"GGUF version {version} is too old")
        reader.unpack("Q")
        count = int(reader.unpack("Q"))  # type: ignore[call-overload]
        wanted = {
            "general.name",
            "general.architecture",
            "tokenizer.chat_template",
            "tokenizer.ggml.tokens",
        }
        found: dict[str, object] = {}
        for _ in range(count):
            key = reader.string()
            kind = int(reader.unpack("I"))  # type: ignore[call-overload]
            value = reader.value(kind, key in wanted)
            if key in wanted:
                found[key] = value
    tokens = found.get("tokenizer.ggml.tokens")
    tokens = tokens if isinstance(tokens, list) else []
    specials = frozenset(t for t in tokens if isinstance(t, str) and _looks_special(t))
    template = found.get("tokenizer.chat_template")
    return GGUFInfo(
        name=str(found.get("general.name") or Path(path).stem),
        architecture=str(found.get("general.architecture") or ""),
        chat_template=template if isinstance(template, str) and template.strip() else None,
        special_tokens=specials,
    )
