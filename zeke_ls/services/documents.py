"""The Documents service: find a document however its URI is spelled, read the open buffer
(unsaved edits win) or else the file on disk, and slice text with the one position codec.

pygls keeps open documents keyed by the unquoted URI string. Features never index that dict
themselves: they ask `find()` with a `Uri`, which matches by normalised key and, for files,
by resolved path (a symlinked spelling of an open file finds it too).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from pygls.exceptions import JsonRpcInvalidParams

from zeke_ls.context.positions import PositionCodec
from zeke_ls.core.rpc import NotFound, Refused
from zeke_ls.services.uri import Uri

if TYPE_CHECKING:
    from pygls.workspace import TextDocument, Workspace

    from zeke_ls.services.workspace import WorkspaceService


@functools.lru_cache(maxsize=512)
def parse_uri(raw: str) -> Uri:
    return Uri.parse(raw)


class Documents:
    def __init__(self, pygls_workspace: Callable[[], Workspace], files: WorkspaceService):
        self._workspace = pygls_workspace
        self._files = files

    @property
    def codec(self) -> PositionCodec:
        """Built from the encoding negotiated at initialize (UTF-16 unless the client chose)."""
        return PositionCodec.of(self._workspace().position_encoding)

    def find(self, uri: Uri) -> TextDocument | None:
        """The open document for a URI, whatever spelling the client used."""
        documents = self._workspace().text_documents
        direct = documents.get(unquote(uri.raw))
        if direct is not None:
            return direct
        for raw, document in documents.items():
            other = _parse_quietly(raw)
            if other is not None and other.key == uri.key:
                return document
        if uri.path is None:
            return None
        real = uri.path.resolve()
        for raw, document in documents.items():
            other = _parse_quietly(raw)
            if other is not None and other.path is not None and other.path.resolve() == real:
                return document
        return None

    def require_open(self, uri: Uri) -> TextDocument:
        document = self.find(uri)
        if document is None:
            raise NotFound(f"document is not open: {uri.raw}")
        return document

    def text(self, uri: Uri) -> str:
        """The open buffer's text, else the file on disk (inside the roots only)."""
        document = self.find(uri)
        if document is not None:
            return document.source
        if uri.path is None:
            raise NotFound(f"document is not open and is not a file: {uri.raw}")
        return self._files.read(uri.path)

    def path(self, uri: Uri) -> Path:
        """The confined real path of a file URI; Refused for other schemes or outside paths."""
        if uri.path is None:
            raise Refused(f"not a file URI: {uri.raw}")
        return self._files.confine(uri.path)

    def name(self, uri: Uri) -> str:
        """The path relative to its root, for prompts and labels."""
        return self._files.relative(uri.path.resolve()) if uri.path else uri.raw

    def language(self, uri: Uri) -> str:
        document = self.find(uri)
        if document is not None and document.language_id:
            return document.language_id
        return (uri.path.suffix if uri.path else "").lstrip(".")

    def open_texts(self) -> dict[Path, str]:
        """Open buffers of files, by resolved path: they win over the disk."""
        found: dict[Path, str] = {}
        for raw, document in self._workspace().text_documents.items():
            uri = _parse_quietly(raw)
            if uri is not None and uri.path is not None:
                found[uri.path.resolve()] = document.source
        return found

    def open_uris(self) -> list[Uri]:
        found = (_parse_quietly(raw) for raw in self._workspace().text_documents)
        return [uri for uri in found if uri is not None]

    def slice(self, text: str, start: tuple[int, int], end: tuple[int, int]) -> str:
        return self.codec.slice(text, start, end)

    def check_range(
        self, text: str, start: tuple[int, int], end: tuple[int, int], uri: Uri
    ) -> None:
        """A range must lie inside the text: lines past the end or a start after the end
        are InvalidParams; a column past the end of its line is clamped (as LSP says)."""
        codec = self.codec
        where = f"{start[0]}:{start[1]}-{end[0]}:{end[1]}"
        for line, _character in (start, end):
            if codec.line_end_units(text, line) is None:
                count = len(text.splitlines()) or 1
                raise JsonRpcInvalidParams(
                    message=f"range {where} is outside {uri.raw} ({count} lines)"
                )
        if codec.offset(text, *start) > codec.offset(text, *end):
            raise JsonRpcInvalidParams(message=f"range {where} starts after it ends in {uri.raw}")


def _parse_quietly(raw: str) -> Uri | None:
    try:
        return parse_uri(raw)
    except JsonRpcInvalidParams:
        return None
