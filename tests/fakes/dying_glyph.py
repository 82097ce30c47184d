"""An MCP file server that reads normally and dies in the middle of every write_file call.

Used as an external stdio Glyph to check that a server dying mid-call gives ToolFailed and
leaves the file exactly as it was.
"""

from __future__ import annotations

import os
from pathlib import Path

from mcp.server.mcpserver import MCPServer

server: MCPServer = MCPServer("dying-glyph")


@server.tool()
def read_file(path: str) -> str:
    """Read a file."""
    return Path(path).read_text(encoding="utf-8")


@server.tool()
def write_file(path: str, content: str) -> str:
    """Die before writing anything."""
    os._exit(3)


if __name__ == "__main__":
    server.run("stdio")
