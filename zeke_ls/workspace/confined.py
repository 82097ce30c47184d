"""Listing, globbing and reading files without ever leaving the workspace roots.

For tools whose answers go to a model (a cloud provider): a symlink or a `..` must never turn
a workspace into a window on `~/.aws`. So the walk never follows a symlinked directory, a
symlinked file is listed only if it resolves inside a root, globs are matched against the
walk's relative paths (never by the file system, which would follow `..`, absolute paths and
symlinked directories), and every read (`paths.read_confined`) resolves the path again at
read time and opens it without following a last-moment symlink.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from zeke_ls.core.rpc import Refused
from zeke_ls.workspace import files
from zeke_ls.workspace.files import walk
from zeke_ls.workspace.paths import read_confined, resolve_in_roots

MAX_GLOB_FILES = 100_000
"""Tools list at most a few hundred names; this only bounds the walk."""


def files_under(roots: Sequence[Path]) -> Iterator[Path]:
    """Every file under the roots as the one walker finds it (`.gitignore`, VCS, dependency,
    build and hidden directories skipped, symlinked directories never entered), minus
    symlinked files that resolve out of the roots."""
    for path in walk(roots):
        if not path.is_symlink() or resolve_in_roots(path, roots) is not None:
            yield path


def glob_files(pattern: str, roots: Sequence[Path]) -> list[Path]:
    """Files whose path relative to a root matches `pattern`; Refused for `..` or an
    absolute pattern outside the roots."""
    found = files.glob_files(relative_pattern(pattern, roots), roots, MAX_GLOB_FILES).files
    return [p for p in found if not p.is_symlink() or resolve_in_roots(p, roots) is not None]


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
