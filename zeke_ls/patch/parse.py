"""Parse what a model wrote into file patches, whatever format it chose.

Models are asked for one format but answer in any of them, with stale line numbers, wrong
hunk counts, trimmed context, `...` elisions and markdown fences. So the parser never trusts
numbers or counts: a hunk is only its sequence of context/removed/added lines (line numbers
survive as a hint), and finding where it goes is the matcher's job.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Literal

Op = Literal[" ", "-", "+"]
Kind = Literal["modify", "create", "delete", "rewrite"]

_HUNK_HEADER = re.compile(r"^@@+(?:\s*-(\d+)(?:,\d+)?)?[^@]*@@+")
_SEARCH = re.compile(r"^\s*<{5,9} ?SEARCH\b")
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_REPLACE = re.compile(r"^\s*>{5,9} ?REPLACE\b")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")
_ELISIONS = {"...", "\u2026", "# ...", "// ...", "/* ... */"}
_PATHLIKE = re.compile(r"^[\w./\\-]*[\w-]+\.[\w]+$|^[\w./\\-]+/[\w.-]+$")


class ParseError(ValueError):
    """The model output holds no edit in any format zeke_ls understands."""


@dataclass
class Hunk:
    """One change: lines as (op, text) without line endings; `start` is the model's hint."""

    ops: list[tuple[Op, str]]
    start: int | None = None
    follows: bool = False
    """Split from the previous hunk at an elision: it must land after that one."""

    @property
    def old(self) -> list[str]:
        return [text for op, text in self.ops if op != "+"]

    @property
    def new(self) -> list[str]:
        return [text for op, text in self.ops if op != "-"]

    @property
    def changes(self) -> bool:
        return any(op != " " for op, _ in self.ops)


@dataclass
class FilePatch:
    """Changes to one file. `path` None means the document the edit was asked for."""

    path: str | None
    kind: Kind = "modify"
    hunks: list[Hunk] = field(default_factory=list)
    content: str | None = None
    """Full new text for `create` and `rewrite`."""
    new_path: str | None = None
    """Set when the patch also renames the file."""


def parse_edit(text: str, default_path: str | None = None) -> list[FilePatch]:
    """Every file patch in `text`: unified diff, SEARCH/REPLACE blocks or whole-file blocks."""
    for parser in (parse_unified, parse_search_replace):
        patches = parser(text)
        if patches:
            return _merge(patches)
    patches = parse_whole_files(text, default_path)
    if patches:
        return patches
    raise ParseError(
        "no unified diff, SEARCH/REPLACE block or fenced file found in the model output"
    )


def _merge(patches: list[FilePatch]) -> list[FilePatch]:
    """Blocks for the same file (common with SEARCH/REPLACE) become one patch, in order."""
    merged: list[FilePatch] = []
    for patch in patches:
        known = next((m for m in merged if m.path == patch.path and m.kind == "modify"), None)
        if known is not None and patch.kind == "modify" and patch.new_path is None:
            known.hunks.extend(patch.hunks)
        else:
            merged.append(patch)
    return merged


# --- unified diff ---------------------------------------------------------------------------


def _strip_path(raw: str) -> str | None:
    path = raw.strip().split("\t")[0].strip().strip('"')
    if path in ("/dev/null", "dev/null", ""):
        return None
    if path[:2] in ("a/", "b/"):
        path = path[2:]
    return path


def parse_unified(text: str) -> list[FilePatch]:
    """Unified diffs, forgiving about numbers, counts, fences and missing headers."""
    lines = text.splitlines()
    patches: list[FilePatch] = []
    current: FilePatch | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            current = _file_header(line[4:], lines[i + 1][4:])
            patches.append(current)
            i += 2
            if i < len(lines) and not _HUNK_HEADER.match(lines[i]):
                i = _read_hunk(lines, i, None, current)
            continue
        header = _HUNK_HEADER.match(line)
        if header:
            if current is None:
                current = FilePatch(path=None)
                patches.append(current)
            start = int(header.group(1)) if header.group(1) else None
            i = _read_hunk(lines, i + 1, start, current)
            continue
        i += 1
    return [p for p in patches if p.hunks or p.kind != "modify"]


def _file_header(old_raw: str, new_raw: str) -> FilePatch:
    old, new = _strip_path(old_raw), _strip_path(new_raw)
    if old is None and new is not None:
        return FilePatch(path=new, kind="create")
    if new is None and old is not None:
        return FilePatch(path=old, kind="delete")
    patch = FilePatch(path=old)
    if new != old:
        patch.new_path = new
    return patch


def _is_body_line(line: str) -> bool:
    return line == "" or line[0] in " +-\\" or line.strip() in _ELISIONS


