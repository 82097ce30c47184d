"""Temporary files of atomic writes: how they are named, and removing the ones a killed writer
left behind.

An atomic write goes to `.NAME.PID.RANDOM.zeke-tmp` beside its target, then is renamed over
it, so a `kill -9` mid-write leaves the target whole but the temporary file behind. At start
the daemon removes the ones whose writer process is gone (and nameless old ones after an
hour); a live writer's file is never touched.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = ".zeke-tmp"
OLD_AFTER_S = 3600.0
MAX_DIRS = 20_000
"""A bound on the walk, so a huge tree cannot make start-up cleaning expensive."""
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", "target"}
_PID = re.compile(r"\.(\d+)\.[^.]+\.zeke-tmp$")


def temp_prefix(target: Path) -> str:
    """The `prefix` for tempfile.mkstemp: names the target and the writing process."""
    return f".{target.name}.{os.getpid()}."


def is_stale(path: Path, now: float) -> bool:
    found = _PID.search(path.name)
    if found is not None:
        return not process_alive(int(found.group(1)))
    try:
        return now - path.stat().st_mtime > OLD_AFTER_S
    except OSError:
        return False


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def remove_stale(roots: Sequence[Path]) -> list[Path]:
    """Remove stale temporary files under the roots (no symlinks followed); the removed ones."""
    removed: list[Path] = []
    now = time.time()
    seen_dirs = 0
    for root in roots:
        for folder, dirs, files in os.walk(root):
            seen_dirs += 1
            if seen_dirs > MAX_DIRS:
                return removed
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
            for name in files:
                path = Path(folder) / name
                if name.endswith(SUFFIX) and not path.is_symlink() and is_stale(path, now):
                    with contextlib.suppress(OSError):
                        path.unlink()
                        removed.append(path)
    if removed:
        log.info("removed %d stale temporary file(s) of interrupted writes", len(removed))
    return removed
