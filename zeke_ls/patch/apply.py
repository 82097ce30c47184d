"""Apply hunks to a text, each one placed by the matcher, all or nothing per hunk.

Every hunk is matched against the *original* text (so one hunk's result can never make the
next one land somewhere else), overlapping placements are refused, and the edits are spliced
in at the end. Untouched lines keep their bytes: line endings (CRLF, mixed), the final
newline or its absence, a BOM. Added lines take the file's dominant line ending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from zeke_ls.patch.match import Match, NoMatch, find, reindent
from zeke_ls.patch.parse import Hunk

Status = Literal["applied", "refused"]


@dataclass
class HunkOutcome:
    """What happened to one hunk: where it went (1-based line) or why it was refused."""

    id: str
    status: Status
    level: str | None = None
    line: int | None = None
    reason: str | None = None
    candidates: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"id": self.id, "status": self.status}
        if self.level:
            data["level"] = self.level
        if self.line is not None:
            data["line"] = self.line
        if self.reason:
            data["reason"] = self.reason
        if self.candidates:
            data["candidates"] = self.candidates
        return data


@dataclass
class FileResult:
    text: str
    outcomes: list[HunkOutcome]

    @property
    def applied(self) -> list[str]:
        return [o.id for o in self.outcomes if o.status == "applied"]


@dataclass
class _Lines:
    bom: str
    contents: list[str]
    endings: list[str]
    eol: str
    final_newline: bool


def split_lines(text: str) -> _Lines:
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    raw = body.splitlines(keepends=True) if body else []
    contents, endings = [], []
    for line in raw:
        content = line.rstrip("\r\n")
        contents.append(content)
        endings.append(line[len(content) :])
    crlf = sum(1 for e in endings if e == "\r\n")
    eol = "\r\n" if crlf * 2 > len(endings) else "\n"
    return _Lines(bom, contents, endings, eol, bool(endings) and endings[-1] != "")


def apply_hunks(text: str, hunks: list[tuple[str, Hunk]], threshold: float = 0.9) -> FileResult:
    """Apply what can be placed with confidence; report the rest with reasons."""
    lines = split_lines(text)
    outcomes: list[HunkOutcome] = []
    placed: list[tuple[Match, list[tuple[str, str | None]]]] = []
    after = 0
    for hunk_id, hunk in hunks:
        outcome, replacement = _place(lines, hunk, hunk_id, after, threshold, placed)
        outcomes.append(outcome)
        if replacement is not None:
            placed.append(replacement)
            after = replacement[0].end
    return FileResult(_render(lines, placed), outcomes)


def _place(
    lines: _Lines,
    hunk: Hunk,
    hunk_id: str,
    after: int,
    threshold: float,
    placed: list[tuple[Match, list[tuple[str, str | None]]]],
) -> tuple[HunkOutcome, tuple[Match, list[tuple[str, str | None]]] | None]:
    start = after if hunk.follows or placed else 0
    found = find(lines.contents, hunk.old, after=start, threshold=threshold, hint=hunk.start)
    if isinstance(found, NoMatch):
        return HunkOutcome(
            hunk_id, "refused", reason=found.reason, candidates=found.candidates
        ), None
    if any(
        (found.start < m.end and m.start < found.end) or found.start == m.start for m, _ in placed
    ):
        return HunkOutcome(
            hunk_id, "refused", reason="overlaps an earlier hunk", candidates=[found.start + 1]
        ), None
    region = _transplant(lines, hunk, found)
    if isinstance(region, str):
        return HunkOutcome(hunk_id, "refused", reason=region, candidates=[found.start + 1]), None
    outcome = HunkOutcome(hunk_id, "applied", level=found.level, line=found.start + 1)
    return outcome, (found, region)


def _transplant(lines: _Lines, hunk: Hunk, match: Match) -> list[tuple[str, str | None]] | str:
    """The new lines for the matched region: file lines kept verbatim, removals dropped,
    additions inserted where the hunk puts them (re-indented like the block)."""
    added = any(op == "+" and text.strip() for op, text in hunk.ops)
    if match.level != "exact" and match.indent is None and added:
        return "the hunk's indentation differs from the document's inconsistently"
    positions = _positions(hunk, match)
    if match.level in ("blanks", "fuzzy") and _change_spans_unmentioned(hunk, positions):
        return (
            f"lines near line {match.start + 1} that the hunk does not mention sit inside "
            "the lines it replaces"
        )
    inserts: dict[int, list[str]] = {}
    removed: set[int] = set()
    for index, (op, text) in enumerate(hunk.ops):
        target = positions[index]
        if op == "+":
            where = _insertion_point(positions, index, match, lines.contents, hunk.ops)
            if where is None:
                return f"cannot tell where added lines go near line {match.start + 1}: the hunk skips lines there"
            inserts.setdefault(where, []).append(reindent(text, match.indent))
        elif target is None and op == "-":
            return f"line to remove not found near line {match.start + 1}: {text.strip()!r}"
        elif op == "-" and target is not None:
            removed.add(target)
    region: list[tuple[str, str | None]] = []
    for index in range(match.start, match.end + 1):
        region += [(text, None) for text in inserts.get(index, [])]
        if index < match.end and index not in removed:
            region.append((lines.contents[index], lines.endings[index]))
    return region


def _change_spans_unmentioned(hunk: Hunk, positions: list[int | None]) -> bool:
    """A run of removed/added lines whose removed lines are not contiguous in the file: the
    lines between (blank lines the model dropped) would land somewhere inside the
    replacement, a guess."""
    run: list[int] = []
    for (op, _), position in [*zip(hunk.ops, positions, strict=True), ((" ", ""), None)]:
        if op == "-" and position is not None:
            run.append(position)
        elif op == " ":
            if run and max(run) - min(run) + 1 != len(run):
                return True
            run = []
    return False


def _positions(hunk: Hunk, match: Match) -> list[int | None]:
    """The file line of every context/removed op (None for added or unmatched ones)."""
    positions: list[int | None] = []
    old_index = 0
    for op, _ in hunk.ops:
        if op == "+":
            positions.append(None)
            continue
        positions.append(match.mapping[old_index] if old_index < len(match.mapping) else None)
        old_index += 1
    return positions


def _insertion_point(
    positions: list[int | None],
    index: int,
    match: Match,
    contents: list[str],
    ops: Sequence[tuple[str, str]],
) -> int | None:
    """Right after the previous matched line, or right before the next one; None when file
    lines the hunk does not mention sit between the two (the place would be a guess), unless
    they are only blank lines that the added block's own blank edges place (below)."""
    before = [p for p in positions[:index] if p is not None]
    after = [p for op_index, p in enumerate(positions) if op_index > index and p is not None]
    anchor = before[-1] if before else (after[0] if after else None)
    if anchor is not None and anchor in match.guessed:
        return None  # the line the insertion would follow (or precede) was placed by a guess
    if before and after and after[0] != before[-1] + 1:
        return _across_blank_gap(before[-1], after[0], index, contents, ops)
    if before:
        return before[-1] + 1
    return after[0] if after else match.start


