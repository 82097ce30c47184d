"""`zeke-ls shim NAME`: serve zeke-ls under the name of the server an editor starts.

Grim starts a fixed server per language (Python: `pylsp`) and has no LSP settings, so the
only way to put zeke-ls behind it is an executable of that name on PATH. So that the user
loses nothing, the shim also starts the real server of that name (the next one on PATH that
is not a shim, or `--real`) and multiplexes one LSP connection onto both:
- notifications (didOpen, didChange, ...) go to both; `initialize` and `shutdown` go to both
  and answer once both did (capabilities merged: the real server's, plus zeke-ls's extras);
- completion and code actions go to both and the lists are joined; hover prefers the real
  server's answer and falls back to zeke-ls's; `workspace/executeCommand` goes to whichever
  server offers the command; `zeke/*` goes to zeke-ls; everything else to the real server;
- requests from either server get ids of their own towards the client.
Without a real server (or once it exits) everything goes to zeke-ls alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MARKER = "zeke-ls shim"
GUARD = "ZEKE_SHIM_ACTIVE"
REAL_TIMEOUT_S = 30.0
BOTH = {"textDocument/completion", "textDocument/codeAction", "textDocument/hover"}


def shim_script(name: str) -> str:
    """A `name` script that runs this installation's zeke-ls (whatever PATH the editor has)."""
    return (
        f'#!/bin/sh\n# {MARKER} for editors that start "{name}": zeke-ls plus the real '
        f'{name}\nexec {shlex.quote(sys.executable)} -m zeke_ls shim {name} "$@"\n'
    )


