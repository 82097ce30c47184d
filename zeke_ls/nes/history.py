"""What the user changed recently, per document, as small line hunks.

Every `didChange` is diffed against the previous text of the document (one snapshot per open
document) into a line hunk. Keystrokes are coalesced: a change that touches or borders the
last hunk of the same document within `COALESCE_S` extends that hunk, so typing a word is one
edit, not five. Hunks are bounded in count and age. Cursor positions are remembered as they
become known (where an edit ended, where a request asked), since LSP sends no cursor moves.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

COALESCE_S = 2.0
"""Changes this close in time, on adjacent lines, are one edit."""
MAX_EDITS = 32
MAX_AGE_S = 600.0
MAX_CURSORS = 16
MAX_SNAPSHOT_CHARS = 2_000_000
"""Documents larger than this are not tracked (no snapshot kept)."""


@dataclass
class Edit:
    """Lines [start, start + len(old)) of the text before became `new` (starting at `start`)."""

    uri: str
    path: str
    start: int
    old: list[str]
    new: list[str]
    at: float
    """Time of the last keystroke in this edit (monotonic seconds)."""

    @property
    def new_end(self) -> int:
        return self.start + len(self.new)

    def unified_diff(self, context: list[str] | None = None) -> str:
        """The edit as a unified diff hunk of `path` (no context lines unless given)."""
        body = [f"-{line}" for line in self.old] + [f"+{line}" for line in self.new]
        header = f"@@ -{self.start + 1},{len(self.old)} +{self.start + 1},{len(self.new)} @@"
        return "\n".join([f"--- a/{self.path}", f"+++ b/{self.path}", header, *body])


@dataclass(frozen=True)
class CursorMove:
    uri: str
    line: int
    character: int
    at: float


@dataclass
class EditHistory:
    """Recent edits of every open document, newest last."""

    clock: Callable[[], float] = time.monotonic
    edits: deque[Edit] = field(default_factory=lambda: deque(maxlen=MAX_EDITS))
    cursors: deque[CursorMove] = field(default_factory=lambda: deque(maxlen=MAX_CURSORS))
    snapshots: dict[str, list[str]] = field(default_factory=dict)

    def opened(self, uri: str, text: str) -> None:
        if len(text) <= MAX_SNAPSHOT_CHARS:
            self.snapshots[uri] = split_lines(text)

    def closed(self, uri: str) -> None:
        self.snapshots.pop(uri, None)
        self.edits = deque((e for e in self.edits if e.uri != uri), maxlen=MAX_EDITS)

    def changed(self, uri: str, path: str, text: str) -> Edit | None:
        """Record the document's new full text; returns the (possibly coalesced) edit."""
        before = self.snapshots.get(uri)
        if before is None or len(text) > MAX_SNAPSHOT_CHARS:
            self.opened(uri, text)
            return None
        after = split_lines(text)
        self.snapshots[uri] = after
        hunk = line_hunk(before, after)
        if hunk is None:
            return None
        start, old, new = hunk
        now = self.clock()
        last = self.edits[-1] if self.edits else None
        if (
            last is not None
            and last.uri == uri
            and now - last.at <= COALESCE_S
            and start <= last.new_end
            and start + len(old) >= last.start
        ):
            merged = compose(last, before, start, old, new, after)
            self.edits.pop()
            if merged is None:
                return None
            merged.at = now
            self.edits.append(merged)
            return merged
        edit = Edit(uri, path, start, old, new, now)
        self.edits.append(edit)
        return edit

    def moved(self, uri: str, line: int, character: int) -> None:
        last = self.cursors[-1] if self.cursors else None
        if last is None or (last.uri, last.line, last.character) != (uri, line, character):
            self.cursors.append(CursorMove(uri, line, character, self.clock()))

    def recent(self, limit: int, max_age_s: float = MAX_AGE_S) -> list[Edit]:
        """The newest `limit` edits younger than `max_age_s`, oldest first."""
        now = self.clock()
        fresh = [e for e in self.edits if now - e.at <= max_age_s]
        return fresh[-limit:] if limit > 0 else []

    def last_edit(self, uri: str) -> Edit | None:
        for edit in reversed(self.edits):
            if edit.uri == uri:
                return edit
        return None


def split_lines(text: str) -> list[str]:
    """Lines without their endings; a final newline does not add an empty line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if "\r" not in text:
        return lines
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def line_hunk(before: list[str], after: list[str]) -> tuple[int, list[str], list[str]] | None:
    """The one block of lines that differs: (start, old lines, new lines), or None if equal."""
    if before == after:
        return None
    head = 0
    limit = min(len(before), len(after))
    while head < limit and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < limit - head and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    return head, before[head : len(before) - tail], after[head : len(after) - tail]


def compose(
    last: Edit, middle: list[str], start: int, old: list[str], new: list[str], after: list[str]
) -> Edit | None:
    """`last` followed by (start, old -> new) on the text `middle` between them, as one edit.
    None when the second change undid the first."""
    lo = min(last.start, start)
    hi = max(last.new_end, start + len(old))  # the union, in `middle`'s line numbers
    original = middle[lo : last.start] + last.old + middle[last.new_end : hi]
    shift = len(new) - len(old)
    current = after[lo : hi + shift]
    hunk = line_hunk(original, current)
    if hunk is None:
        return None
    offset, old_lines, new_lines = hunk
    return Edit(last.uri, last.path, lo + offset, old_lines, new_lines, last.at)
