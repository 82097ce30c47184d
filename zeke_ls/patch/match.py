"""Find where a hunk's old lines sit in the current text, or say precisely why not.

Levels, tried in order, stop at the first that finds anything: exact, whitespace-tolerant
(trailing and inner whitespace, tabs), indentation-relative (the whole block shifted by one
consistent indent), blank-line-insensitive (every non-blank line in order, with blank lines
dropped or added between them: models collapse blank context lines), then fuzzy (similarity
over windows anchored on the hunk's rarest lines).
A level that finds two places is ambiguous and the hunk is refused: guessing between two
places is how AI edits land in the wrong spot. Fuzzy must clear the threshold *and* beat the
best non-overlapping runner-up by `margin`.
"""

from __future__ import annotations

import difflib
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

Indent = tuple[str, str]
"""(direction, prefix): "add" means the file is indented `prefix` deeper than the hunk."""


@dataclass
class Match:
    """The hunk covers file lines [start, end); `mapping[i]` is old line i's file index."""

    start: int
    end: int
    level: str
    score: float
    mapping: list[int | None]
    indent: Indent | None = None
    guessed: frozenset[int] = frozenset()
    """File lines mapped by a guess (blank runs of unequal length): never an anchor for
    added lines."""


@dataclass
class NoMatch:
    """Why the hunk cannot be placed, with 1-based lines of the nearest candidates."""

    reason: str
    candidates: list[int] = field(default_factory=list)


def collapse(line: str) -> str:
    return " ".join(line.split())


def _ws(line: str) -> str:
    body = line.lstrip()
    return line[: len(line) - len(body)].expandtabs(4) + collapse(body)


LEVELS: list[tuple[str, Callable[[str], str]]] = [
    ("exact", lambda s: s),
    ("whitespace", _ws),
    ("indent", collapse),
]


def find(
    file_lines: list[str],
    old: list[str],
    *,
    after: int = 0,
    threshold: float = 0.9,
    margin: float = 0.08,
    hint: int | None = None,
) -> Match | NoMatch:
    """Place `old` in `file_lines`; `after` is where the previous hunk ended (diffs are ordered),
    `hint` the diff's own 1-based line number, used only to detect ambiguity, never to choose."""
    if not old:
        if not file_lines:
            return Match(0, 0, "exact", 1.0, [])
        return NoMatch("the hunk has no context or removed lines to anchor it")
    for level, norm in LEVELS:
        starts = _contiguous([norm(x) for x in file_lines], [norm(x) for x in old])
        if level == "indent":
            starts = [s for s in starts if _indent_delta(old, file_lines[s : s + len(old)])]
        if starts:
            found = _pick(starts, after, old, file_lines, level)
            return _check_variants(found, file_lines, old, hint) if level != "indent" else found
    blanks = _blank_insensitive(file_lines, old, after)
    if blanks is not None:
        return blanks
    return _fuzzy(file_lines, old, after, threshold, margin)


def _blank_insensitive(file_lines: list[str], old: list[str], after: int) -> Match | NoMatch | None:
    """Every non-blank hunk line matches a non-blank file line, in order and contiguous once
    blank lines are ignored on both sides; None when that finds nothing (try fuzzy)."""
    fidx = [i for i, line in enumerate(file_lines) if line.strip()]
    oidx = [i for i, line in enumerate(old) if line.strip()]
    if not oidx or (len(oidx) == len(old) and len(fidx) == len(file_lines)):
        return None
    fnorm, onorm = [collapse(file_lines[i]) for i in fidx], [collapse(old[i]) for i in oidx]
    starts = _contiguous(fnorm, onorm)
    if not starts:
        return None
    later = [s for s in starts if fidx[s] >= after]
    if len(starts) > 1 and len(later) != 1:
        lines = [fidx[s] + 1 for s in starts]
        return NoMatch(
            f"ambiguous: the hunk matches {len(starts)} places (blank lines aside)", lines[:5]
        )
    first = later[0] if len(starts) > 1 else starts[0]
    mapping: list[int | None] = [None] * len(old)
    for k, index in enumerate(oidx):
        mapping[index] = fidx[first + k]
    guessed = _map_blank_runs(mapping, old, file_lines)
    pairs = [(old[i], file_lines[m]) for i, m in enumerate(mapping) if m is not None]
    indent = _indent_delta([p[0] for p in pairs], [p[1] for p in pairs])
    start = min(m for m in mapping if m is not None)
    end = max(m for m in mapping if m is not None) + 1
    return Match(start, end, "blanks", 1.0, mapping, indent, frozenset(guessed))


