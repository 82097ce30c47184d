"""Context sets: the files and ranges a user pinned for the model to see, kept current.

Items are files, ranges of a file, or the files a glob matched (each becomes a file item, so
one vanished file leaves the set alone). Every path is resolved and must lie inside a workspace
root; binary and oversized files are refused with the reason. Texts are cached by (mtime,
size), and a watchfiles task invalidates them on disk edits and removes deleted files, telling
the client through a callback (the feature sends `zeke/contextChanged`).

Pinning a glob of thousands of files is linear: reading and refusing files happens in
`read_many()` (blocking: the Workspace service runs it in a worker thread), then `adopt()`
inserts the items with one lookup each and recomputes the watched directories once.
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

from zeke_ls.context.budget import Piece
from zeke_ls.context.positions import PositionCodec
from zeke_ls.core.rpc import NotFound, Refused
from zeke_ls.workspace.files import confine, read_text
from zeke_ls.workspace.paths import relative_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Span:
    """A range as LSP lines and characters (end exclusive)."""

    start_line: int
    start_char: int
    end_line: int
    end_char: int

    def to_json(self) -> dict[str, Any]:
        return {
            "start": {"line": self.start_line, "character": self.start_char},
            "end": {"line": self.end_line, "character": self.end_char},
        }


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


def slice_span(text: str, span: Span, codec: PositionCodec | None = None) -> str:
    """The text of a span, clipped to the text (a file may have shrunk since it was added)."""
    codec = codec or PositionCodec()
    return codec.slice(text, (span.start_line, span.start_char), (span.end_line, span.end_char))


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
    codec: Callable[[], PositionCodec] = PositionCodec
    items: dict[str, ContextItem] = field(default_factory=dict)
    _keys: dict[tuple[Path, Span | None], str] = field(default_factory=dict)
    _cache: dict[Path, Cached] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _listeners: list[Listener] = field(default_factory=list)
    _dirs_changed: asyncio.Event | None = None
    _stop_watch: threading.Event = field(default_factory=threading.Event)
    _watching: list[str] | None = None

    # --- membership ---------------------------------------------------------------------------

    def add_file(
        self, path: Path, span: Span | None = None, glob: str | None = None
    ) -> ContextItem:
        """Pin a file or a range of it; the same file/range twice is one item."""
        resolved = confine(path, self.roots())
        self.text(resolved)  # refuse binary, oversized and missing files now
        item = self._insert(resolved, span, glob)
        self._watch_dirs_changed()
        return item

    def read_many(
        self, paths: list[Path], stop: threading.Event | None = None
    ) -> tuple[list[tuple[Path, Cached]], list[dict[str, str]]]:
        """Read and vet files for pinning (blocking: run it in a worker thread)."""
        accepted: list[tuple[Path, Cached]] = []
        skipped: list[dict[str, str]] = []
        roots, max_bytes = self.roots(), self.max_bytes()
        for path in paths:
            if stop is not None and stop.is_set():
                break
            try:
                resolved = confine(path, roots)
                stat = resolved.stat()
                accepted.append(
                    (
                        resolved,
                        Cached(stat.st_mtime_ns, stat.st_size, read_text(resolved, max_bytes)),
                    )
                )
            except (Refused, NotFound) as exc:
                skipped.append({"path": relative_name(path, roots), "reason": exc.message})
            except FileNotFoundError:
                skipped.append(
                    {
                        "path": relative_name(path, roots),
                        "reason": "the file disappeared while it was being read",
                    }
                )
        return accepted, skipped

    def adopt(self, accepted: list[tuple[Path, Cached]], glob: str | None) -> list[ContextItem]:
        """Insert files read by `read_many` (on the event loop: no I/O here)."""
        added = []
        for path, cached in accepted:
            self._cache[path] = cached
            added.append(self._insert(path, None, glob))
        self._watch_dirs_changed()
        return added

    def _insert(self, path: Path, span: Span | None, glob: str | None) -> ContextItem:
        existing = self._keys.get((path, span))
        if existing is not None and existing in self.items:
            return self.items[existing]
        item = ContextItem(f"ctx-{next(self._ids)}", path, span, glob)
        self.items[item.id] = item
        self._keys[(path, span)] = item.id
        return item

    def pieces(self, open_text: OpenText) -> tuple[list[Piece], list[dict[str, Any]]]:
        """The items as budget pieces (open buffers win); items whose file vanished leave."""
        pieces, vanished = [], []
        for item in list(self.items.values()):
            try:
                text = self.item_text(item, open_text)
            except (NotFound, Refused) as exc:
                self._drop(item)
                vanished.append({"id": item.id, "path": str(item.path), "reason": exc.message})
                continue
            pieces.append(Piece(item.id, item.kind, item.label(self.roots()), text))
        return pieces, vanished

    def remove(self, item_id: str | None = None, path: Path | None = None) -> list[ContextItem]:
        """Remove one item by id, or every item of a file; NotFound when nothing matched."""
        found = [
            i
            for i in self.items.values()
            if i.id == item_id or (path is not None and i.path == path.resolve())
        ]
        if not found:
            raise NotFound(f"no context item {item_id or path}; see zeke/contextList")
        for item in found:
            self._drop(item)
        self._forget_unused()
        return found

    def _drop(self, item: ContextItem) -> None:
        self.items.pop(item.id, None)
        self._keys.pop((item.path, item.span), None)

    def clear(self) -> int:
        count = len(self.items)
        self.items.clear()
        self._keys.clear()
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
        return slice_span(text, item.span, self.codec()) if item.span else text

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
                async for changes in watchfiles.awatch(
                    *dirs, recursive=False, debounce=50, step=20, stop_event=self._stop_watch
                ):
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
                self._drop(item)
                removed.append(
                    {"id": item.id, "path": str(item.path), "reason": "the file was deleted"}
                )
        if changed or removed:
            self._emit({"changed": changed, "removed": removed})
