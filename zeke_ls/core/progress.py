"""LSP work-done progress (`$/progress`) for long jobs that run off the event loop.

A job (pinning a glob of thousands of files, building an index) runs in a worker thread; it
reports through `WorkProgress.report()` (thread-safe) and polls `WorkProgress.cancelled`,
which is set when the client cancels the progress token (`window/workDoneProgress/cancel`)
or the request itself (`$/cancelRequest`). Clients that do not support progress get none,
and lose nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)
_tokens = itertools.count(1)
REPORT_EVERY_S = 0.2


class WorkProgress:
    """One job's progress bar and cancellation flag."""

    def __init__(self, server: LanguageServer, title: str, token: Any = None):
        self._server = server
        self._title = title
        self._token = token
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_report = 0.0
        self.cancelled = threading.Event()

    async def __aenter__(self) -> WorkProgress:
        self._loop = asyncio.get_running_loop()
        if self._token is None and self._client_supports_progress():
            token = f"zeke-{next(_tokens)}"
            try:
                await asyncio.wait_for(self._server.work_done_progress.create_async(token), 2)
                self._token = token
            except Exception as exc:  # a client that cannot create one: no progress
                log.info("no work-done progress: %s", exc)
        if self._token is not None:
            self._server.work_done_progress.begin(
                self._token, types.WorkDoneProgressBegin(self._title, cancellable=True)
            )
            future = self._server.work_done_progress.tokens.get(self._token)
            if future is not None:
                future.add_done_callback(lambda _f: self.cancelled.set())
        return self

    async def __aexit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is not None:
            self.cancelled.set()  # also on CancelledError: the worker thread stops early
        if self._token is not None:
            message = "cancelled" if self.cancelled.is_set() else "done"
            self._server.work_done_progress.end(self._token, types.WorkDoneProgressEnd(message))
            with contextlib.suppress(Exception):
                self._server.work_done_progress.tokens.pop(self._token, None)

    def report(self, message: str, done: int = 0, total: int = 0) -> None:
        """From any thread; rate-limited so a fast job does not flood the client."""
        if self._token is None or self._loop is None:
            return
        now = self._loop.time()
        if now - self._last_report < REPORT_EVERY_S:
            return
        self._last_report = now
        percentage = min(100, done * 100 // total) if total else None
        value = types.WorkDoneProgressReport(message=message, percentage=percentage)
        self._loop.call_soon_threadsafe(self._server.work_done_progress.report, self._token, value)

    def _client_supports_progress(self) -> bool:
        window = self._server.client_capabilities.window
        return bool(window and window.work_done_progress)
