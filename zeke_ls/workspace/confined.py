"""Listing, globbing and reading files without ever leaving the workspace roots.

For tools whose answers go to a model (a cloud provider): a symlink or a `..` must never turn
a workspace into a window on `~/.aws`. So the walk never follows a symlinked directory, a
symlinked file is listed only if it resolves inside a root, globs are matched against the
walk's relative paths (never by the file system, which would follow `..`, absolute paths and
symlinked directories), and every read (`paths.read_confined`) resolves the path again at
read time and opens it without following a last-moment symlink.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from zeke_ls.core.rpc import Refused
from zeke_ls.workspace.paths import read_confined, resolve_in_roots
from zeke_ls.workspace.walk import glob_regex

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache",
             ".ruff_cache", ".pytest_cache", "target", "dist", "build", ".tox", "zig-cache",
             ".zig-cache", "zig-out"}


def files_under(roots: Sequence[Path]) -> Iterator[Path]:
    """Every file under the roots, as found (symlinks unresolved), sorted per directory;
    VCS, dependency, build and hidden directories skipped, symlinks out of the roots too."""
    for root in roots:
        for folder, dirs, files in os.walk(root):  # never descends a symlinked directory
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            for name in sorted(files):
                path = Path(folder) / name
                if not path.is_symlink() or resolve_in_roots(path, roots) is not None:
                    yield path


def glob_files(pattern: str, roots: Sequence[Path]) -> list[Path]:
    """Files whose path relative to a root matches `pattern` (`*`, `?`, `[...]`, `**/`);
    Refused for `..` or an absolute pattern outside the roots."""
    relative = relative_pattern(pattern, roots)
    regex = glob_regex(relative, anchored=True, subtree=False)
    found = []
    for path in files_under(roots):
        for root in roots:
            if path.is_relative_to(root) and regex.match(path.relative_to(root).as_posix()):
                found.append(path)
                break
    return found


def relative_pattern(pattern: str, roots: Sequence[Path]) -> str:
    if ".." in PurePosixPath(pattern).parts:
        raise Refused(f"glob {pattern!r}: '..' is not allowed; globs stay inside the workspace")
    if not Path(pattern).is_absolute():
        return pattern.removeprefix("./")
    for root in roots:
        if Path(pattern).is_relative_to(root):
            return Path(pattern).relative_to(root).as_posix()
    raise Refused(f"glob {pattern!r} is outside the workspace roots")


__all__ = ["files_under", "glob_files", "read_confined", "relative_pattern"]