def _read_hunk(lines: list[str], i: int, start: int | None, patch: FilePatch) -> int:
    """Read hunk body lines from `i`; returns the index of the first line after the hunk."""
    ops: list[tuple[Op, str]] = []
    while i < len(lines):
        line = lines[i]
        if _HUNK_HEADER.match(line) or line.startswith(("```", "~~~")) or not _is_body_line(line):
            break
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            break
        i += 1
        if line.startswith("\\"):
            continue  # "\ No newline at end of file": the file's own final newline is kept
        if line == "" or line[0] not in " +-":
            ops.append((" ", line.strip()))  # a blank context line or a bare elision
            continue
        op: Op = line[0]  # type: ignore[assignment]
        ops.append((op, line[1:]))
    while ops and ops[-1] == (" ", ""):
        ops.pop()  # blank lines between a hunk and the following prose
    _add_hunks(patch, ops, start)
    return i


def _add_hunks(patch: FilePatch, ops: list[tuple[Op, str]], start: int | None) -> None:
    """Split at elisions: each piece is matched on its own, in order."""
    if patch.kind == "create":
        patch.content = _join([text for op, text in ops if op == "+"])
        return
    if patch.kind == "delete":
        return
    pieces: list[list[tuple[Op, str]]] = [[]]
    for op, text in ops:
        if op != "+" and text.strip() in _ELISIONS and text == text.lstrip():
            pieces.append([])
        else:
            pieces[-1].append((op, text))
    follows = False
    for piece in pieces:
        if any(op != " " for op, _ in piece):
            patch.hunks.append(Hunk(piece, start if not follows else None, follows))
        follows = True


def _join(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


# --- SEARCH/REPLACE -------------------------------------------------------------------------


def parse_search_replace(text: str) -> list[FilePatch]:
    """Aider-style blocks; the file path is the nearest path-like line above the block."""
    lines = text.splitlines()
    patches: list[FilePatch] = []
    i = 0
    while i < len(lines):
        if not _SEARCH.match(lines[i]):
            i += 1
            continue
        path = _path_above(lines, i)
        search, i = _collect(lines, i + 1, _DIVIDER)
        replace, i = _collect(lines, i + 1, _REPLACE)
        patches.append(_block_patch(path, search, replace))
        i += 1
    return patches


def _collect(lines: list[str], i: int, end: re.Pattern[str]) -> tuple[list[str], int]:
    body: list[str] = []
    while i < len(lines) and not end.match(lines[i]):
        body.append(lines[i])
        i += 1
    if i >= len(lines):
        raise ParseError(f"SEARCH/REPLACE block is not closed (expected {end.pattern!r})")
    return body, i


def _path_above(lines: list[str], i: int) -> str | None:
    for j in range(i - 1, max(-1, i - 3), -1):
        candidate = lines[j].strip().strip("`*:").strip()
        if _FENCE.match(lines[j]):
            fence_info = _FENCE.match(lines[j])
            rest = fence_info.group(2).split() if fence_info else []
            candidate = rest[-1] if rest else ""
        if candidate and _PATHLIKE.match(candidate):
            return candidate
    return None


def _block_patch(path: str | None, search: list[str], replace: list[str]) -> FilePatch:
    if not any(line.strip() for line in search):
        return FilePatch(path=path, kind="create", content=_join(replace))
    return FilePatch(path=path, hunks=[Hunk(diff_ops(search, replace))])


def diff_ops(old: list[str], new: list[str]) -> list[tuple[Op, str]]:
    """Old/new line lists as context/removed/added ops, so unchanged lines anchor the match.
    Lines equal but for trailing whitespace count as unchanged (models pad SEARCH lines)."""
    ops: list[tuple[Op, str]] = []
    matcher = difflib.SequenceMatcher(
        None, [line.rstrip() for line in old], [line.rstrip() for line in new], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops += [(" ", line) for line in old[i1:i2]]
            continue
        ops += [("-", line) for line in old[i1:i2]]
        ops += [("+", line) for line in new[j1:j2]]
    return ops


# --- whole files ----------------------------------------------------------------------------


def parse_whole_files(text: str, default_path: str | None = None) -> list[FilePatch]:
    """Fenced blocks: each with a path (info string or line above) is a whole-file rewrite.

    A single block without a path rewrites the target document (`default_path`/None).
    """
    lines = text.splitlines()
    blocks: list[tuple[str | None, list[str]]] = []
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        path = _fence_path(fence.group(2)) or _path_above(lines, i)
        body, i = _fenced_body(lines, i + 1, fence.group(1))
        blocks.append((path, body))
    if len(blocks) == 1 and blocks[0][0] is None:
        return [FilePatch(path=None, kind="rewrite", content=_join(blocks[0][1]))]
    return [FilePatch(path=p, kind="rewrite", content=_join(b)) for p, b in blocks if p]


def _fence_path(info: str) -> str | None:
    words = info.replace("path=", " ").replace("title=", " ").split()
    for word in reversed(words):
        word = word.strip("\"'")
        if _PATHLIKE.match(word) and ("." in word or "/" in word):
            return word
    return None


def _fenced_body(lines: list[str], i: int, fence: str) -> tuple[list[str], int]:
    body: list[str] = []
    while i < len(lines) and lines[i].strip() != fence:
        body.append(lines[i])
        i += 1
    return body, i + 1
