"""Bring a root's database up to date with the files on disk, incrementally.

A file is re-read only when its size or mtime changed, and re-parsed only when its content
hash changed too (a `touch` or a branch switch back costs a hash, not a parse). The walk is the
workspace's own `.gitignore`-aware walker, which never follows symlinks (so no loops). Caps on
files and bytes stop the walk with a note instead of indexing a whole home directory. Parsing
runs in worker processes for large batches (tree-sitter holds the GIL while it parses, and a
10,000-file build wants both cores); single files are parsed in the calling thread.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from zeke_ls.index.extract import FileRecord, Skipped, extract
from zeke_ls.index.languages import language_for
from zeke_ls.index.store import FileState, Store
from zeke_ls.workspace.walk import Ignore, walk_files

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
"""(done, total, message)."""
POOL_THRESHOLD = 64
"""Batches of at least this many files to parse go to worker processes."""
COMMIT_EVERY = 200


@dataclass(frozen=True)
class Limits:
    max_files: int = 20_000
    max_file_bytes: int = 1_000_000
    max_total_bytes: int = 300_000_000
    workers: int = 2
    """Parse processes for large batches; 0 parses in the calling thread."""


@dataclass
class Report:
    seen: int = 0
    parsed: int = 0
    touched: int = 0
    removed: int = 0
    skipped: int = 0
    truncated: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "seen": self.seen,
            "parsed": self.parsed,
            "unchanged": self.seen - self.parsed,
            "touched": self.touched,
            "removed": self.removed,
            "skipped": self.skipped,
            "truncated": self.truncated or None,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class OnDisk:
    rel: str
    mtime_ns: int
    size: int


def scan(root: Path, limits: Limits) -> tuple[list[OnDisk], str]:
    """Indexable files under the root, within the caps; (files, why truncated or "")."""
    found: list[OnDisk] = []
    total = 0
    for rel in walk_files(root, root):
        if language_for(rel) is None:
            continue
        try:
            stat = os.stat(root / rel, follow_symlinks=False)
        except OSError:
            continue
        if len(found) >= limits.max_files:
            return found, f"stopped at [index] max_files = {limits.max_files}"
        if stat.st_size <= limits.max_file_bytes:
            total += stat.st_size
        if total > limits.max_total_bytes:
            return found, f"stopped at [index] max_total_bytes = {limits.max_total_bytes}"
        found.append(OnDisk(rel, stat.st_mtime_ns, stat.st_size))
    return found, ""


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def sync(
    store: Store,
    limits: Limits,
    progress: Progress | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> Report:
    """Make the store match the root: parse what changed, drop what vanished."""
    started = time.perf_counter()
    report = Report()
    files, report.truncated = scan(store.root, limits)
    report.seen = len(files)
    known = store.file_states()
    on_disk = {f.rel for f in files}
    vanished = [rel for rel in known if rel not in on_disk]
    store.remove(vanished)
    report.removed = len(vanished)
    stale = [
        f
        for f in files
        if (state := known.get(f.rel)) is None
        or (state.mtime_ns, state.size) != (f.mtime_ns, f.size)
    ]
    write_changed(store, stale, known, limits, report, progress, pool)
    store.commit()
    report.seconds = time.perf_counter() - started
    return report


def write_changed(
    store: Store,
    stale: list[OnDisk],
    known: dict[str, FileState],
    limits: Limits,
    report: Report,
    progress: Progress | None,
    pool: ProcessPoolExecutor | None,
) -> None:
    """Hash the stale files, parse those whose content changed, write them."""
    todo: list[tuple[OnDisk, str, bytes]] = []
    for item in stale:
        data = read(store.root / item.rel, limits.max_file_bytes)
        if data is None:
            continue
        hashed = digest(data)
        state = known.get(item.rel)
        if state is not None and state.hash == hashed:
            store.touch(item.rel, item.mtime_ns, item.size)
            report.touched += 1
            continue
        todo.append((item, hashed, data))
    total = len(todo)
    for done, (item, hashed, result) in enumerate(parse_all(todo, limits, pool), start=1):
        store.write_file(item.rel, item.mtime_ns, item.size, hashed, result)
        report.parsed += 1
        report.skipped += isinstance(result, Skipped)
        if done % COMMIT_EVERY == 0:
            store.commit()
        if progress is not None and (done % 50 == 0 or done == total):
            progress(done, total, item.rel)


def read(path: Path, max_bytes: int) -> bytes | None:
    """The file's bytes; a file over the cap is read only far enough to be recorded as such."""
    try:
        with open(path, "rb") as handle:
            return handle.read(max_bytes + 1)
    except OSError:
        return None


def parse_all(
    todo: list[tuple[OnDisk, str, bytes]], limits: Limits, pool: ProcessPoolExecutor | None
) -> Iterable[tuple[OnDisk, str, FileRecord | Skipped]]:
    if pool is None or len(todo) < POOL_THRESHOLD:
        for item, hashed, data in todo:
            yield item, hashed, extract(item.rel, data, limits.max_file_bytes)
        return
    results = pool.map(
        extract,
        [t[0].rel for t in todo],
        [t[2] for t in todo],
        [limits.max_file_bytes] * len(todo),
        chunksize=16,
    )
    for (item, hashed, _), result in zip(todo, results, strict=True):
        yield item, hashed, result


def update_paths(store: Store, rels: Iterable[str], limits: Limits) -> Report:
    """Re-check a few files (after a save or a watcher event); missing ones are dropped."""
    started = time.perf_counter()
    report = Report()
    known = store.file_states()
    stale: list[OnDisk] = []
    for rel in rels:
        try:
            stat = os.stat(store.root / rel, follow_symlinks=False)
        except OSError:
            if rel in known:
                store.remove([rel])
                report.removed += 1
            continue
        if language_for(rel) is not None and os.path.isfile(store.root / rel):
            stale.append(OnDisk(rel, stat.st_mtime_ns, stat.st_size))
    report.seen = len(stale)
    write_changed(store, stale, known, limits, report, None, None)
    store.commit()
    report.seconds = time.perf_counter() - started
    return report


def ignored(root: Path, rel: str) -> bool:
    """Whether a changed path is hidden by a .gitignore on its way down from the root."""
    ignore = Ignore()
    parts = rel.split("/")
    if any(part in {".git", ".hg", ".svn"} for part in parts):
        return True
    for depth in range(len(parts)):
        base = "/".join(parts[:depth])
        ignore.load(root / base if base else root, base)
        here = "/".join(parts[: depth + 1])
        if ignore.ignored(here, depth < len(parts) - 1):
            return True
    return False
