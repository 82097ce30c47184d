"""Shutdown, stdin EOF, SIGTERM and SIGKILL with a stream open and a child process running;
cancellation in the same write as the request; stale temporary files from a killed writer.

The child is the managed local model (`[providers.llamacpp]`), played by the stand-in
`llama_cpp` package in tests/fakes/pkgs, which streams slowly so the daemon is always caught
mid-stream.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests.fakes.provider import Reply
from tests.faults.raw import RawDaemon, frame, request
from tests.harness import loopback_config

PKGS = Path(__file__).resolve().parents[1] / "fakes" / "pkgs"

pytestmark = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")


def local_config(model: Path) -> str:
    return f"""
[aliases]
local = "llamacpp:stand-in"
[providers.llamacpp]
model_path = "{model}"
[chat]
model = "local"
[routing]
health_interval_ms = 600000
"""


def child_env() -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([str(PKGS), os.environ.get("PYTHONPATH", "")])}


def processes_with(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line mentions `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and "llama_cpp.server" in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


async def gone(marker: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not processes_with(marker):
            return True
        await asyncio.sleep(0.05)
    return False


async def daemon_mid_stream(tmp_path: Path) -> tuple[RawDaemon, str]:
    """A daemon whose managed child is streaming a chat answer right now."""
    model = tmp_path / "stand-in.gguf"
    model.write_bytes(b"GGUF stand-in")
    daemon = RawDaemon(tmp_path, local_config(model), env=child_env())
    await daemon.start()
    await daemon.initialize()
    await daemon.send(frame(request("chat", "zeke/chat", {"message": "hi", "tools": False})))
    await daemon.wait_for(lambda m: m.get("method") == "zeke/chatDelta", timeout=30)
    return daemon, str(model)


def llama_logs(daemon: RawDaemon) -> list[str]:
    return sorted(p.name for p in daemon.tmpdir.glob("zeke-llamacpp-*.log"))


async def test_stdin_eof_mid_stream_stops_the_child_and_removes_its_log(tmp_path, tally):
    dead = await asyncio.create_subprocess_exec("true")
    await dead.wait()
    stale_log = tmp_path / "tmp" / f"zeke-llamacpp-{dead.pid}-x1y2.log"  # a SIGKILLed daemon's
    stale_log.parent.mkdir()
    stale_log.write_text("old")
    daemon, marker = await daemon_mid_stream(tmp_path)
    try:
        tally.check("a dead daemon's llama.cpp log is removed", not stale_log.exists())
        tally.check(
            "EOF: child running and logging",
            bool(processes_with(marker)) and bool(llama_logs(daemon)),
            llama_logs(daemon),
        )
        await daemon.close_stdin()
        code = await daemon.exited()
        tally.check("EOF: daemon exits", code is not None, code)
        tally.check("EOF: child stopped", await gone(marker))
        tally.check(
            "EOF: no llama.cpp log left in TMPDIR", not llama_logs(daemon), llama_logs(daemon)
        )
    finally:
        await daemon.stop()


async def test_sigterm_mid_stream_stops_the_child_and_removes_its_log(tmp_path, tally):
    daemon, marker = await daemon_mid_stream(tmp_path)
    try:
        daemon.signal(signal.SIGTERM)
        code = await daemon.exited()
        tally.check("SIGTERM: daemon exits", code is not None, code)
        tally.check("SIGTERM: child stopped", await gone(marker))
        tally.check(
            "SIGTERM: no llama.cpp log left in TMPDIR", not llama_logs(daemon), llama_logs(daemon)
        )
    finally:
        await daemon.stop()


async def test_sigkill_of_the_daemon_kills_the_child(tmp_path, tally):
    daemon, marker = await daemon_mid_stream(tmp_path)
    try:
        daemon.signal(signal.SIGKILL)
        await daemon.exited()
        tally.check(
            "SIGKILL: child dies with the daemon", await gone(marker), processes_with(marker)
        )
    finally:
        for pid in processes_with(marker):
            os.kill(pid, signal.SIGKILL)
        await daemon.stop()


async def test_shutdown_mid_stream_then_exit(tmp_path, tally):
    daemon, marker = await daemon_mid_stream(tmp_path)
    try:
        answer = await daemon.call("down", "shutdown")
        tally.check("shutdown answered", "result" in answer, answer)
        chat = await daemon.answer("chat")
        tally.check("the open chat is answered", "result" in chat or "error" in chat, chat)
        tally.check("shutdown: child stopped", await gone(marker))
        await daemon.send(frame({"jsonrpc": "2.0", "method": "exit"}))
        tally.check("exit after shutdown: code 0", await daemon.exited() == 0)
        tally.check("shutdown: no llama.cpp log left", not llama_logs(daemon))
    finally:
        await daemon.stop()


async def test_chat_cancelled_in_the_same_write_answers_the_partial_result(tmp_path, fake, tally):
    fake.default = Reply(first_delay_s=0.3)
    daemon = RawDaemon(tmp_path, loopback_config(fake.url))
    await daemon.start()
    try:
        await daemon.initialize()
        await daemon.send(
            frame(request(41, "zeke/chat", {"message": "hi", "tools": False}))
            + frame({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 41}})
        )
        answer = await daemon.answer(41)
        result = answer.get("result") or {}
        tally.check(
            "cancel in the same write: partial result",
            result.get("cancelled") is True and result.get("finishReason") == "cancelled",
            answer,
        )
        history = await daemon.call("h", "zeke/chatHistory", {"chatId": result.get("chatId")})
        last = (history.get("result") or {}).get("messages", [{}])[-1]
        tally.check(
            "cancel in the same write: kept in history", last.get("cancelled") is True, history
        )
    finally:
        await daemon.stop()


async def test_stale_temporary_files_of_a_killed_writer_are_removed_at_start(tmp_path, tally):
    daemon = RawDaemon(tmp_path)
    (daemon.root / "src").mkdir()
    dead = await asyncio.create_subprocess_exec("true")
    await dead.wait()
    stale = daemon.root / "src" / f".app.py.{dead.pid}.k2j4.zeke-tmp"
    old_style = daemon.root / ".notes.md.x8f1.zeke-tmp"
    live = daemon.root / f".live.py.{os.getpid()}.a1b2.zeke-tmp"  # a writer still running
    for path in (stale, old_style, live):
        path.write_text("half")
    hour_ago = time.time() - 3600
    os.utime(old_style, (hour_ago, hour_ago))
    await daemon.start()
    try:
        await daemon.initialize()
        deadline = time.monotonic() + 10
        while (stale.exists() or old_style.exists()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        tally.check("stale temp file of a dead writer removed", not stale.exists())
        tally.check("hour-old temp file removed", not old_style.exists())
        tally.check("a live writer's temp file kept", live.exists())
    finally:
        await daemon.stop()


async def test_kill_9_during_glyph_writes_never_leaves_a_half_written_file(tmp_path, tally):
    """Bounded: three Glyph processes, each sent six 1.5 MB writes at once and killed after
    a different delay, so that one is caught before, during or after any given write."""
    root = tmp_path / "ws"
    root.mkdir()
    size = 1_500_000
    for round_ in range(3):
        targets = [root / f"data{round_}-{i}.txt" for i in range(6)]
        for target in targets:
            target.write_text("original")
        proc = await asyncio.create_subprocess_exec(
            *glyph_command(root),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert proc.stdin and proc.stdout
        await mcp_handshake(proc)
        for i, target in enumerate(targets):
            call = {
                "jsonrpc": "2.0",
                "id": 10 + i,
                "method": "tools/call",
                "params": {
                    "name": "write_file",
                    "arguments": {"path": target.name, "content": chr(ord("a") + i) * size},
                },
            }
            proc.stdin.write((json.dumps(call) + "\n").encode())
        await proc.stdin.drain()
        await proc.stdout.readline()  # the first write is done: the others are under way
        await asyncio.sleep(0.02 * round_)  # the attack's timing, not a synchronisation
        proc.kill()
        await proc.wait()
        for i, target in enumerate(targets):
            text = target.read_text()
            tally.check(
                f"kill -9 round {round_} file {i}: whole",
                text in ("original", chr(ord("a") + i) * size),
                f"{len(text)} chars, starts {text[:10]!r}",
            )


def glyph_command(root: Path) -> list[str]:
    import sys

    return [sys.executable, "-m", "zeke_ls", "glyph", "--root", str(root), "--max-bytes", "2000000"]


async def mcp_handshake(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdin and proc.stdout
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "faults", "version": "1"},
        },
    }
    proc.stdin.write((json.dumps(init) + "\n").encode())
    await proc.stdin.drain()
    await asyncio.wait_for(proc.stdout.readline(), 20)
    proc.stdin.write(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
    await proc.stdin.drain()
