"""The embedded Glyph: an MCP server over stdio with file tools confined to workspace roots.

`zeke-ls glyph --root DIR...` serves `read_file`, `write_file`, `delete_file`, `scan`, `search`
and `list_directory` under the tool names of the real Glyph (plus the scan/search Glyph lacks).
The daemon starts it as a child process when `[services.glyph] mcp_transport = "embedded"`;
any MCP client can use it too. Refusals (outside the roots, binary, too large, bad arguments)
are MCP tool errors (`is_error: true`) with a message naming the path and the reason.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from zeke_ls import __version__
from zeke_ls.glyph import fast
from zeke_ls.workspace import walk
from zeke_ls.glyph.sandbox import Sandbox, SandboxError

MAX_LIMIT = 10_000


def build_server(sandbox: Sandbox) -> MCPServer:
    """An MCPServer whose tools all go through `sandbox`."""
    server: MCPServer = MCPServer(
        "glyph", version=__version__, instructions="File tools confined to the workspace roots."
    )

    @server.tool()
    def read_file(path: str) -> str:
        """Read a UTF-8 text file inside the workspace roots."""
        return _guard(lambda: sandbox.read_text(path))

    @server.tool()
    def write_file(path: str, content: str) -> dict[str, Any]:
        """Atomically create or replace a UTF-8 text file inside the workspace roots."""
        written = _guard(lambda: sandbox.write_text(path, content))
        return {"path": path, "bytes": written}

    @server.tool()
    def delete_file(path: str) -> dict[str, Any]:
        """Delete a text file inside the workspace roots."""
        _guard(lambda: sandbox.delete(path))
        return {"path": path, "deleted": True}

    @server.tool()
    def list_directory(path: str = ".") -> dict[str, Any]:
        """List a directory's entries (name, type: file|directory|other)."""
        return {"path": path, "entries": _guard(lambda: sandbox.list_directory(path))}

    @server.tool()
    def scan(path: str = ".", globs: list[str] | None = None, limit: int = 5000) -> dict[str, Any]:
        """List files under `path` matching any glob (`**/*.py`), honouring .gitignore."""
        start = _directory(sandbox, path)
        _check_limit(limit)
        files, truncated = fast.scan(sandbox.roots[0], start, globs, limit)
        return {"files": files, "truncated": truncated}

    @server.tool()
    def search(
        query: str,
        path: str = ".",
        regex: bool = False,
        case_sensitive: bool = True,
        globs: list[str] | None = None,
        limit: int = 200,
    ) -> dict[str, Any]:
        """Find text (or a regex) in files under `path`: path, 1-based line and column, text."""
        start = _directory(sandbox, path)
        _check_limit(limit)
        if not query:
            raise ToolError("query must not be empty")
        try:
            pattern = walk.compile_query(query, regex, case_sensitive)
        except re.error as exc:
            raise ToolError(f"invalid regex {query!r}: {exc}") from None
        hits, truncated = fast.search(
            sandbox.roots[0],
            start,
            pattern,
            query,
            regex,
            case_sensitive,
            globs,
            limit,
            sandbox.max_bytes,
        )
        return {"matches": [h.to_json() for h in hits], "truncated": truncated}

    return server


def _guard(action: Any) -> Any:
    """Sandbox refusals and OS errors become tool errors with a precise message."""
    try:
        return action()
    except SandboxError as exc:
        raise ToolError(str(exc)) from None
    except OSError as exc:
        raise ToolError(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None


def _directory(sandbox: Sandbox, path: str) -> Any:
    real = _guard(lambda: sandbox.resolve(path))
    if not real.is_dir():
        raise ToolError(f"not a directory: {path}")
    if not real.is_relative_to(sandbox.roots[0]):
        raise ToolError(f"scan and search work under the first root only: {path}")
    return real


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ToolError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")


def run_glyph(roots: list[str], max_bytes: int) -> int:
    """Serve MCP over stdio until the client closes stdin."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    try:
        sandbox = Sandbox(roots, max_bytes)
    except SandboxError as exc:
        print(f"zeke-ls glyph: {exc}", file=sys.stderr)
        return 2
    build_server(sandbox).run("stdio")
    return 0
