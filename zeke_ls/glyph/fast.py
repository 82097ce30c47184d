"""ripgrep as a fast path for `scan` and `search`, used only where the benchmark shows a win.

bench/bench_search.py times both on a 10,000-file tree; `RIPGREP_FOR` records the verdict.
`ZEKE_GLYPH_RIPGREP=0|1` forces either path (the benchmark and the equivalence tests use it).
ripgrep runs with flags that make it honour exactly what the Python walk honours: .gitignore
files inside the tree, hidden files included, `.git` skipped, no global or parent ignores.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

from zeke_ls.workspace import walk

RIPGREP_FOR = {"scan": False, "search": True}
PYTHON_FIRST_FILES = 300
"""Files Python searches before asking ripgrep (about 30 ms)."""
"""Where ripgrep won in bench/bench_search.py (see the note in the edit issue's report)."""

_RG_FLAGS = [
    "--hidden",
    "--no-require-git",
    "--no-ignore-global",
    "--no-ignore-parent",
    "--no-ignore-dot",
    "--no-ignore-exclude",
    "--glob",
    "!.git",
    "--no-config",
]


def ripgrep(operation: str) -> str | None:
    forced = os.environ.get("ZEKE_GLYPH_RIPGREP")
    if forced == "0" or (forced is None and not RIPGREP_FOR.get(operation)):
        return None
    return shutil.which("rg")


def scan(root: Path, start: Path, globs: list[str] | None, limit: int) -> tuple[list[str], bool]:
    rg = ripgrep("scan")
    if rg is None:
        return walk.scan(root, start, globs, limit)
    out = _run([rg, "--files", *_RG_FLAGS, "--", str(start)])
    if out is None:
        return walk.scan(root, start, globs, limit)
    patterns = walk.glob_filter(globs)
    files = sorted(
        (rel for rel in _relative(root, out.splitlines()) if walk.matches_globs(rel, patterns)),
        key=lambda rel: rel.split("/"),
    )
    return files[:limit], len(files) > limit


def search(
    root: Path,
    start: Path,
    pattern: re.Pattern[str],
    query: str,
    regex: bool,
    case_sensitive: bool,
    globs: list[str] | None,
    limit: int,
    max_bytes: int,
) -> tuple[list[walk.Hit], bool]:
    """Python searches the first files itself (a common query fills the limit there, long
    before ripgrep could list a big tree); only if it does not, ripgrep `-l` picks the rest of
    the files that match and Python reads just those, in walk order. The answer is identical
    to the pure-Python search."""
    rg = ripgrep("search")
    if rg is None:
        return walk.search(root, start, pattern, globs, limit, max_bytes)
    files = walk.walk_files(root, start)
    head: list[str] = []
    hits, truncated = walk.search_in(
        root,
        _recording(itertools.islice(files, PYTHON_FIRST_FILES), head),
        pattern,
        globs,
        limit,
        max_bytes,
    )
    if truncated or len(head) < PYTHON_FIRST_FILES:
        return hits, truncated
    args = [rg, "--files-with-matches", "--max-filesize", str(max_bytes), *_RG_FLAGS]
    args += ([] if regex else ["--fixed-strings"]) + ([] if case_sensitive else ["--ignore-case"])
    out = _run([*args, "--", query, str(start)])
    rest: Iterable[str] = files
    if out is not None:
        last = head[-1].split("/")
        rest = sorted(
            (rel for rel in _relative(root, out.splitlines()) if rel.split("/") > last),
            key=lambda rel: rel.split("/"),
        )
    more, truncated = walk.search_in(root, rest, pattern, globs, limit - len(hits), max_bytes)
    return hits + more, truncated


def _recording(paths: Iterable[str], seen: list[str]) -> Iterator[str]:
    """Yield paths lazily (so an early limit stops the walk too), remembering each one."""
    for rel in paths:
        seen.append(rel)
        yield rel


def _run(args: list[str]) -> str | None:
    """ripgrep's stdout; None when it failed (the caller falls back to Python)."""
    try:
        done = subprocess.run(args, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode not in (0, 1):
        return None
    return done.stdout.decode("utf-8", errors="replace")


def _relative(root: Path, paths: list[str]) -> list[str]:
    return [Path(p).relative_to(root).as_posix() for p in paths if p]
