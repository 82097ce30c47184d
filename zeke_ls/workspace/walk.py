"""`scan` and `search` over a sandboxed tree, honouring .gitignore, in pure Python.

The pure-Python walk is the reference implementation; `fast.py` offers ripgrep for the same
operations where bench/bench_search.py shows it wins. Results are relative POSIX paths,
1-based lines and 1-based columns counted in characters, sorted by path, so both
implementations answer identically.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from zeke_ls.workspace.paths import looks_binary, read_confined

SKIP_DIRS = {".git", ".hg", ".svn"}


def glob_regex(pattern: str, anchored: bool, subtree: bool = True) -> re.Pattern[str]:
    """A gitignore/glob pattern as a regex over '/'-separated relative paths; with `subtree`
    (gitignore's rule) a match of a directory covers everything under it."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            out.append("[" + pattern[i + 1 : end].replace("!", "^", 1) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    prefix = "" if anchored else "(?:.*/)?"
    suffix = "(?:/.*)?" if subtree else ""
    return re.compile(f"^{prefix}{''.join(out)}{suffix}$")


@dataclass
class _Rule:
    base: str
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


@dataclass
class Ignore:
    """The .gitignore rules met so far during a walk; the last matching rule wins."""

    rules: list[_Rule] = field(default_factory=list)

    def load(self, directory: Path, rel: str) -> None:
        path = directory / ".gitignore"
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        for raw in text.splitlines():
            line = raw.rstrip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            line = line[1:] if negate else line
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = "/" in line
            self.rules.append(_Rule(rel, glob_regex(line.lstrip("/"), anchored), negate, dir_only))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        verdict = False
        for rule in self.rules:
            if rule.base and not rel.startswith(rule.base + "/"):
                continue
            local = rel[len(rule.base) + 1 :] if rule.base else rel
            if (is_dir or not rule.dir_only) and rule.regex.match(local):
                verdict = not rule.negate
        return verdict


def walk_files(root: Path, start: Path) -> Iterator[str]:
    """Relative paths (to `root`) of files under `start`, pruning ignored directories."""
    ignore = Ignore()
    for parent in [*reversed(start.relative_to(root).parents), start.relative_to(root)]:
        rel = parent.as_posix()
        ignore.load(root / parent, "" if rel == "." else rel)
    yield from _walk(root, start, ignore)


def _walk(root: Path, directory: Path, ignore: Ignore) -> Iterator[str]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        rel = Path(entry.path).relative_to(root).as_posix()
        is_dir = entry.is_dir(follow_symlinks=False)
        if (is_dir and entry.name in SKIP_DIRS) or ignore.ignored(rel, is_dir):
            continue
        if is_dir:
            size = len(ignore.rules)
            ignore.load(Path(entry.path), rel)
            yield from _walk(root, Path(entry.path), ignore)
            del ignore.rules[size:]
        elif entry.is_file(follow_symlinks=False):
            yield rel


def glob_filter(globs: list[str] | None) -> list[re.Pattern[str]]:
    return [glob_regex(g.lstrip("/"), "/" in g) for g in globs or []]


def matches_globs(rel: str, patterns: list[re.Pattern[str]]) -> bool:
    return not patterns or any(p.match(rel) for p in patterns)


def scan(root: Path, start: Path, globs: list[str] | None, limit: int) -> tuple[list[str], bool]:
    """Files under `start` matching any glob (all when none); (files, truncated)."""
    patterns = glob_filter(globs)
    files: list[str] = []
    for rel in walk_files(root, start):
        if matches_globs(rel, patterns):
            if len(files) >= limit:
                return files, True
            files.append(rel)
    return files, False


@dataclass
class Hit:
    path: str
    line: int
    column: int
    text: str

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "column": self.column, "text": self.text}


def compile_query(query: str, regex: bool, case_sensitive: bool) -> re.Pattern[str]:
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(query if regex else re.escape(query), flags)


def search(
    root: Path,
    start: Path,
    pattern: re.Pattern[str],
    globs: list[str] | None,
    limit: int,
    max_bytes: int,
) -> tuple[list[Hit], bool]:
    """Every match (first per line) in text files under `start`; (hits, truncated)."""
    return search_in(root, walk_files(root, start), pattern, globs, limit, max_bytes)


def search_in(
    root: Path,
    files: Iterable[str],
    pattern: re.Pattern[str],
    globs: list[str] | None,
    limit: int,
    max_bytes: int,
) -> tuple[list[Hit], bool]:
    """Search the given relative paths in order, stopping as soon as `limit` is exceeded."""
    patterns = glob_filter(globs)
    hits: list[Hit] = []
    for rel in files:
        if not matches_globs(rel, patterns):
            continue
        for hit in _search_file(root, rel, pattern, max_bytes):
            if len(hits) >= limit:
                return hits, True
            hits.append(hit)
    return hits, False


def _search_file(root: Path, rel: str, pattern: re.Pattern[str], max_bytes: int) -> Iterator[Hit]:
    """Read only a file still inside the root (resolved now: the walk, or ripgrep's list,
    may be stale by the time it is read)."""
    data = read_confined(root / rel, [root], max_bytes)
    if data is None:
        return
    if looks_binary(data):
        return
    text = data.decode("utf-8", errors="replace")
    if not pattern.search(text):
        return
    for number, line in enumerate(text.splitlines(), start=1):
        found = pattern.search(line)
        if found:
            yield Hit(rel, number, found.start() + 1, line[:500])
