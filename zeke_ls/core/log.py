"""Logging: to a file and to the client's `window/logMessage`, never to stdout. Every handler
formats through `ScrubbingFormatter`, so no key in effect reaches any of them."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from lsprotocol import types

from zeke_ls.providers.scrub import ScrubbingFormatter

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

LSP_LEVELS = [
    (logging.ERROR, types.MessageType.Error),
    (logging.WARNING, types.MessageType.Warning),
    (logging.INFO, types.MessageType.Info),
    (logging.DEBUG, types.MessageType.Log),
]


class LspLogHandler(logging.Handler):
    """Forwards records to the client once it is connected; drops them while sending fails."""

    def __init__(self, server: LanguageServer, level: int):
        super().__init__(level)
        self.server = server
        self._sending = False

    def emit(self, record: logging.LogRecord) -> None:
        if self._sending or self.server.protocol.writer is None:
            return
        self._sending = True  # sending can log too: never recurse
        try:
            kind = next(kind for level, kind in LSP_LEVELS if record.levelno >= level)
            self.server.window_log_message(
                types.LogMessageParams(type=kind, message=self.format(record))
            )
        except Exception:  # noqa: S110 - the client went away: logging must never break the daemon
            pass
        finally:
            self._sending = False


def setup(log_file: str | None, verbose: bool, stdio: bool) -> None:
    """Root logging: the file (if any) at DEBUG/INFO, stderr when not serving over stdio only."""
    level = logging.DEBUG if verbose else logging.INFO
    root = logging.getLogger()
    root.setLevel(level)
    fmt = ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    if log_file:
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(fmt)
        root.addHandler(handler)
    # stderr is safe even over stdio (LSP only owns stdout), but stays quiet unless verbose.
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(fmt)
    stderr.setLevel(level if (verbose or not stdio) else logging.WARNING)
    root.addHandler(stderr)
    for noisy in ("pygls.protocol", "pygls.feature_manager", "httpx", "httpcore", "watchfiles"):
        logging.getLogger(noisy).setLevel(logging.WARNING if not verbose else logging.INFO)


def attach_to_client(server: LanguageServer, verbose: bool) -> None:
    handler = LspLogHandler(server, logging.DEBUG if verbose else logging.INFO)
    handler.setFormatter(ScrubbingFormatter("%(name)s: %(message)s"))
    logging.getLogger("zeke_ls").addHandler(handler)
