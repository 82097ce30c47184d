"""The real daemon on raw pipes: send any bytes, read every framed message it writes back.

pytest-lsp cannot send broken framing or invalid JSON-RPC, so the framing and lifecycle
attacks use this: `python -m zeke_ls` with stdin/stdout pipes, stderr to a file, an isolated
HOME and TMPDIR, and bounded waits everywhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pygls.uris import from_fs_path

from tests.harness import daemon_env

WAIT_S = 10.0


def frame(body: bytes | str | dict[str, Any]) -> bytes:
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def request(msg_id: Any, method: str, params: Any = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


class RawDaemon:
    def __init__(
        self,
        tmp_path: Path,
        config_text: str | None = None,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
    ):
        self.tmp_path = tmp_path
        self.home = tmp_path / "home"
        self.tmpdir = tmp_path / "tmp"
        self.root = tmp_path / "workspace"
        for folder in (self.home, self.tmpdir, self.root):
            folder.mkdir(exist_ok=True)
        self.stderr_path = tmp_path / "stderr.log"
        self.args = list(args or [])
        if config_text is not None:
            config = tmp_path / "zeke.toml"
            config.write_text(config_text, encoding="utf-8")
            self.args += ["--config", str(config)]
        self.env = daemon_env(self.home, {"TMPDIR": str(self.tmpdir), **(env or {})})
        self.proc: asyncio.subprocess.Process | None = None
        self.messages: list[dict[str, Any]] = []
        self._buffer = b""

    async def start(self) -> RawDaemon:
        with self.stderr_path.open("wb") as stderr:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "zeke_ls",
                *self.args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                env=self.env,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def send(self, data: bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(data)
        await self.proc.stdin.drain()

    async def initialize(self, root: Path | None = None) -> dict[str, Any]:
        uri = from_fs_path(str(root or self.root))
        params = {
            "processId": None,
            "rootUri": uri,
            "capabilities": {},
            "workspaceFolders": [{"uri": uri, "name": "ws"}],
        }
        await self.send(frame(request("init", "initialize", params)))
        answer = await self.answer("init")
        await self.send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        return answer

    async def read_one(self, timeout: float = WAIT_S) -> dict[str, Any] | None:
        """The next framed message, or None at EOF."""
        assert self.proc is not None and self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                head, sep, rest = self._buffer.partition(b"\r\n\r\n")
                if sep:
                    length = int(head.split(b"Content-Length:")[1].split(b"\r\n")[0])
                    if len(rest) >= length:
                        self._buffer = rest[length:]
                        message = json.loads(rest[:length])
                        self.messages.append(message)
                        return message
                chunk = await self.proc.stdout.read(65536)
                if not chunk:
                    return None
                self._buffer += chunk

    async def wait_for(
        self,
        predicate: Callable[[dict[str, Any]], bool],
        timeout: float = WAIT_S,
        since: int = 0,
    ) -> dict[str, Any]:
        """The first message (from index `since` on) that matches."""
        for message in self.messages[since:]:
            if predicate(message):
                return message
        async with asyncio.timeout(timeout):
            while True:
                message = await self.read_one(timeout)
                if message is None:
                    raise EOFError("the daemon closed stdout")
                if predicate(message):
                    return message

    async def answer(self, msg_id: Any, timeout: float = WAIT_S, since: int = 0) -> dict[str, Any]:
        """The response to request `msg_id` (its id may be null for id-less errors)."""
        return await self.wait_for(
            lambda m: "method" not in m and m.get("id", "absent") == msg_id, timeout, since
        )

    async def call(self, msg_id: Any, method: str, params: Any = None) -> dict[str, Any]:
        await self.send(frame(request(msg_id, method, params)))
        return await self.answer(msg_id)

    async def alive(self) -> bool:
        """The daemon still answers a request after whatever was sent before."""
        probe = f"probe-{len(self.messages)}"
        try:
            answer = await self.call(probe, "zeke/status", {})
        except (TimeoutError, EOFError, ConnectionError):
            return False
        return "result" in answer

    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8", "replace")

    async def close_stdin(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.close()

    async def exited(self, timeout: float = WAIT_S) -> int | None:
        assert self.proc is not None
        try:
            async with asyncio.timeout(timeout):
                return await self.proc.wait()
        except TimeoutError:
            return None

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
