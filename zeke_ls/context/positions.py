"""One position codec: LSP (line, character) in the negotiated encoding <-> string offsets.

Clients count columns in UTF-16 code units unless they negotiated `utf-8` or `utf-32` at
`initialize` (Neovim offers `utf-8` first). Every feature that slices text by a client range
(completion, chat, context sets, edits) goes through one `PositionCodec` built from the
negotiated encoding, so nobody counts code units by hand. Lines end at `\\n`, `\\r\\n` or `\\r`.
Positions past the end of a line or of the text are clamped, as LSP asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UTF16, UTF8, UTF32 = "utf-16", "utf-8", "utf-32"
_EOL = re.compile(r"\r\n|\r|\n")


def _utf16_width(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _utf8_width(char: str) -> int:
    code = ord(char)
    return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4


def _utf32_width(char: str) -> int:
    return 1


_WIDTHS = {UTF16: _utf16_width, UTF8: _utf8_width, UTF32: _utf32_width}


def units_to_index(line: str, character: int, encoding: str = UTF16) -> int:
    """The index in `line` of a column in `encoding` units, clamped to the line, never inside
    a character."""
    if line.isascii():
        return max(0, min(character, len(line)))
    width = _WIDTHS.get(encoding, _utf16_width)
    units = 0
    for index, char in enumerate(line):
        units += width(char)
        if units > character:
            return index
    return len(line)


def index_to_units(line: str, index: int, encoding: str = UTF16) -> int:
    """The column of an index in `line`, in `encoding` units."""
    head = line[:index]
    if head.isascii():
        return len(head)
    width = _WIDTHS.get(encoding, _utf16_width)
    return sum(width(char) for char in head)


def line_starts(text: str) -> list[int]:
    """The offset where each LSP line starts (a text always has at least one line)."""
    return [0, *(match.end() for match in _EOL.finditer(text))]


@dataclass(frozen=True)
class PositionCodec:
    """Converts positions for one negotiated encoding (`utf-16`, `utf-8` or `utf-32`)."""

    encoding: str = UTF16

    @classmethod
    def of(cls, encoding: object) -> PositionCodec:
        """From pygls's negotiated value (an enum, a string or None)."""
        value = str(getattr(encoding, "value", encoding) or UTF16)
        return cls(value if value in _WIDTHS else UTF16)

    def units(self, segment: str) -> int:
        return index_to_units(segment, len(segment), self.encoding)

    def index_in_line(self, line: str, character: int) -> int:
        return units_to_index(line, character, self.encoding)

    def offset(self, text: str, line: int, character: int) -> int:
        """The string offset of a position, clamped to its line and to the text."""
        starts = line_starts(text)
        if line >= len(starts):
            return len(text)
        start = starts[max(line, 0)]
        end = starts[line + 1] if line + 1 < len(starts) else len(text)
        content = text[start:end].rstrip("\r\n")
        return start + self.index_in_line(content, character)

    def position(self, text: str, offset: int) -> tuple[int, int]:
        """The (line, character) of a string offset."""
        offset = max(0, min(offset, len(text)))
        starts = line_starts(text)
        line = max(i for i, start in enumerate(starts) if start <= offset)
        return line, self.units(text[starts[line] : offset])

    def slice(self, text: str, start: tuple[int, int], end: tuple[int, int]) -> str:
        return text[self.offset(text, *start) : self.offset(text, *end)]

    def line_end_units(self, text: str, line: int) -> int | None:
        """The width of a line in units, None when the text has no such line."""
        starts = line_starts(text)
        if line >= len(starts):
            return None
        end = starts[line + 1] if line + 1 < len(starts) else len(text)
        return self.units(text[starts[line] : end].rstrip("\r\n"))
