"""`Uri`: the one value type for document names, normalised once.

Clients spell the same file differently (`file:///tmp/my%20proj/a.py`, `file:///tmp/my proj/
a.py`, `file://localhost/...`, upper-case percent escapes, a Windows drive letter in either
case), and pygls keys its documents by the *unquoted* string. Every service compares `Uri`
values, never raw strings, so one spelling finds the document another spelling opened.
Other schemes (`untitled:`, `jdt:`) are kept as given: they name buffers, not files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from pygls.exceptions import JsonRpcInvalidParams

CASE_FOLDING_OS = os.name == "nt"
"""Where file names are case-insensitive, the key folds case (Windows; macOS is left alone
because its file systems vary)."""


@dataclass(frozen=True)
class Uri:
    """A normalised URI: `key` compares and hashes; `raw` is what the client sent."""

    key: str
    raw: str
    path: Path | None
    """The file-system path for `file:` URIs, None for other schemes."""

    @classmethod
    def parse(cls, raw: object, field: str = "uri") -> Uri:
        """Parse a client's URI; InvalidParams naming `field` when it is not a string URI."""
        if not isinstance(raw, str) or not raw:
            raise JsonRpcInvalidParams(
                message=f"invalid params: {field}: expected a URI string, got {type(raw).__name__}"
            )
        parts = urlsplit(raw)
        if parts.scheme.lower() != "file":
            if not parts.scheme:
                raise JsonRpcInvalidParams(
                    message=f"invalid params: {field}: {raw!r} is not a URI (no scheme)"
                )
            return cls(unquote(raw), raw, None)
        path = _file_path(unquote(parts.path), parts.netloc)
        key = "file://" + quote(path.as_posix(), safe="/:@!$&'()*+,;=-._~")
        return cls(key.lower() if CASE_FOLDING_OS else key, raw, path)

    @classmethod
    def for_path(cls, path: Path | str) -> Uri:
        return cls.parse(Path(path).absolute().as_uri())

    @property
    def is_file(self) -> bool:
        return self.path is not None

    def __str__(self) -> str:
        return self.key


def _file_path(path: str, host: str) -> Path:
    if host and host.lower() != "localhost":
        path = f"//{host}{path}"  # a UNC share
    if len(path) >= 3 and path[0] == "/" and path[2] == ":":
        path = path[1].upper() + path[2:]  # /c:/x -> C:/x
    return Path(os.path.normpath(path)) if path else Path("/")