def _across_blank_gap(
    low: int, high: int, index: int, contents: list[str], ops: Sequence[tuple[str, str]]
) -> int | None:
    """The model dropped the blank lines between two anchors. Added lines that replace
    removed ones go where those were (a diff writes a replacement as `-` lines then `+`
    lines). A pure insertion there is a guess (measured: placing it by its own blank edges
    misapplies), so None."""
    if any(contents[g].strip() for g in range(low + 1, high)):
        return None
    first = index
    while first > 0 and ops[first - 1][0] == "+":
        first -= 1
    last = index
    while last + 1 < len(ops) and ops[last + 1][0] == "+":
        last += 1
    if first > 0 and ops[first - 1][0] == "-":
        return low + 1
    if last + 1 < len(ops) and ops[last + 1][0] == "-":
        return high
    return None


def _render(lines: _Lines, placed: list[tuple[Match, list[tuple[str, str | None]]]]) -> str:
    out: list[tuple[str, str | None]] = list(zip(lines.contents, lines.endings, strict=True))
    for match, region in sorted(placed, key=lambda p: p[0].start, reverse=True):
        out[match.start : match.end] = region
    if not out:
        return lines.bom
    pieces = [text + (ending or lines.eol) for text, ending in out[:-1]]
    last_text, last_end = out[-1]
    keep_final = lines.final_newline or not lines.contents
    return lines.bom + "".join(pieces) + last_text + ((last_end or lines.eol) if keep_final else "")
