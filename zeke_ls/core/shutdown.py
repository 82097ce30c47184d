"""Closing a session however the daemon ends: `shutdown`, stdin EOF, SIGTERM or `exit`.

Background tasks are cancelled, then the closers run (HTTP clients, the managed local model
and its log file, the embedded Glyph), each bounded, so that a hung child cannot keep the
daemon alive. Safe to run more than once: every closer is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zeke_ls.core.session import Session

log = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 15.0


async def close_session(session: Session, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            tasks = list(session.tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for closer in session.closers:
                try:
                    await closer()
                except Exception:
                    log.exception("closing failed")
    except TimeoutError:
        log.error("closing the session took over %g s; exiting anyway", timeout_s)
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
