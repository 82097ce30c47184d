"""A WebSocket MCP server for tests: bridges each connection to an embedded `zeke-ls glyph`.

Glyph serves MCP over WebSocket (one JSON-RPC message per text frame, subprotocol `mcp`); the
MCP SDK has no WebSocket server, so this bridge forwards frames to a stdio Glyph child and
back. Run: `python tests/fakes/ws_glyph.py PORT ROOT` (loopback only).
"""

from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import ServerConnection, serve


async def bridge(socket: ServerConnection, root: str) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "zeke_ls",
        "glyph",
        "--root",
        root,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    stdout = child.stdout

    async def to_socket() -> None:
        while line := await stdout.readline():
            await socket.send(line.decode().rstrip("\n"))

    pump = asyncio.create_task(to_socket())
    try:
        async for frame in socket:
            child.stdin.write(
                (frame if isinstance(frame, str) else frame.decode()).encode() + b"\n"
            )
            await child.stdin.drain()
    finally:
        pump.cancel()
        child.kill()
        await child.wait()


async def main(port: int, root: str) -> None:
    async with serve(lambda ws: bridge(ws, root), "127.0.0.1", port, subprotocols=["mcp"]):  # type: ignore[list-item]
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
