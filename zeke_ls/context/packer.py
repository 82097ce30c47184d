"""The context packer: the text around the cursor, cut to a token budget.

Completion, chat and edits all need "what is before and after the cursor, and what else is
open", cut to what the model can take. The split is prefix-heavy (the code before the cursor
predicts far better than the code after it); whatever the suffix does not use goes back to the
prefix, and whatever both leave goes to snippets of other open documents.

Lines are LSP lines (`\\n`, `\\r\\n` or `\\r` end them) and columns are in the position
encoding negotiated at `initialize` (UTF-16 code units unless the client chose UTF-8/UTF-32).
Tokens are counted per line through a shared `TokenCounter`, whose cache is keyed by content:
after one keystroke only the edited line is encoded again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from zeke_ls.context.positions import UTF16, index_to_units, units_to_index
from zeke_ls.context.tokens import TokenCounter

_EOL = re.compile(r"\r\n|\r|\n")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
SNIPPET_LINES = 40
"""How many lines of one other document may go in as a snippet."""
MAX_LINE_COUNTS = 50_000
MAX_REMEMBERED = 32
"""Documents whose last cursor line `CursorResolver` remembers."""
SNIPPET_CHARS = 8000
"""Only this much of another document is looked at (a 10 MB log must not cost a split)."""


@dataclass(frozen=True)
class Cursor:
    """A position resolved against one text: an index into the text plus the clamped LSP
    position (in the negotiated encoding's columns) it corresponds to."""

    offset: int
    line: int
    character: int
    line_start: int
    line_end: int
    """Index of the end of the cursor's line, before its line break."""


@dataclass(frozen=True)
class Snippet:
    path: str
    text: str


@dataclass(frozen=True)
class PackedContext:
    """What a prompt is built from."""

    prefix: str
    suffix: str
    path: str
    language: str
    line_prefix: str
    """The cursor line up to the cursor (always whole, even if the prefix budget is tiny)."""
    line_suffix: str
    """The cursor line after the cursor, without its line break."""
    snippets: list[Snippet] = field(default_factory=list)
    tokens: int = 0
    first_line: int = 0
    """The document line the prefix starts on (local models keep it on a coarse grid)."""


def is_binary(text: str) -> bool:
    """NUL characters never occur in source code; they mark a binary file opened as text."""
    return "\x00" in text


def clean_surrogates(text: str) -> str:
    """Replace lone UTF-16 surrogates (which cannot be encoded as UTF-8) with U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def line_bounds(text: str, line: int) -> tuple[int, int] | None:
    """(start, end-before-break) of an LSP line, or None when the text has fewer lines."""
    start = 0
    if "\r" not in text:
        for _ in range(line):
            found = text.find("\n", start)
            if found < 0:
                return None
            start = found + 1
        end = text.find("\n", start)
        return start, len(text) if end < 0 else end
    for number, match in enumerate(_EOL.finditer(text)):
        if number == line:
            return start, match.start()
        start = match.end()
    if line == _line_count(text) - 1:
        return start, len(text)
    return None


def _line_count(text: str) -> int:
    return len(_EOL.findall(text)) + 1


def resolve_cursor(text: str, line: int, character: int, encoding: str = UTF16) -> Cursor | None:
    """Resolve an LSP position; None when the line is past the end of the document."""
    if line < 0 or character < 0:
        return None
    bounds = line_bounds(text, line)
    if bounds is None:
        return None
    return _cursor_in_line(text, line, character, *bounds, encoding)


class CursorResolver:
    """`resolve_cursor` that remembers where the last cursor line started, per document.

    Finding line N means scanning N line breaks; a keystroke changes the text but rarely
    anything before the cursor line, so the scan resumes from the remembered line when the
    text up to it is unchanged (one C-level comparison instead of a Python loop per line).
    """

    def __init__(self) -> None:
        self._last: dict[str, tuple[str, int, int]] = {}

    def resolve(
        self, key: str, text: str, line: int, character: int, encoding: str = UTF16
    ) -> Cursor | None:
        start_line, start = self._resume_point(key, text, line)
        if "\r" in text or line < 0 or character < 0:
            return resolve_cursor(text, line, character, encoding)
        bounds = line_bounds(text[start:], line - start_line) if start else None
        if bounds is None:
            cursor = resolve_cursor(text, line, character, encoding)
        else:
            cursor = _cursor_in_line(
                text, line, character, start + bounds[0], start + bounds[1], encoding
            )
        if cursor is not None:
            self._last.pop(key, None)
            self._last[key] = (text, line, cursor.line_start)
            if len(self._last) > MAX_REMEMBERED:
                self._last.pop(next(iter(self._last)))
        return cursor

    def _resume_point(self, key: str, text: str, line: int) -> tuple[int, int]:
        last = self._last.get(key)
        if last is None or last[1] > line:
            return 0, 0
        old_text, old_line, old_start = last
        if text[:old_start] != old_text[:old_start]:
            return 0, 0
        return old_line, old_start


def _cursor_in_line(
    text: str, line: int, character: int, start: int, end: int, encoding: str
) -> Cursor:
    index = units_to_index(text[start:end], character, encoding)
    return Cursor(start + index, line, index_to_units(text[start:end], index, encoding), start, end)


def relative_path(path: str, roots: list[Path]) -> str:
    """The path relative to the workspace root that holds it, else as given."""
    candidate = Path(path)
    for root in roots:
        if candidate.is_relative_to(root):
            return candidate.relative_to(root).as_posix()
    return candidate.as_posix()


class ContextPacker:
    """Packs context for one request; keep one per session so its token cache lives on."""

    def __init__(self, counter: TokenCounter | None = None):
        self.counter = counter or TokenCounter()
        self._lines: dict[str, int] = {}

    def count_line(self, line: str) -> int:
        """Token count of one line. A dict keyed by the line itself sits in front of the
        shared counter: a repack looks up ~200 lines, and str hashing is cheaper than the
        counter's content digest."""
        found = self._lines.get(line)
        if found is None:
            if len(self._lines) >= MAX_LINE_COUNTS:
                self._lines.clear()
            found = self._lines[line] = self.counter.count(line)
        return found

    def pack(
        self,
        text: str,
        cursor: Cursor,
        *,
        path: str,
        language: str,
        budget: int,
        prefix_ratio: float = 0.75,
        others: list[Snippet] | None = None,
        reserved: list[Snippet] | None = None,
        reserve_tokens: int = 0,
    ) -> PackedContext:
        """`reserved` snippets (definitions from the index) get up to `reserve_tokens` before
        the prefix and suffix are cut; `others` get whatever those leave."""
        first, first_tokens = self._snippets(reserved or [], reserve_tokens)
        budget -= first_tokens
        suffix_budget = int(budget * (1 - prefix_ratio))
        suffix, suffix_tokens = self._take_after(text, cursor.offset, suffix_budget)
        prefix, prefix_tokens = self._take_before(text, cursor.offset, budget - suffix_tokens)
        used = prefix_tokens + suffix_tokens
        snippets, snippet_tokens = self._snippets(others or [], budget - used)
        return PackedContext(
            prefix=clean_surrogates(prefix),
            suffix=clean_surrogates(suffix),
            path=path,
            language=language,
            line_prefix=clean_surrogates(text[cursor.line_start : cursor.offset]),
            line_suffix=clean_surrogates(text[cursor.offset : cursor.line_end]),
            snippets=first + snippets,
            tokens=used + snippet_tokens + first_tokens,
            first_line=cursor.line - prefix.count("\n"),
        )

    def _take_before(self, text: str, offset: int, budget: int) -> tuple[str, int]:
        """Whole lines walking up from the cursor; the cursor line's head always goes in."""
        start = _line_start(text, offset)
        used = self.counter.count(text[start:offset])
        while start > 0:
            previous = _line_start(text, start - 1)
            cost = self.count_line(text[previous:start])
            if used + cost > budget:
                break
            used += cost
            start = previous
        return text[start:offset], used

    def _take_after(self, text: str, offset: int, budget: int) -> tuple[str, int]:
        """The rest of the cursor line, then whole lines down, within the budget."""
        end = _next_line_start(text, offset)
        used = self.counter.count(text[offset:end])
        if used > budget:
            return "", 0
        while end < len(text):
            following = _next_line_start(text, end)
            cost = self.count_line(text[end:following])
            if used + cost > budget:
                break
            used += cost
            end = following
        return text[offset:end], used

    def _snippets(self, others: list[Snippet], budget: int) -> tuple[list[Snippet], int]:
        """The head of each other document, while the budget lasts."""
        chosen: list[Snippet] = []
        used = 0
        for other in others:
            lines = other.text[:SNIPPET_CHARS].splitlines(keepends=True)[:SNIPPET_LINES]
            taken: list[str] = []
            for line in lines:
                cost = self.count_line(line)
                if used + cost > budget:
                    break
                used += cost
                taken.append(line)
            if taken:
                chosen.append(Snippet(other.path, clean_surrogates("".join(taken))))
            if len(taken) < len(lines):
                break
        return chosen, used


def _line_start(text: str, offset: int) -> int:
    """Start of the LSP line holding `offset` (a `\\r\\n` pair counts as one break)."""
    newline = text.rfind("\n", 0, offset)
    carriage = text.rfind("\r", newline + 1, offset)  # bounded: no scan of the whole prefix
    if carriage > newline and carriage + 1 < len(text) and text[carriage + 1] == "\n":
        carriage = -1 if carriage + 1 >= offset else carriage
    return max(newline, carriage) + 1


def _next_line_start(text: str, offset: int) -> int:
    """Start of the line after the one holding `offset`, or the end of the text."""
    newline = text.find("\n", offset)
    carriage = text.find("\r", offset, len(text) if newline < 0 else newline)
    if carriage < 0 or (newline >= 0 and newline < carriage):
        return len(text) if newline < 0 else newline + 1
    if carriage + 1 < len(text) and text[carriage + 1] == "\n":
        return carriage + 2
    return carriage + 1
