"""Workspace confinement, in one place: every file access (context sets, chat tools, edits, the
embedded Glyph) decides "inside the roots?" here, after resolving `..` and symlinks."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

BINARY_SNIFF_BYTES = 8192


def is_inside(real: Path, roots: Sequence[Path]) -> bool:
    """Whether an already resolved path is a root or lies under one."""
    return any(real == root or real.is_relative_to(root) for root in roots)


def resolve_in_roots(path: str | Path, roots: Sequence[Path]) -> Path | None:
    """The real path (relative paths start at the first root), or None if it leaves the roots."""
    candidate = Path(path)
    if not candidate.is_absolute():
        if not roots:
            return None
        candidate = roots[0] / candidate
    real = candidate.resolve()
    return real if is_inside(real, roots) else None


def relative_name(path: Path, roots: Sequence[Path]) -> str:
    """The path relative to the first root that holds it, else the path as is."""
    for root in roots:
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return str(path)


def looks_binary(data: bytes) -> bool:
    """Text files have no NUL bytes in their first block."""
    return b"\0" in data[:BINARY_SNIFF_BYTES]


def read_confined(path: Path, roots: Sequence[Path], max_bytes: int) -> bytes | None:
    """The bytes of a regular file inside the roots, at most `max_bytes`; None if it is
    outside, too big or unreadable. Resolved at read time and opened without following a
    symlink, so a file swapped for a link since it was listed is refused."""
    real = resolve_in_roots(path, roots)
    if real is None:
        return None
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if os.fstat(handle.fileno()).st_size > max_bytes:
            return None
        return handle.read(max_bytes + 1)
