"""The Workspace service: the roots, confinement, and file work kept off the event loop.

Walking a tree, reading files and counting their tokens can take seconds in a big repository;
done on the event loop they would freeze every other request (completion, status). Here they
run in a worker thread, with caps from `[context]`, `$/progress` for long jobs, and a stop
flag that `$/cancelRequest` or the client's progress cancel sets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from zeke_ls.workspace import files
from zeke_ls.workspace.paths import relative_name

if TYPE_CHECKING:
    from zeke_ls.config.schema import ContextConfig
    from zeke_ls.core.progress import WorkProgress

T = TypeVar("T")


class WorkspaceService:
    def __init__(self, context_config: Callable[[], ContextConfig]):
        self.roots: list[Path] = []
        self._config = context_config

    @property
    def max_file_bytes(self) -> int:
        return self._config().max_file_bytes

    def set_roots(self, roots: list[Path]) -> None:
        self.roots = [root.resolve() for root in roots]

    def confine(self, path: Path) -> Path:
        return files.confine(path, self.roots)

    def read(self, path: Path) -> str:
        """A confined text file (blocking: small files, or call it through `run`)."""
        return files.read_confined(path, self.roots, self.max_file_bytes)

    def relative(self, path: Path) -> str:
        return relative_name(path, self.roots)

    def inside(self, path: Path) -> bool:
        return files.inside(path, self.roots)

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """Blocking file work in a worker thread; the event loop keeps answering."""
        return await asyncio.to_thread(work, *args)

    async def glob(self, pattern: str, progress: WorkProgress | None = None) -> files.GlobResult:
        """Files matching a glob under the roots, capped by `[context] max_glob_files`."""
        cap = self._config().max_glob_files
        stop = progress.cancelled if progress else None
        result = await self.run(files.glob_files, pattern, list(self.roots), cap, stop)
        if stop is not None and stop.is_set():
            raise asyncio.CancelledError
        return result