def is_shim(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return MARKER.encode() in handle.read(4096)
    except OSError:
        return True


def find_real(name: str, explicit: str | None) -> list[str] | None:
    """The real server's command: `--real`, else the first `name` on PATH that is no shim."""
    if explicit:
        return explicit.split()
    me = Path(sys.argv[0]).resolve()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        found = shutil.which(name, path=folder) if folder else None
        if found and Path(found).resolve() != me and not is_shim(Path(found)):
            return [found]
    return None


# --- framing --------------------------------------------------------------------------------


async def read_message(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    length = None
    while True:
        line = await reader.readline()
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("ascii", "replace").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length is None:
        return None
    message: dict[str, Any] = json.loads(await reader.readexactly(length))
    return message


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


class Child:
    """One server process behind the shim."""

    def __init__(self, name: str, process: asyncio.subprocess.Process):
        self.name = name
        self.process = process
        self.pending: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self.commands: set[str] = set()

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    def send(self, message: dict[str, Any]) -> None:
        if self.alive and self.process.stdin is not None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                self.process.stdin.write(frame(message))

    async def request(self, message: dict[str, Any], limit_s: float | None) -> Any:
        """Forward a client request; its response message (None if gone or too slow)."""
        if not self.alive:
            return None
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[message["id"]] = future
        self.send(message)
        try:
            return await asyncio.wait_for(future, limit_s)
        except TimeoutError:
            return None
        finally:
            self.pending.pop(message["id"], None)


class Shim:
    def __init__(self, writer: Any, zeke: Child, real: Child | None):
        self.out = writer
        self.zeke = zeke
        self.real = real
        self.server_requests: dict[str, tuple[Child, Any]] = {}
        self.counter = 0

    def to_client(self, message: dict[str, Any]) -> None:
        self.out.write(frame(message))
        self.out.flush()

    def children(self) -> list[Child]:
        return [c for c in (self.real, self.zeke) if c is not None and c.alive]

    # --- from the servers -------------------------------------------------------------------

    async def pump(self, child: Child) -> None:
        assert child.process.stdout is not None
        while (message := await read_message(child.process.stdout)) is not None:
            if "method" in message and "id" in message:  # a server request: an id of our own
                self.counter += 1
                shim_id = f"{child.name}-{self.counter}"
                self.server_requests[shim_id] = (child, message["id"])
                self.to_client(message | {"id": shim_id})
            elif "method" in message:
                self.to_client(message)
            elif (future := child.pending.get(message.get("id"))) and not future.done():
                future.set_result(message)
        for future in child.pending.values():
            if not future.done():
                future.set_result({"id": None, "result": None})

    # --- from the client --------------------------------------------------------------------

    async def handle(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        if method is None:  # the client's answer to a server request
            child, original = self.server_requests.pop(str(message.get("id")), (None, None))
            if child is not None:
                child.send(message | {"id": original})
            return
        if "id" not in message:
            for child in self.children():
                child.send(message)
            return
        try:
            response = await self.answer(message)
        except Exception as exc:  # never leave the editor waiting
            log.exception("shim failed on %s", method)
            response = {"error": {"code": -32603, "message": f"zeke-ls shim: {exc}"}}
        self.to_client({"jsonrpc": "2.0", "id": message["id"]} | response)

    async def answer(self, message: dict[str, Any]) -> dict[str, Any]:
        method = str(message["method"])
        real = self.real if self.real is not None and self.real.alive else None
        if method in ("initialize", "shutdown"):
            return await self.both(message, real)
        if real is None or method.startswith("zeke/"):
            return strip(await self.zeke.request(message, None))
        if method == "workspace/executeCommand":
            command = (message.get("params") or {}).get("command")
            target = self.zeke if command in self.zeke.commands else real
            return strip(await target.request(message, None))
        if method in BOTH:
            return await self.joined(method, message, real)
        return strip(await real.request(message, None))

    async def both(self, message: dict[str, Any], real: Child | None) -> dict[str, Any]:
        zeke_task = asyncio.ensure_future(self.zeke.request(message, None))
        real_answer = await real.request(message, REAL_TIMEOUT_S) if real else None
        zeke_answer = await zeke_task
        if message["method"] == "initialize":
            return {"result": merge_initialize(self, strip(real_answer), strip(zeke_answer))}
        return {"result": None}

    async def joined(self, method: str, message: dict[str, Any], real: Child) -> dict[str, Any]:
        zeke_task = asyncio.ensure_future(self.zeke.request(message, None))
        real_answer = strip(await real.request(message, None)).get("result")
        if method == "textDocument/hover" and real_answer:
            zeke_task.cancel()
            self.zeke.send(
                {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": message["id"]}}
            )
            return {"result": real_answer}
        zeke_answer = strip(await zeke_task).get("result")
        if method == "textDocument/hover":
            return {"result": zeke_answer}
        if method == "textDocument/codeAction":
            return {"result": (real_answer or []) + (zeke_answer or [])}
        return {"result": merge_completions(real_answer, zeke_answer)}


def strip(response: dict[str, Any] | None) -> dict[str, Any]:
    """A response message as the part to send on: `result` or `error`."""
    if not response:
        return {"result": None}
    if "error" in response:
        return {"error": response["error"]}
    return {"result": response.get("result")}


def merge_completions(real: Any, zeke: Any) -> dict[str, Any]:
    def parts(value: Any) -> tuple[list[Any], bool]:
        if isinstance(value, dict):
            return list(value.get("items") or []), bool(value.get("isIncomplete"))
        return list(value or []), False

    real_items, real_incomplete = parts(real)
    zeke_items, zeke_incomplete = parts(zeke)
    return {"isIncomplete": real_incomplete or zeke_incomplete, "items": zeke_items + real_items}


def merge_initialize(shim: Shim, real: dict[str, Any], zeke: dict[str, Any]) -> Any:
    zeke_result = zeke.get("result") or {}
    zeke_caps = dict(zeke_result.get("capabilities") or {})
    shim.zeke.commands = set((zeke_caps.get("executeCommandProvider") or {}).get("commands", []))
    real_result = real.get("result") or {}
    if not real_result:
        return zeke_result
    caps = dict(real_result.get("capabilities") or {})
    for key, value in zeke_caps.items():
        caps.setdefault(key, value)
    commands = (caps.get("executeCommandProvider") or {}).get("commands", [])
    real_commands = (real_result.get("capabilities") or {}).get("executeCommandProvider") or {}
    if real_commands:
        caps["executeCommandProvider"] = {
            "commands": list(dict.fromkeys([*commands, *shim.zeke.commands]))
        }
    info = real_result.get("serverInfo") or {}
    return real_result | {
        "capabilities": caps,
        "serverInfo": {
            "name": f"zeke-ls + {info.get('name', 'real server')}",
            "version": zeke_result.get("serverInfo", {}).get("version", ""),
        },
    }


# --- running --------------------------------------------------------------------------------


async def spawn(name: str, command: Sequence[str]) -> Child | None:
    env = os.environ | {GUARD: "1"}
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env
        )
    except OSError as exc:
        log.warning("cannot start %s (%s): %s", name, " ".join(command), exc)
        return None
    return Child(name, process)


async def serve(name: str, real_command: list[str] | None, zeke_args: list[str]) -> int:
    zeke = await spawn("zeke", [sys.executable, "-m", "zeke_ls", *zeke_args])
    if zeke is None:
        return 1
    real = await spawn(name, real_command) if real_command else None
    shim = Shim(sys.stdout.buffer, zeke, real)
    pumps = [asyncio.ensure_future(shim.pump(c)) for c in (zeke, real) if c is not None]
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    tasks: set[asyncio.Task[None]] = set()
    while (message := await read_message(reader)) is not None:
        task = asyncio.ensure_future(shim.handle(message))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if message.get("method") == "exit":
            break
    for child in (zeke, real):
        if child is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(child.process.wait(), 5)
            if child.alive:
                child.process.kill()
    for pump in pumps:
        pump.cancel()
    return 0


def run_shim(
    name: str,
    real: str | None,
    zeke_args: list[str],
    install: str | None,
    extra: list[str] | None = None,
) -> int:
    if install:
        target = Path(install).expanduser() / name
        target.write_text(shim_script(name), encoding="utf-8")
        target.chmod(0o755)
        print(f"wrote {target}: put {target.parent} before the real {name} on PATH")
        return 0
    if os.environ.get(GUARD):
        print(
            f"zeke-ls shim: {name} resolves to the shim itself; not starting twice", file=sys.stderr
        )
        return 1
    real_command = find_real(name, real)
    if real_command is not None:
        real_command += extra or []
    if real_command is None:
        print(f"zeke-ls shim: no real {name} on PATH: serving zeke-ls alone", file=sys.stderr)
    return asyncio.run(serve(name, real_command, zeke_args))
