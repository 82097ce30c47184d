"""From a model's rewritten excerpt to zero or one minimal edit, and when to stay quiet.

The answer is diffed line by line against the excerpt the model was shown. Changes a model
adds by habit are dropped before anything is shown: whitespace-only changes (re-indented or
dropped blank lines), lines it did not echo at the very start or end of the excerpt, a whole
excerpt shifted by one indent, and lines put back as they were before the user's last edit
(stale text). What remains is grouped into nearby changes; the group most related to the
recent edits (then nearest the cursor) is the suggestion. It is placed in the document as it
is *now* with the patch matcher, so text typed since the request shifts it or, when the user
typed inside it, refuses it. Finally it is trimmed to the smallest character range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zeke_ls.nes.answer import Op, changes, restore_blank_lines, unrelated, unshift_indent
from zeke_ls.nes.history import Edit, split_lines
from zeke_ls.nes.prompt import Excerpt
from zeke_ls.patch.match import Match, collapse, find

MERGE_GAP = 6
"""Changes at most this many unchanged lines apart are one edit (like a diff hunk's context)."""
CONTEXT = 2
"""Unchanged lines on each side used to place the edit in the current document."""
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Suggestion:
    """Replace document text from (line, index) to (end_line, end_index) by `text`; python
    string indexes in lines of the current document. `cursor_*` is where the cursor goes."""

    line: int
    index: int
    end_line: int
    end_index: int
    text: str
    cursor_line: int
    cursor_index: int


@dataclass(frozen=True)
class Quiet:
    reason: str
    """empty | unchanged | whitespace | undo | outside | conflict"""


def suggest(
    excerpt: Excerpt,
    rewritten: str | None,
    sent_doc: list[str],
    current_text: str,
    recent: list[Edit],
    window: tuple[int, int] | None = None,
) -> Suggestion | Quiet:
    """The one edit to show for `rewritten`, or why none. `sent_doc` is the document's lines
    when the request was made, `current_text` its text now, `recent` the edit history (last
    is newest), `window` the document lines an edit may touch (default: the excerpt)."""
    if rewritten is None or not rewritten.strip():
        return Quiet("empty")
    answer = unshift_indent(excerpt.lines, rewritten.removesuffix("\n").split("\n"))
    answer = restore_blank_lines(excerpt.lines, answer)
    if unrelated(excerpt.lines, answer):
        return Quiet("unrelated")
    last = _last_of(recent, excerpt)
    if last is not None and _looks_like_typo(last, sent_doc):
        last = None  # putting back a word the user mistyped is the fix, not an undo
    verdicts = [(op, _verdict(op, excerpt, last)) for op in changes(excerpt.lines, answer)]
    ops = [op for op, verdict in verdicts if verdict == "keep"]
    if not ops:
        dropped = {verdict for _, verdict in verdicts}
        return Quiet(next((r for r in ("undo", "whitespace") if r in dropped), "unchanged"))
    groups = _groups(ops)
    group = _with_related(_choose(groups, excerpt, recent), groups, excerpt)
    start, end, new = _region(group, excerpt)
    if last is not None and _undoes(sent_doc, start, end, new, last):
        return Quiet("undo")
    lo, hi = window or (excerpt.start, excerpt.end)
    if start < lo or end > hi:
        return Quiet("outside")
    current = split_lines(current_text)
    placed = _place(sent_doc, current, start, end)
    if placed is None:
        return Quiet("conflict")
    return _minimal(current_text, placed[0], placed[1], new)


# --- quiet rules per change -----------------------------------------------------------------


def _verdict(op: Op, excerpt: Excerpt, last: Edit | None) -> str:
    """keep | whitespace (dropped or added blank lines included) | undo (stale text)."""
    old = excerpt.lines[op.i1 : op.i2]
    if "".join("".join(old).split()) == "".join("".join(op.new).split()):
        return "whitespace"
    return "undo" if last is not None and _stale(op, old, excerpt, last) else "keep"


def _stale(op: Op, old: list[str], excerpt: Excerpt, last: Edit) -> bool:
    """The change puts back (part of) what the user's last edit replaced. Compared without
    blank lines and whitespace, which the same answer may have squeezed around it."""
    start, end = excerpt.start + op.i1, excerpt.start + op.i2
    if start < last.start - 1 or end > last.new_end + 1:
        return False
    old_n, new_n = _squeeze(old), _squeeze(op.new)
    if not old_n and not new_n:
        return False
    return _sublist(old_n, _squeeze(last.new)) and _sublist(new_n, _squeeze(last.old))


def _squeeze(lines: list[str]) -> list[str]:
    return [collapse(x) for x in lines if x.strip()]


def _looks_like_typo(last: Edit, doc: list[str]) -> bool:
    """The last edit glued one to three characters onto a word, making a word found nowhere
    else in the document, while the word it changed is used elsewhere (`from` -> `imfrom`).
    A rename replaces the word instead; an extension used elsewhere is deliberate."""
    if len(last.old) != 1 or len(last.new) != 1:
        return False
    old, new = last.old[0], last.new[0]
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    added, removed = new[head : len(new) - tail], old[head : len(old) - tail]
    if removed or not 1 <= len(added) <= 3 or not added.isalnum():
        return False
    new_word = _word_at(new, head, len(added))
    old_word = _word_at(old, head, 0)
    if not old_word or new_word == added:
        return False  # not glued onto a word
    others = [x for i, x in enumerate(doc) if i != last.start]
    words = _words(others)
    return new_word not in words and old_word in words


def _word_at(line: str, at: int, size: int) -> str:
    for match in _WORD.finditer(line):
        if match.start() <= at and at + size <= match.end():
            return match.group(0)
    return ""


def _sublist(part: list[str], whole: list[str]) -> bool:
    if not part:
        return True
    size = len(part)
    return any(whole[i : i + size] == part for i in range(len(whole) - size + 1))


def _last_of(recent: list[Edit], excerpt: Excerpt) -> Edit | None:
    """The newest edit, if it is in this document (edits elsewhere cannot be undone here)."""
    if not recent or recent[-1].path != excerpt.path:
        return None
    return recent[-1]


def _undoes(doc: list[str], start: int, end: int, new: list[str], last: Edit) -> bool:
    """Applying the edit gives the text as it was before the last edit (compared over the
    lines either of them touches; the rest is the same by construction)."""
    lo, hi = min(start, last.start), max(end, last.new_end)
    after = doc[lo:start] + new + doc[end:hi]
    before_last = doc[lo : last.start] + last.old + doc[last.new_end : hi]
    return [collapse(x) for x in after] == [collapse(x) for x in before_last]


# --- grouping and choosing ------------------------------------------------------------------


def _groups(ops: list[Op]) -> list[list[Op]]:
    groups: list[list[Op]] = [[ops[0]]]
    for op in ops[1:]:
        if op.i1 - groups[-1][-1].i2 <= MERGE_GAP:
            groups[-1].append(op)
        else:
            groups.append([op])
    return groups


def _region(group: list[Op], excerpt: Excerpt) -> tuple[int, int, list[str]]:
    """Document lines [start, end) and their new lines: kept changes, the rest as it was."""
    new: list[str] = []
    at = group[0].i1
    for op in group:
        new += excerpt.lines[at : op.i1] + op.new
        at = op.i2
    return excerpt.start + group[0].i1, excerpt.start + group[-1].i2, new


def _choose(groups: list[list[Op]], excerpt: Excerpt, recent: list[Edit]) -> list[Op]:
    """Most related to the recent edits (words they removed or added), then nearest."""
    removed, added = set(), set()
    for edit in recent[-3:]:
        old_words, new_words = _words(edit.old), _words(edit.new)
        removed |= old_words - new_words
        added |= new_words - old_words
    cursor = excerpt.cursor_line - excerpt.start

    def rank(group: list[Op]) -> tuple[int, int]:
        old = _words([x for op in group for x in excerpt.lines[op.i1 : op.i2]])
        new = _words([x for op in group for x in op.new])
        related = len((old - new) & removed) + len((new - old) & added)
        distance = min(
            abs(cursor - op.i1) if cursor < op.i1 else max(0, cursor - op.i2 + 1) for op in group
        )
        return (-related, distance)

    return min(groups, key=rank)


def _with_related(chosen: list[Op], groups: list[list[Op]], excerpt: Excerpt) -> list[Op]:
    """The chosen group and every other group making the same word change (a rename or a
    signature change at several places is one edit); unrelated changes stay out."""

    def change(group: list[Op]) -> set[str]:
        old = _words([x for op in group for x in excerpt.lines[op.i1 : op.i2]])
        new = _words([x for op in group for x in op.new])
        return {f"-{w}" for w in old - new} | {f"+{w}" for w in new - old}

    wanted = change(chosen)
    merged = [
        op
        for group in groups
        if group is chosen or (wanted and wanted & change(group))
        for op in group
    ]
    return sorted(merged, key=lambda op: op.i1)


def _words(lines: list[str]) -> set[str]:
    return {w for line in lines for w in _WORD.findall(line)}


# --- placing in the current document ---------------------------------------------------------


def _place(sent: list[str], current: list[str], start: int, end: int) -> tuple[int, int] | None:
    """Where sent lines [start, end) are in the current document, or None if they changed."""
    if sent == current[: len(sent)] and len(sent) == len(current):
        return start, end
    lo, hi = max(0, start - CONTEXT), min(len(sent), end + CONTEXT)
    block = sent[lo:hi]
    if not block:
        return None
    found = find(current, block, hint=lo + 1)
    if not isinstance(found, Match):
        return None
    mapping = found.mapping
    inner = mapping[start - lo : end - lo]
    if inner:
        rows = [m for m in inner if m is not None]
        if len(rows) != len(inner) or rows != list(range(rows[0], rows[0] + len(rows))):
            return None
        if [current[m] for m in rows] != sent[start:end]:
            return None  # the user typed inside the lines the edit replaces
        return rows[0], rows[0] + len(rows)
    before = mapping[start - lo - 1] if start > lo else None
    after = mapping[start - lo] if start - lo < len(mapping) else None
    if before is not None and (after is None or after == before + 1):
        return before + 1, before + 1
    if after is not None and before is None and start == lo:
        return after, after
    return None


# --- the minimal edit -----------------------------------------------------------------------


def _minimal(text: str, start: int, end: int, new: list[str]) -> Suggestion | Quiet:
    begin, stop, newline, at_end = _line_offsets(text, start, end)
    old_chunk = text[begin:stop]
    new_chunk = "".join(line + newline for line in new)
    if at_end and not text.endswith("\n") and new_chunk and old_chunk:
        new_chunk = new_chunk[: -len(newline)]
    if begin == len(text) and text and not text.endswith("\n") and new_chunk:
        new_chunk = newline + new_chunk.removesuffix(newline)  # appending after the last line
    head = _common_prefix(old_chunk, new_chunk)
    tail = _common_suffix(old_chunk[head:], new_chunk[head:])
    replaced = old_chunk[head : len(old_chunk) - tail]
    inserted = new_chunk[head : len(new_chunk) - tail]
    if not replaced and not inserted:
        return Quiet("unchanged")
    if "".join(replaced.split()) == "".join(inserted.split()):
        return Quiet("whitespace")
    a, b = begin + head, begin + len(old_chunk) - tail
    if not replaced and _repeats_neighbour(text, a, inserted):
        return Quiet("duplicate")
    line, index = _position(text, a)
    end_line, end_index = _position(text, b)
    if "\n" in inserted:
        cursor = (line + inserted.count("\n"), len(inserted) - inserted.rfind("\n") - 1)
    else:
        cursor = (line, index + len(inserted))
    return Suggestion(line, index, end_line, end_index, inserted, *cursor)


def _line_offsets(text: str, start: int, end: int) -> tuple[int, int, str, bool]:
    """Offsets of the starts of lines `start` and `end`, the line ending, and whether `end`
    is past the last line."""
    parts = text.split("\n", end)
    begin = sum(len(p) + 1 for p in parts[:start]) if start < len(parts) else len(text)
    at_end = len(parts) <= end or (len(parts) == end + 1 and parts[end] == "")
    stop = min(len(text), sum(len(p) + 1 for p in parts[:end]))
    first = text.find("\n")
    newline = "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"
    return min(begin, len(text)), stop, newline, at_end


def _repeats_neighbour(text: str, at: int, inserted: str) -> bool:
    """An insertion that copies the text right after or before it (ignoring whitespace): the
    classic fill-in-the-middle echo of the suffix, never a useful edit."""
    squashed = "".join(inserted.split())
    if len(squashed) < 8 and "\n" not in inserted:
        return False  # a few characters repeat by chance (`/ ` next to `//`)
    reach = 2 * len(inserted) + 80
    after = "".join(text[at : at + reach].split())
    before = "".join(text[max(0, at - reach) : at].split())
    return after.startswith(squashed) or before.endswith(squashed)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        n += 1
    return n


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    return line, offset - (text.rfind("\n", 0, offset) + 1)
