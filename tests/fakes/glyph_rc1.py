"""A stdio MCP file server with Glyph v0.1.0-rc1's quirks (FINDINGS.md), written by hand.

- banner lines on stdout before and between JSON-RPC messages;
- `initialize` refuses protocol versions newer than 2025-06-18 and answers with
  `protocolVersion: ""`;
- tool results are text content only (no structuredContent); writes go in place.
Usage: python glyph_rc1.py (reads newline-delimited JSON-RPC on stdin).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

NEWEST = "2025-06-18"
TOOLS = [
    {
        "name": name,
        "description": f"{name} (Glyph rc1)",
        "inputSchema": {
            "type": "object",
            "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
        },
    }
    for name in ("read_file", "write_file", "list_directory")
]


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def text(value: str, error: bool = False) -> dict[str, object]:
    return {"content": [{"type": "text", "text": value}], "isError": error}


def call(name: str, arguments: dict[str, str]) -> dict[str, object]:
    path = Path(arguments.get("path", ""))
    try:
        if name == "read_file":
            return text(path.read_text(encoding="utf-8"))
        if name == "write_file":
            path.write_text(arguments.get("content", ""), encoding="utf-8")  # in place
            return text(f"wrote {path}")
        if name == "list_directory":
            return text("\n".join(sorted(p.name for p in path.iterdir())))
    except OSError as exc:
        return text(str(exc), error=True)
    return text(f"unknown tool {name}", error=True)


def answer(message: dict[str, object]) -> dict[str, object] | None:
    method, params = message.get("method"), message.get("params") or {}
    assert isinstance(params, dict)
    if "id" not in message:
        return None
    base = {"jsonrpc": "2.0", "id": message["id"]}
    if method == "initialize":
        if str(params.get("protocolVersion", "")) > NEWEST:
            return base | {"error": {"code": -32602, "message": "unsupported protocol version"}}
        return base | {
            "result": {
                "protocolVersion": "",
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "glyph", "version": "0.1.0-rc1"},
            }
        }
    if method == "tools/list":
        return base | {"result": {"tools": TOOLS}}
    if method == "tools/call":
        return base | {"result": call(str(params.get("name")), dict(params.get("arguments") or {}))}
    if method == "ping":
        return base | {"result": {}}
    return base | {"error": {"code": -32601, "message": f"no method {method}"}}


def main() -> None:
    out("Glyph v0.1.0-rc1 - MCP file tools")
    out("listening on stdio")
    for line in sys.stdin:
        if not line.strip():
            continue
        response = answer(json.loads(line))
        if response is not None:
            out("[glyph] handled " + str(json.loads(line).get("method")))
            out(json.dumps(response))


if __name__ == "__main__":
    main()
