"""A raw LSP client that speaks exactly as Grim's bridge does (FINDINGS.md, Grim 806c3a5).

`initialize` with `processId: null`, `capabilities: {}`; `initialized` with `params: []`;
`didOpen` with the full text and never `didChange`; `textDocument/completion`, `hover` and
`documentHighlight` requests with only `textDocument` and `position`; every request from
the server is recorded and never answered; only `publishDiagnostics` would be shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import Any


class GrimClient:
    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.server_requests: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, command: list[str], env: dict[str, str], cwd: str) -> GrimClient:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )
        return cls(process)

    def _write(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)

    async def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := await stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if not line:
                return
            message = json.loads(await stream.readexactly(length))
            if "method" in message and "id" in message:
                self.server_requests.append(message)  # Grim never answers these
            elif "method" in message:
                self.notifications.append(message)
            elif (future := self.pending.pop(message.get("id"), None)) is not None:
                future.set_result(message)

    async def request(self, method: str, params: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The whole response message (`result` or `error`), or TimeoutError."""
        request_id = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        self._write({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        return await asyncio.wait_for(future, timeout)

    def notify(self, method: str, params: Any) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def initialize(self, root_uri: str) -> dict[str, Any]:
        answer = await self.request(
            "initialize", {"processId": None, "rootUri": root_uri, "capabilities": {}}, 30
        )
        self.notify("initialized", [])
        return answer

    def did_open(self, uri: str, text: str, language: str = "python") -> None:
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}},
        )

    def did_save(self, uri: str) -> None:
        self.notify("textDocument/didSave", {"textDocument": {"uri": uri}})

    def at(self, uri: str, line: int, character: int) -> dict[str, Any]:
        return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.request("shutdown", None, 10)
            self.notify("exit", None)
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self.reader.cancel()
