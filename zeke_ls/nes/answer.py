"""A model's rewrite read against the excerpt it was shown: the changed lines, with what
models add by habit taken out first. A whole answer shifted by one indent is shifted back;
blank lines it squeezed out between unchanged lines, or at the edges of a change, are put back;
lines it did not echo at the very start or end of the excerpt are not deletions.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from zeke_ls.patch.match import reindent


@dataclass(frozen=True)
class Op:
    """Excerpt lines [i1, i2) become `new`."""

    i1: int
    i2: int
    new: list[str]


def changes(old: list[str], new: list[str]) -> list[Op]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    ops = [
        Op(i1, i2, new[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]
    # Lines missing at the very start or end were not echoed (a truncated or late-starting
    # answer), which is not the same as deleting them.
    if ops and ops[0].i1 == 0:
        ops[0] = _trim_unechoed(ops[0], old, head=True)
    if ops and ops[-1].i2 == len(old):
        ops[-1] = _trim_unechoed(ops[-1], old, head=False)
    if _squeezed(old, new):
        ops = [_keep_edge_blanks(op, old) for op in ops]
    return [op for op in ops if op.i1 < op.i2 or op.new]


def _squeezed(old: list[str], new: list[str]) -> bool:
    """The answer dropped several blank lines: a model squeezing them, not an edit."""
    return sum(1 for x in old if not x.strip()) - sum(1 for x in new if not x.strip()) >= 2


def _keep_edge_blanks(op: Op, old: list[str]) -> Op:
    """Blank lines at the edges of a change that the answer squeezed out stay."""
    i1, i2 = op.i1, op.i2
    while i1 < i2 and not old[i1].strip() and (not op.new or op.new[0].strip()):
        i1 += 1
    while i2 > i1 and not old[i2 - 1].strip() and (not op.new or op.new[-1].strip()):
        i2 -= 1
    return Op(i1, i2, op.new)


def _trim_unechoed(op: Op, old: list[str], head: bool) -> Op:
    """Shrink an edge change to the old lines its new lines resemble; a change with no new
    lines at the edge was simply not echoed."""
    if not op.new:
        return Op(op.i1, op.i1, [])
    if op.i2 - op.i1 <= len(op.new):
        return op
    similar = []
    for line in op.new:
        score, best = max(
            (difflib.SequenceMatcher(None, old[i], line).ratio(), i) for i in range(op.i1, op.i2)
        )
        if score >= 0.6:
            similar.append(best)
    if not similar:
        return op
    return Op(min(similar), op.i2, op.new) if head else Op(op.i1, max(similar) + 1, op.new)


def unshift_indent(old: list[str], new: list[str]) -> list[str]:
    """Undo one indent shift of the whole answer (a re-indented copy of the excerpt)."""
    pairs = _stripped_pairs(old, new)
    shifted = [(o, n) for o, n in pairs if o != n]
    # Every echoed line shifted alike, and most of the excerpt echoed: not a deliberate re-indent.
    if (
        len(shifted) < 3
        or len(shifted) < len(pairs)
        or len(shifted) < 0.5 * sum(1 for line in old if line.strip())
    ):
        return new
    deltas = {_delta(n, o) for n, o in ((n, o) for o, n in shifted)}
    if len(deltas) != 1 or None in deltas:
        return new
    delta = deltas.pop()
    return [reindent(line, delta) for line in new]


def restore_blank_lines(old: list[str], new: list[str]) -> list[str]:
    """Put back blank lines the answer dropped between lines it left unchanged (models
    squeeze blank lines); only when it dropped several, so a real blank-line edit stays."""
    if not _squeezed(old, new):
        return new
    old_rows = [i for i, x in enumerate(old) if x.strip()]
    new_rows = [j for j, x in enumerate(new) if x.strip()]
    matcher = difflib.SequenceMatcher(
        None, [old[i] for i in old_rows], [new[j] for j in new_rows], autojunk=False
    )
    insert_after: dict[int, list[str]] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size - 1):
            a, b = old_rows[block.a + k], old_rows[block.a + k + 1]
            x, y = new_rows[block.b + k], new_rows[block.b + k + 1]
            if b - a > 1 and y - x == 1:
                insert_after[x] = old[a + 1 : b]
    restored: list[str] = []
    for j, line in enumerate(new):
        restored.append(line)
        restored += insert_after.get(j, [])
    return restored


def unrelated(old: list[str], new: list[str]) -> bool:
    """An answer that is not a rewrite of the excerpt at all (another file, a chat reply)."""
    if len(old) < 3:
        return False
    return difflib.SequenceMatcher(None, old, new, autojunk=False).ratio() < 0.3


def _stripped_pairs(old: list[str], new: list[str]) -> list[tuple[str, str]]:
    matcher = difflib.SequenceMatcher(
        None, [x.strip() for x in old], [x.strip() for x in new], autojunk=False
    )
    return [
        (old[b.a + k], new[b.b + k])
        for b in matcher.get_matching_blocks()
        for k in range(b.size)
        if old[b.a + k].strip()
    ]


def _lead(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _delta(answer_line: str, excerpt_line: str) -> tuple[str, str] | None:
    """The indent change that turns the answer line back into the excerpt line."""
    a, e = _lead(answer_line), _lead(excerpt_line)
    if e.startswith(a):
        return ("add", e[len(a) :])
    if a.startswith(e):
        return ("remove", a[len(e) :])
    return None
