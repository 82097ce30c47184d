"""File access confined to workspace roots: the safety core of the embedded Glyph.

Every path is resolved (`..` and symlinks) *before* the roots check, so neither a `../`
nor a symlink pointing out of the workspace escapes. Writes are atomic (temporary file in the
same directory, fsync, rename, mode kept): a crash or a full disk never leaves a
half-written file. Binary files (a NUL byte, or not UTF-8) and files over the size limit are
refused, because an editor edit of either is almost certainly a mistake.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from zeke_ls.workspace.paths import looks_binary, resolve_in_roots
from zeke_ls.workspace.tmpfiles import SUFFIX, temp_prefix


class SandboxError(ValueError):
    """A refused path or file; the message says which path and why."""


class Sandbox:
    def __init__(self, roots: Sequence[str | Path], max_bytes: int = 2_000_000):
        if not roots:
            raise SandboxError("at least one root is required")
        self.roots = [Path(r).resolve() for r in roots]
        missing = [str(r) for r in self.roots if not r.is_dir()]
        if missing:
            raise SandboxError(f"root is not a directory: {', '.join(missing)}")
        self.max_bytes = max_bytes

    def resolve(self, path: str) -> Path:
        """The real path of `path` (relative to the first root), refused if outside every root."""
        if not isinstance(path, str) or not path or "\0" in path:
            raise SandboxError(f"invalid path {path!r}")
        real = resolve_in_roots(path, self.roots)
        if real is None:
            raise SandboxError(f"path outside the workspace roots: {path}")
        return real

    def relative(self, real: Path) -> str:
        """The path as shown to clients: relative to its root (first root wins)."""
        for root in self.roots:
            if real.is_relative_to(root):
                rel = real.relative_to(root).as_posix()
                return rel if root == self.roots[0] else str(real)
        return str(real)

    def read_text(self, path: str) -> str:
        real = self.resolve(path)
        if not real.is_file():
            raise SandboxError(f"not a file: {path}")
        size = real.stat().st_size
        if size > self.max_bytes:
            raise SandboxError(f"file too large: {path} is {size} bytes (limit {self.max_bytes})")
        return decode_text(real.read_bytes(), path)

    def write_text(self, path: str, content: str) -> int:
        """Atomically replace (or create) a text file; returns the bytes written."""
        real = self.resolve(path)
        data = content.encode("utf-8")
        if len(data) > self.max_bytes:
            raise SandboxError(f"content too large: {len(data)} bytes (limit {self.max_bytes})")
        if b"\0" in data:
            raise SandboxError(f"refusing to write binary content to {path}")
        if real.exists():
            if not real.is_file():
                raise SandboxError(f"not a file: {path}")
            self.read_text(path)  # refuses binary or oversized targets
        elif not real.parent.is_dir():
            raise SandboxError(f"directory does not exist: {self.relative(real.parent)}")
        atomic_write(real, data)
        return len(data)

    def delete(self, path: str) -> None:
        real = self.resolve(path)
        if not real.is_file():
            raise SandboxError(f"not a file: {path}")
        self.read_text(path)
        real.unlink()

    def list_directory(self, path: str) -> list[dict[str, str]]:
        real = self.resolve(path)
        if not real.is_dir():
            raise SandboxError(f"not a directory: {path}")
        entries = []
        for entry in sorted(os.scandir(real), key=lambda e: e.name):
            kind = "directory" if entry.is_dir() else "file" if entry.is_file() else "other"
            entries.append({"name": entry.name, "type": kind})
        return entries


def decode_text(data: bytes, path: str) -> str:
    if looks_binary(data):
        raise SandboxError(f"binary file refused: {path}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SandboxError(f"binary file refused (not UTF-8): {path}") from None


def atomic_write(real: Path, data: bytes) -> None:
    """Temp file beside the target, fsync, keep the mode, rename over: all or nothing."""
    mode = stat.S_IMODE(real.stat().st_mode) if real.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(real), suffix=SUFFIX, dir=real.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(real.parent)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
