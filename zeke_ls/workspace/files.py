"""Files under the workspace roots: confinement, reading, and the one walker.

Every feature that touches the workspace (context sets, chat tools, edits, the config
watcher) walks and reads through here, so the rules hold everywhere:
- a path is resolved (`..` and symlinks) before the roots check; a symlink out of the roots is
  refused on read and skipped by walks; walks never follow symlinked directories (so a link
  loop cannot trap them);
- walks honour `.gitignore` and skip VCS, dependency and build directories before descending
  (a `.venv` is never walked to be filtered afterwards);
- reads refuse binary, non-UTF-8 and oversized files with the reason.
These functions block: services call them in a worker thread.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from zeke_ls.core.rpc import NotFound, Refused
from zeke_ls.workspace.paths import is_inside, looks_binary, resolve_in_roots
from zeke_ls.workspace.walk import Ignore, glob_regex

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "target",
        "dist",
        "build",
        ".tox",
        "zig-cache",
        ".zig-cache",
        "zig-out",
    }
)
"""Never walked, even without a .gitignore: VCS data, dependencies, caches, build output."""


def confine(path: Path, roots: Sequence[Path]) -> Path:
    """The resolved path if it lies inside a root (symlinks resolved first), else Refused."""
    if not roots:
        raise Refused(f"{path}: no workspace roots are open, so no file can be read")
    resolved = resolve_in_roots(path, roots)
    if resolved is None:
        raise Refused(f"{path} is outside the workspace roots ({', '.join(map(str, roots))})")
    return resolved


def read_text(path: Path, max_bytes: int) -> str:
    """A UTF-8 text file's content; NotFound if it vanished, Refused if binary or too big."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise Refused(
                f"{path} is {size} bytes, over the limit of {max_bytes} bytes "
                "([context] max_file_bytes)"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{path} does not exist (deleted or moved?)") from None
    except IsADirectoryError:
        raise Refused(f"{path} is a directory; add a glob such as {path.name}/**/*") from None
    except OSError as exc:
        raise Refused(f"{path} cannot be read: {exc.strerror or exc}") from None
    if looks_binary(data):
        raise Refused(f"{path} is a binary file (it contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(f"{path} is not UTF-8 text") from None


def read_confined(path: Path, roots: Sequence[Path], max_bytes: int) -> str:
    """Confine first, then read: nothing outside the roots is ever opened."""
    return read_text(confine(path, roots), max_bytes)


def walk(roots: Sequence[Path], stop: threading.Event | None = None) -> Iterator[Path]:
    """Every file under the roots, honouring .gitignore; symlinked directories are not
    entered. Paths are as found (not resolved): confine before reading."""
    for root in roots:
        ignore = Ignore()
        ignore.load(root, "")
        yield from _walk(root, root, ignore, stop)


def _walk(
    root: Path, directory: Path, ignore: Ignore, stop: threading.Event | None
) -> Iterator[Path]:
    if stop is not None and stop.is_set():
        return
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return  # vanished or unreadable: skip it
    for entry in entries:
        rel = Path(entry.path).relative_to(root).as_posix()
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = not is_dir and entry.is_file()  # a link to a file is listed: readers
            # confine it (so one pointing out of the roots is refused by name, never read)
        except OSError:
            continue
        if is_dir:
            if entry.name in SKIP_DIRS or entry.name.startswith(".") or ignore.ignored(rel, True):
                continue
            size = len(ignore.rules)
            ignore.load(Path(entry.path), rel)
            yield from _walk(root, Path(entry.path), ignore, stop)
            del ignore.rules[size:]
        elif is_file and not ignore.ignored(rel, False):
            yield Path(entry.path)


@dataclass
class GlobResult:
    files: list[Path] = field(default_factory=list)
    truncated: bool = False
    """More files matched than the cap allowed."""


def glob_pattern(pattern: str, roots: Sequence[Path]) -> str:
    """A glob relative to the roots; Refused for `..` or an absolute path outside them."""
    candidate = Path(pattern)
    if candidate.is_absolute():
        for root in roots:
            if candidate.is_relative_to(root):
                return candidate.relative_to(root).as_posix()
        raise Refused(f"glob {pattern!r} is outside the workspace roots")
    if ".." in candidate.parts:
        raise Refused(f"glob {pattern!r} climbs out of the workspace roots ('..')")
    return pattern.removeprefix("./")


def glob_files(
    pattern: str, roots: Sequence[Path], cap: int, stop: threading.Event | None = None
) -> GlobResult:
    """Files under the roots matching a glob (relative to each root), at most `cap` of them."""
    regex = _glob_regex(glob_pattern(pattern, roots))
    result = GlobResult()
    for root in roots:
        for path in walk([root], stop):
            if not regex.match(path.relative_to(root).as_posix()):
                continue
            if len(result.files) >= cap:
                result.truncated = True
                return result
            result.files.append(path)
    return result


def _glob_regex(pattern: str) -> re.Pattern[str]:
    # glob_regex lets a match end inside a directory (gitignore semantics); a file glob must
    # match the whole relative path.
    return re.compile(glob_regex(pattern, anchored=True).pattern.removesuffix("(?:/.*)?$") + "$")


def inside(path: Path, roots: Sequence[Path]) -> bool:
    """Whether a path, after resolving symlinks, lies inside the roots."""
    try:
        return is_inside(path.resolve(), roots)
    except OSError:
        return False
