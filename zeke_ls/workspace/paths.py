"""Workspace confinement, in one place: every file access (context sets, chat tools, edits, the
embedded Glyph) decides "inside the roots?" here, after resolving `..` and symlinks."""

from __future__ import annotations

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
