"""Documents whose client never sends `didChange` (Grim), kept as fresh as the disk allows.

Grim sends `didOpen` with the full text and then nothing while the user types, so the
server's copy is the opened text. Until a document's first `didChange` (after which the
client is trusted to sync it), zeke-ls re-reads the file when it is newer on disk than the
copy: on `didSave` (its `text` when the client included it) and before each completion or
hover. Positions past the end of such a copy are clamped to it rather than refused.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from zeke_ls.services.documents import parse_uri
from zeke_ls.workspace.paths import resolve_in_roots

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer

log = logging.getLogger(__name__)


def clamp_position(text: str, line: int, character: int) -> tuple[int, int]:
    """A position inside `text`: past the last line means the end of the text."""
    lines = text.split("\n")
    if line < len(lines):
        return max(line, 0), max(character, 0)
    return len(lines) - 1, len(lines[-1])


class StaleDocuments:
    """URI -> mtime of the file when the copy was last synced, for documents never changed."""

    def __init__(self, server: ZekeServer):
        self.server = server
        self.synced: dict[str, float] = {}
        server.session.on_document(self.on_event)

    def on_event(self, event: str, params: Any) -> None:
        uri = params.text_document.uri
        if event == "didOpen":
            self.synced[uri] = self._mtime(uri) or 0.0
        elif event in ("didChange", "didClose"):
            self.synced.pop(uri, None)
        elif event == "didSave" and uri in self.synced:
            text = getattr(params, "text", None)
            if isinstance(text, str):
                self._replace(uri, text, self._mtime(uri) or 0.0)
            else:
                self.refresh(uri)

    def refresh(self, uri: str) -> None:
        """Re-read a never-changed document's file when it is newer than the copy."""
        if uri not in self.synced:
            return
        path = self._path(uri)
        mtime = self._mtime(uri)
        if path is None or mtime is None or mtime <= self.synced[uri]:
            return
        limit = self.server.session.config.context.max_file_bytes
        try:
            if path.stat().st_size > limit:
                return
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            log.info("cannot re-read %s: %s", path, exc)
            return
        self._replace(uri, text, mtime)

    def _replace(self, uri: str, text: str, mtime: float) -> None:
        document = self.server.session.documents.find(parse_uri(uri))
        self.synced[uri] = mtime
        if document is None or document.source == text:
            return
        document.apply_change(types.TextDocumentContentChangeWholeDocument(text=text))
        log.info("re-read %s from disk: the client sent no didChange", uri)

    def _path(self, uri: str) -> Path | None:
        fs_path = to_fs_path(uri) if uri.startswith("file:") else None
        return resolve_in_roots(Path(fs_path), self.server.session.roots) if fs_path else None

    def _mtime(self, uri: str) -> float | None:
        path = self._path(uri)
        try:
            return path.stat().st_mtime if path is not None else None
        except OSError:
            return None
