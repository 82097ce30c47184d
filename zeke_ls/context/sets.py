"""Context sets: the files and ranges a user pinned for the model to see, kept current.

Items are files, ranges of a file, or the files a glob matched (each becomes a file item, so
one vanished file leaves the set alone). Every path is resolved and must lie inside a workspace
root; binary and oversized files are refused with the reason. Texts are cached by (mtime,
size), and a watchfiles task invalidates them on disk edits and removes deleted files, telling
the client through a callback (the feature sends `zeke/contextChanged`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zeke_ls.context.packer import utf16_to_index
from zeke_ls.core.rpc import NotFound, Refused
from zeke_ls.workspace.paths import looks_binary, relative_name, resolve_in_roots

log = logging.getLogger(__name__)

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache",
             ".ruff_cache", ".pytest_cache", "target", "dist", "build", ".tox", "zig-cache",
             ".zig-cache", "zig-out"}


@dataclass(frozen=True)
class Span:
    """A range as LSP lines and characters (end exclusive)."""

    start_line: int
    start_char: int
    end_line: int
    end_char: int

    def to_json(self) -> dict[str, Any]:
        return {"start": {"line": self.start_line, "character": self.start_char},
                "end": {"line": self.end_line, "character": self.end_char}}


@dataclass
class ContextItem:
    id: str
    path: Path
    span: Span | None = None
    glob: str | None = None
    """The glob that brought this file in, if any."""

    @property
    def kind(self) -> str:
        return "range" if self.span else "file"

    def label(self, roots: list[Path]) -> str:
        name = relative_name(self.path, roots)
        if self.span is None:
            return name
        return f"{name} lines {self.span.start_line + 1}-{self.span.end_line + 1}"


def confine(path: Path, roots: list[Path]) -> Path:
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
            raise Refused(f"{path} is {size} bytes, over the limit of {max_bytes} bytes "
                          "([context] max_file_bytes)")
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


def slice_span(text: str, span: Span) -> str:
    """The text of a span, clipped to the text (a file may have shrunk since it was added)."""
    lines = text.splitlines(keepends=True)
    return text[line_offset(lines, span.start_line, span.start_char):
                line_offset(lines, span.end_line, span.end_char)]


def line_offset(lines: list[str], line: int, char: int) -> int:
    """The string offset of (line, UTF-16 column), clipped to the end of the line and text."""
    if line >= len(lines):
        return sum(map(len, lines))
    return sum(map(len, lines[:line])) + utf16_to_index(lines[line].rstrip("\r\n"), char)


def walk_files(roots: list[Path]) -> Iterator[Path]:
    """Every file under the roots, skipping VCS, dependency and build directories."""
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            for name in sorted(files):
                yield Path(folder) / name


@dataclass
class Cached:
    mtime_ns: int
    size: int
    text: str


Listener = Callable[[dict[str, Any]], None]
OpenText = Callable[[Path], "str | None"]


@dataclass
class ContextSet:
    """The pinned items of one session, with cached texts and a watcher."""

    roots: Callable[[], list[Path]]
    max_bytes: Callable[[], int]
    items: dict[str, ContextItem] = field(default_factory=dict)
    _cache: dict[Path, Cached] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _listeners: list[Listener] = field(default_factory=list)
    _dirs_changed: asyncio.Event | None = None
    _stop_watch: threading.Event = field(default_factory=threading.Event)
    _watching: list[str] | None = None

    # --- membership ---------------------------------------------------------------------------

    def add_file(self, path: Path, span: Span | None = None,
                 glob: str | None = None) -> ContextItem:
        """Pin a file or a range of it; the same file/range twice is one item."""
        resolved = confine(path, self.roots())
        self.text(resolved)  # refuse binary, oversized and missing files now
        for item in self.items.values():
            if item.path == resolved and item.span == span:
                return item
        item = ContextItem(f"ctx-{next(self._ids)}", resolved, span, glob)
        self.items[item.id] = item
        self._watch_dirs_changed()
        return item

    def add_glob(self, pattern: str) -> tuple[list[ContextItem], list[dict[str, str]]]:
        """Pin every text file a glob matches under the roots; report the files refused."""
        roots = self.roots()
        added: list[ContextItem] = []
        skipped: list[dict[str, str]] = []
        for path in glob_matches(pattern, roots):
            try:
                added.append(self.add_file(path, glob=pattern))
            except (Refused, NotFound) as exc:
                skipped.append({"path": str(path), "reason": exc.message})
        return added, skipped

    def remove(self, item_id: str | None = None, path: Path | None = None) -> list[ContextItem]:
        """Remove one item by id, or every item of a file; NotFound when nothing matched."""
        found = [i for i in self.items.values()
                 if i.id == item_id or (path is not None and i.path == path.resolve())]
        if not found:
            raise NotFound(f"no context item {item_id or path}; see zeke/contextList")
        for item in found:
            del self.items[item.id]
        self._forget_unused()
        return found

    def clear(self) -> int:
        count = len(self.items)
        self.items.clear()
        self._forget_unused()
        return count

    def _forget_unused(self) -> None:
        used = {item.path for item in self.items.values()}
        for path in [p for p in self._cache if p not in used]:
            del self._cache[path]
        self._watch_dirs_changed()

    # --- texts --------------------------------------------------------------------------------

    def text(self, path: Path) -> str:
        """The file's text, from the cache while its mtime and size are unchanged."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._cache.pop(path, None)
            raise NotFound(f"{path} does not exist (deleted or moved?)") from None
        cached = self._cache.get(path)
        if cached and cached.mtime_ns == stat.st_mtime_ns and cached.size == stat.st_size:
            return cached.text
        text = read_text(path, self.max_bytes())
        self._cache[path] = Cached(stat.st_mtime_ns, stat.st_size, text)
        return text

    def item_text(self, item: ContextItem, open_text: OpenText | None = None) -> str:
        """An item's text: the editor's buffer when the file is open, else the disk."""
        text = open_text(item.path) if open_text else None
        if text is None:
            text = self.text(item.path)
        return slice_span(text, item.span) if item.span else text

    # --- watching -----------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, event: dict[str, Any]) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("context listener failed")

    def _watch_dirs_changed(self) -> None:
        """Restart the watcher only when the set of directories to watch changed."""
        if self.watched_dirs() == self._watching:
            return
        self._stop_watch.set()  # ends the current awatch so the loop restarts with new dirs
        if self._dirs_changed is not None:
            self._dirs_changed.set()

    def watched_dirs(self) -> list[str]:
        """The directories holding pinned files (watched non-recursively: cheap in big trees)."""
        parents = {item.path.parent for item in self.items.values()}
        return sorted(str(parent) for parent in parents if parent.is_dir())

    async def watch(self) -> None:
        """Follow disk edits and deletions of every pinned file; runs until cancelled."""
        import watchfiles

        self._dirs_changed = asyncio.Event()
        while True:
            dirs = self._watching = self.watched_dirs()
            self._stop_watch = threading.Event()
            self._dirs_changed.clear()
            if not dirs:
                await self._dirs_changed.wait()
                continue
            # awatch installs its watches on its first step, before it first awaits: this
            # runs just after, so the line tells tests that disk changes are now seen.
            asyncio.get_running_loop().call_soon(log.info, "context watcher started: %s", dirs)
            with contextlib.suppress(FileNotFoundError, RuntimeError):
                async for changes in watchfiles.awatch(*dirs, recursive=False, debounce=50, step=20,
                                                       stop_event=self._stop_watch):
                    self.on_disk_changes({p for _change, p in changes})
            await asyncio.sleep(0.02)

    def on_disk_changes(self, raw_paths: set[str]) -> None:
        """Drop cached texts of changed files; remove items whose file is gone."""
        paths = {Path(os.path.realpath(p)) for p in raw_paths}
        changed: list[dict[str, Any]] = []
        removed: list[dict[str, Any]] = []
        for item in list(self.items.values()):
            if item.path not in paths:
                continue
            self._cache.pop(item.path, None)
            if item.path.exists():
                changed.append({"id": item.id, "path": str(item.path)})
            else:
                del self.items[item.id]
                removed.append({"id": item.id, "path": str(item.path),
                                "reason": "the file was deleted"})
        if changed or removed:
            self._emit({"changed": changed, "removed": removed})


def glob_matches(pattern: str, roots: list[Path]) -> list[Path]:
    """Files matching a glob: relative patterns under each root, absolute ones as given."""
    if Path(pattern).is_absolute():
        anchor = Path(Path(pattern).anchor)
        candidates = anchor.glob(str(Path(pattern).relative_to(anchor)))
    else:
        candidates = (p for root in roots for p in root.glob(pattern))
    found = sorted({p for p in candidates
                    if p.is_file() and not SKIP_DIRS.intersection(p.parts)})
    return found