def _map_blank_runs(mapping: list[int | None], old: list[str], file_lines: list[str]) -> set[int]:
    """Blank hunk lines between two mapped lines map onto the first blank file lines there
    (as a line diff would align them), so that what the hunk puts after them lands after
    them; leading and trailing blank runs map onto blank lines just outside the match.
    Returns the file lines mapped from runs of a different length (guesses)."""
    guessed: set[int] = set()
    known = [i for i, m in enumerate(mapping) if m is not None]
    for left, right in itertools.pairwise(known):
        low, high = mapping[left], mapping[right]
        assert low is not None and high is not None
        gap = [g for g in range(low + 1, high) if not file_lines[g].strip()]
        if len(gap) == high - low - 1:  # only blank lines in between
            for i, g in zip(range(left + 1, right), gap, strict=False):
                mapping[i] = g
                if right - left - 1 != len(gap):
                    guessed.add(g)
    head, tail = known[0], len(old) - 1 - known[-1]
    top, bottom = mapping[known[0]], mapping[known[-1]]
    assert top is not None and bottom is not None
    if (
        head
        and top - head >= 0
        and all(not file_lines[top - k].strip() for k in range(1, head + 1))
    ):
        for k in range(head):
            mapping[k] = top - head + k
    if (
        tail
        and bottom + tail < len(file_lines)
        and all(not file_lines[bottom + k].strip() for k in range(1, tail + 1))
    ):
        for k in range(tail):
            mapping[known[-1] + 1 + k] = bottom + 1 + k
    return guessed


def _check_variants(
    found: Match | NoMatch, file_lines: list[str], old: list[str], hint: int | None
) -> Match | NoMatch:
    """A strict match is refused when the same lines at another indentation sit where the
    diff's line numbers point: a re-indented snippet can match the wrong block exactly."""
    if isinstance(found, NoMatch) or hint is None:
        return found
    variants = _contiguous([collapse(x) for x in file_lines], [collapse(x) for x in old])
    if len(variants) < 2:
        return found
    nearest = min(variants, key=lambda s: abs(s + 1 - hint))
    if nearest == found.start:
        return found
    return NoMatch(
        f"ambiguous: matches at line {found.start + 1}, but the same lines indented differently "
        f"sit at line {nearest + 1}, where the diff's line numbers point",
        [found.start + 1, nearest + 1],
    )


def _contiguous(haystack: list[str], needle: list[str]) -> list[int]:
    first, size = needle[0], len(needle)
    return [
        p
        for p in range(len(haystack) - size + 1)
        if haystack[p] == first and haystack[p : p + size] == needle
    ]


def _pick(
    starts: list[int], after: int, old: list[str], file_lines: list[str], level: str
) -> Match | NoMatch:
    later = [s for s in starts if s >= after]
    if len(starts) > 1 and len(later) != 1:
        lines = [s + 1 for s in starts]
        return NoMatch(f"ambiguous: the hunk matches {len(starts)} places ({level})", lines[:5])
    start = later[0] if len(starts) > 1 else starts[0]
    size = len(old)
    indent = _indent_delta(old, file_lines[start : start + size]) if level != "exact" else None
    return Match(start, start + size, level, 1.0, list(range(start, start + size)), indent)


def _lead(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _indent_delta(old: list[str], found: list[str]) -> Indent | None:
    """The one indent shift that turns every non-blank hunk line into its file line."""
    pairs = [
        (_lead(o), _lead(f)) for o, f in zip(old, found, strict=False) if o.strip() and f.strip()
    ]
    if not pairs:
        return ("add", "")
    deltas = set()
    for o, f in pairs:
        if f.startswith(o):
            deltas.add(("add", f[len(o) :]))
        elif o.startswith(f):
            deltas.add(("remove", o[len(f) :]))
        else:
            return None
    if len(deltas) == 1:
        return deltas.pop()
    return ("add", "") if {d[1] for d in deltas} == {""} else None


def reindent(line: str, indent: Indent | None) -> str:
    """Shift an added line by the same indent as the block it was matched in."""
    if indent is None:
        return line
    if not line.strip():
        return ""  # a blank line of a re-indented block carries no indentation

    direction, prefix = indent
    if direction == "add":
        return prefix + line
    return line[len(prefix) :] if line.startswith(prefix) else line.lstrip()


# --- fuzzy ----------------------------------------------------------------------------------


MAX_ANCHORS = 200
"""More candidate places than this: refused (the hunk is not distinctive enough)."""
CHAR_SCORED = 40
"""Windows scored character by character, the best by line similarity (bounds the cost)."""


def _fuzzy(
    file_lines: list[str], old: list[str], after: int, threshold: float, margin: float
) -> Match | NoMatch:
    fnorm = [collapse(x) for x in file_lines]
    onorm = [collapse(x) for x in old]
    starts = _anchor_starts(fnorm, onorm)
    if not starts:
        return NoMatch("no line of the hunk occurs in the document")
    if len(starts) > MAX_ANCHORS:
        return NoMatch(f"ambiguous: the hunk's lines occur in {len(starts)} places")
    by_lines = _line_scores(fnorm, onorm, starts)
    target = "\n".join(onorm)
    best_windows = sorted(by_lines, key=lambda w: -by_lines[w])[:CHAR_SCORED]
    scored = {w: _ratio(target, "\n".join(fnorm[w[0] : w[0] + w[1]])) for w in best_windows}
    return _judge(scored, file_lines, old, onorm, fnorm, after, threshold, margin)


def _line_scores(
    fnorm: list[str], onorm: list[str], starts: set[int]
) -> dict[tuple[int, int], float]:
    """Line-level similarity of every window near an anchor (a few lines of slack each way,
    for context lines the model dropped or added)."""
    slack = min(3, max(1, len(onorm) // 4))
    scores: dict[tuple[int, int], float] = {}
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(onorm)
    for start in starts:
        for lo in range(max(0, start - slack), start + slack + 1):
            for size in range(max(1, len(onorm) - slack), len(onorm) + slack + 1):
                if lo + size > len(fnorm) or (lo, size) in scores:
                    continue
                matcher.set_seq1(fnorm[lo : lo + size])
                scores[(lo, size)] = matcher.ratio()
    return scores


def _anchor_starts(fnorm: list[str], onorm: list[str]) -> set[int]:
    """Window starts implied by the hunk's rarest non-blank lines occurring in the file."""
    counts = Counter(fnorm)
    present = [(counts[line], i) for i, line in enumerate(onorm) if line and counts[line]]
    starts: set[int] = set()
    for _, i in sorted(present)[:4]:
        starts.update(q - i for q, line in enumerate(fnorm) if line == onorm[i])
    return starts


def _ratio(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < 0.5 or matcher.quick_ratio() < 0.5:
        return 0.0
    return matcher.ratio()


def _judge(
    scored: dict[tuple[int, int], float],
    file_lines: list[str],
    old: list[str],
    onorm: list[str],
    fnorm: list[str],
    after: int,
    threshold: float,
    margin: float,
) -> Match | NoMatch:
    ranked = sorted(scored.items(), key=lambda kv: (-kv[1], abs(kv[0][1] - len(old))))
    (lo, size), best = ranked[0]
    if best < threshold:
        others = [l2 + 1 for (l2, n2), s in ranked if s > 0 and (l2 >= lo + size or l2 + n2 <= lo)]
        return NoMatch(
            f"no confident match: best similarity {best:.2f} < threshold {threshold:.2f}",
            [lo + 1, *others[:2]],
        )
    lo, size, mapping = _best_window(ranked, lo, size, best, onorm, fnorm)
    rival, where = _rival(ranked, lo, size, mapping, onorm, fnorm)
    if best - rival < margin:
        return NoMatch(
            f"ambiguous: similarity {best:.2f} vs {rival:.2f} elsewhere", [lo + 1, where + 1]
        )
    pairs = [(o, file_lines[m]) for o, m in zip(old, mapping, strict=True) if m is not None]
    indent = _indent_delta([p[0] for p in pairs], [p[1] for p in pairs])
    return Match(lo, lo + size, "fuzzy", scored[(lo, size)], mapping, indent)


def _rival(
    ranked: list[tuple[tuple[int, int], float]],
    lo: int,
    size: int,
    mapping: list[int | None],
    onorm: list[str],
    fnorm: list[str],
) -> tuple[float, int]:
    """The best-scoring window that puts some hunk line on a different file line than the
    match: another place, even one overlapping this one (repeated lines shift by one)."""
    for index, ((l2, n2), score) in enumerate(ranked):
        if score <= 0:
            break
        if index >= 80:
            return score, l2  # an upper bound: every later window scores lower
        if l2 >= lo + size or l2 + n2 <= lo:
            return score, l2
        other = _align(onorm, fnorm[l2 : l2 + n2], l2)
        if any(
            a is not None and b is not None and a != b for a, b in zip(mapping, other, strict=True)
        ):
            return score, l2
    return 0.0, lo


def _best_window(
    ranked: list[tuple[tuple[int, int], float]],
    lo: int,
    size: int,
    best: float,
    onorm: list[str],
    fnorm: list[str],
) -> tuple[int, int, list[int | None]]:
    """Among near-best windows over the same place, the one that aligns the most hunk lines
    (a window one line short can score as well but cut off a line the hunk removes)."""
    choices = []
    for (l2, n2), score in ranked[:40]:
        if score < best - 0.1 or l2 >= lo + size or l2 + n2 <= lo:
            continue
        mapping = _align(onorm, fnorm[l2 : l2 + n2], l2)
        choices.append((sum(m is not None for m in mapping), score, l2, n2, mapping))
    _, _, lo, size, mapping = max(choices, key=lambda c: (c[0], c[1], -c[3]))
    return lo, size, mapping


def _align(onorm: list[str], window: list[str], offset: int) -> list[int | None]:
    """Map each old line to the identical (whitespace-collapsed) window line, if any."""
    mapping: list[int | None] = [None] * len(onorm)
    matcher = difflib.SequenceMatcher(None, onorm, window, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            mapping[block.a + k] = offset + block.b + k
    return mapping
