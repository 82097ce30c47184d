"""Benchmark chat streaming and context packing; prints a table.

(a) Delta relay: the fake provider (its own process) stamps each SSE chunk with
    `time.monotonic_ns()` as it writes it, one every `--gap-ms`; a real LSP client (pytest-lsp,
    same clock) stamps each `zeke/chatDelta` as it arrives. The difference is the daemon's whole relay path: HTTP read,
    SSE decode, router, chat turn, JSON-RPC write, plus the client's own read and parse. Two
    floors put it in context: a bare pygls server relaying the same stream (the cost of the
    architecture itself), and a bare httpx reader (the network alone).
(b) Context packing: 200 source files (~2 MB) pinned in a context set, packed into a 32k-token
    budget cold (fresh token cache), then again after one file changes on disk, next to
    tiktoken alone encoding the same text.

Run from the repository root: .venv/bin/python -m bench.bench_chat [--chunks 2000] [--files 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from tests.fakes.provider import FakeProvider, Recorded, Reply, sse, write_chunk
from tests.harness import loopback_config, zeke_session
from zeke_ls.chat.engine import Turn
from zeke_ls.context.budget import Piece, pack
from zeke_ls.context.sets import ContextSet
from zeke_ls.context.tokens import TokenCounter, encode
from zeke_ls.providers.base import ChatRequest, Delta

# --- (a) relay ---------------------------------------------------------------------------------


def stamped_chat(count: int, gap_s: float):  # type: ignore[no-untyped-def]
    """A chat route whose every chunk carries the time it left the server."""

    async def handler(
        fake: FakeProvider, request: Recorded, reply: Reply, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        base = {"id": "x", "object": "chat.completion.chunk", "model": "bench"}
        for _ in range(count):
            await asyncio.sleep(gap_s)
            delta = {"content": f"{time.monotonic_ns()};"}
            await write_chunk(writer, sse(base | {"choices": [{"index": 0, "delta": delta}]}))
        done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        await write_chunk(writer, sse(base | done))
        await write_chunk(writer, sse("[DONE]"))
        await write_chunk(writer, b"")

    return handler


def serve_fake(chunks: int, gap_s: float, port_pipe: Connection) -> None:
    """The fake provider in its own process, so that it never competes for the GIL with the
    client that takes the arrival timestamps."""
    fake = FakeProvider().start()
    fake.route("POST", "/v1/chat/completions")(stamped_chat(chunks, gap_s))
    port_pipe.send(fake.url)
    port_pipe.recv()  # until the parent says stop
    fake.stop()


async def relay(chunks: int, gap_s: float) -> list[float]:
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(
        target=serve_fake, args=(chunks, gap_s, child), daemon=True
    )
    server.start()
    url = parent.recv()
    delays: list[float] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with zeke_session(Path(tmp), loopback_config(url)) as client:
                arrivals: list[tuple[int, str]] = []

                @client.feature("zeke/chatDelta")
                def on_delta(params: Any) -> None:
                    arrivals.append((time.monotonic_ns(), params.text))

                await client.protocol.send_request_async(
                    "zeke/chat", {"message": "go", "includeContext": False, "tools": False}
                )
        for received, text in arrivals:
            sent = int(text.rstrip(";"))
            delays.append((received - sent) / 1e6)
    finally:
        parent.send("stop")
        server.join(5)
    return delays


def serve_minimal_relay() -> None:
    """A bare pygls server that relays the stamped SSE stream as notifications: the floor of
    any daemon with this architecture (HTTP in, JSON-RPC over stdio out), without zeke_ls."""
    import httpx
    from pygls.lsp.server import LanguageServer

    server = LanguageServer("minimal-relay", "0")

    @server.feature("relay/chat")
    async def chat(params: Any) -> dict[str, Any]:
        async with (
            httpx.AsyncClient() as client,
            client.stream(
                "POST", f"{params.url}/v1/chat/completions", json={"stream": True}
            ) as response,
        ):
            async for line in response.aiter_lines():
                if line.startswith("data: {") and '"content"' in line:
                    text = json.loads(line[6:])["choices"][0]["delta"]["content"]
                    server.protocol.notify("zeke/chatDelta", {"text": text})
        return {}

    server.start_io()


async def relay_floor(chunks: int, gap_s: float) -> list[float]:
    """The same measurement through `serve_minimal_relay` instead of zeke_ls."""
    from lsprotocol import types
    from pytest_lsp import ClientServerConfig

    parent, child = multiprocessing.Pipe()
    fake = multiprocessing.get_context("fork").Process(
        target=serve_fake, args=(chunks, gap_s, child), daemon=True
    )
    fake.start()
    url = parent.recv()
    arrivals: list[tuple[int, str]] = []
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "bench.bench_chat", "--serve-minimal-relay"]
    )
    client = await config.start()
    try:
        await client.initialize_session(
            types.InitializeParams(capabilities=types.ClientCapabilities())
        )

        @client.feature("zeke/chatDelta")
        def on_delta(params: Any) -> None:
            arrivals.append((time.monotonic_ns(), params.text))

        await client.protocol.send_request_async("relay/chat", {"url": url})
        await client.shutdown_session()
    finally:
        await client.stop()
        parent.send("stop")
        fake.join(5)
    return [(received - int(text.rstrip(";"))) / 1e6 for received, text in arrivals]


async def http_floor(chunks: int, gap_s: float) -> list[float]:
    """The same stamped stream read by a bare httpx client in this process: the part of the
    delay that is the network, the HTTP client and this process's scheduling, not zeke_ls."""
    import httpx

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(
        target=serve_fake, args=(chunks, gap_s, child), daemon=True
    )
    server.start()
    url = parent.recv()
    delays: list[float] = []
    try:
        async with (
            httpx.AsyncClient() as client,
            client.stream("POST", f"{url}/v1/chat/completions", json={"stream": True}) as response,
        ):
            async for line in response.aiter_lines():
                received = time.monotonic_ns()
                if line.startswith("data: {") and '"content"' in line:
                    text = json.loads(line[6:])["choices"][0]["delta"]["content"]
                    delays.append((received - int(text.rstrip(";"))) / 1e6)
    finally:
        parent.send("stop")
        server.join(5)
    return delays


class MemoryRouter:
    """Deltas from memory: isolates the chat turn's own per-chunk work from HTTP and pipes."""

    def __init__(self, count: int):
        self.count = count

    def info(self, alias: str) -> Any:
        raise NotImplementedError

    async def chat(self, alias: str, request: ChatRequest) -> AsyncIterator[Delta]:
        for i in range(self.count):
            yield Delta(text=f"chunk {i} ")
        yield Delta(finish_reason="stop")


def turn_cost(count: int) -> float:
    """Microseconds per chunk for Turn + JSON-RPC framing + a write, in process."""
    sink = open(os.devnull, "wb")  # noqa: SIM115

    def emit(event: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", "method": "zeke/chatDelta", "params": event})
        sink.write(f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
        sink.flush()

    turn = Turn(MemoryRouter(count), "bench", [], emit)  # type: ignore[arg-type]
    started = time.perf_counter()
    asyncio.run(turn.run())
    sink.close()
    return (time.perf_counter() - started) / count * 1e6


# --- (b) packing -------------------------------------------------------------------------------


def make_files(root: Path, count: int, size: int) -> list[Path]:
    paths = []
    for i in range(count):
        body, n = [], 0
        while n < size:
            line = f"def function_{i}_{n}(value: int) -> int:\n    return value * {n} + {i}\n\n"
            body.append(line)
            n += len(line)
        path = root / f"pkg{i % 10}" / f"module_{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(body))
        paths.append(path)
    return paths


def pack_set(context: ContextSet, counter: TokenCounter, budget: int) -> tuple[float, int, int]:
    started = time.perf_counter()
    pieces = [
        Piece(item.id, item.kind, item.label(context.roots()), context.item_text(item))
        for item in context.items.values()
    ]
    packed = pack(pieces, budget, counter)
    for piece in pieces:  # contextList reports every item's count
        counter.count(piece.text)
    return (time.perf_counter() - started) * 1000, len(packed.included), len(packed.dropped)


def packing(files: int, budget: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        paths = make_files(root, files, 10_000)
        total_bytes = sum(p.stat().st_size for p in paths)
        context = ContextSet(lambda: [root], lambda: 1_000_000)
        for path in paths:
            context.add_file(path)
        context._cache.clear()  # cold: nothing read or counted yet
        counter = TokenCounter()
        cold, included, dropped = pack_set(context, counter, budget)
        changed = paths[len(paths) // 2]
        changed.write_text(changed.read_text() + "\n# changed\n")
        context.on_disk_changes({str(changed)})  # what the watcher does on the edit
        warm, _, _ = pack_set(context, counter, budget)
        texts = [p.read_text() for p in paths]
        started = time.perf_counter()
        tokens = sum(len(encode(t)) for t in texts)
        tiktoken_ms = (time.perf_counter() - started) * 1000
    return {
        "bytes": total_bytes,
        "tokens": tokens,
        "cold": cold,
        "warm": warm,
        "tiktoken": tiktoken_ms,
        "included": included,
        "dropped": dropped,
    }


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument(
        "--gap-ms",
        type=float,
        default=5.0,
        help="time between upstream chunks (5 ms = 200 chunks/s, faster than real models stream)",
    )
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--budget", type=int, default=32_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve-minimal-relay", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_minimal_relay:
        serve_minimal_relay()
        return
    encode("warm up the encoding")
    delays = asyncio.run(relay(args.chunks, args.gap_ms / 1000))
    floor = asyncio.run(http_floor(args.chunks, args.gap_ms / 1000))
    lsp_floor = asyncio.run(relay_floor(args.chunks, args.gap_ms / 1000))
    per_chunk_us = turn_cost(args.chunks)
    packed = packing(args.files, args.budget)
    rows = [
        (
            "(a) relay: upstream chunk -> zeke/chatDelta at client",
            f"{len(delays)} chunks",
            f"p50 {percentile(delays, 50):.3f} ms",
            f"p95 {percentile(delays, 95):.3f} ms",
        ),
        (
            "(a) floor: bare pygls relay (httpx -> notify)",
            f"{len(lsp_floor)} chunks",
            f"p50 {percentile(lsp_floor, 50):.3f} ms",
            f"p95 {percentile(lsp_floor, 95):.3f} ms",
        ),
        (
            "(a) floor: same stream read by bare httpx",
            f"{len(floor)} chunks",
            f"p50 {percentile(floor, 50):.3f} ms",
            f"p95 {percentile(floor, 95):.3f} ms",
        ),
        (
            "(a) chat turn's own work per chunk (in process)",
            f"{args.chunks} chunks",
            f"{per_chunk_us:.1f} us",
            "",
        ),
        (
            "(b) pack cold (read + count + pack)",
            f"{args.files} files, {packed['bytes'] / 1e6:.2f} MB, {packed['tokens']} tok",
            f"{packed['cold']:.1f} ms",
            f"{packed['included']} in / {packed['dropped']} dropped",
        ),
        (
            "(b) repack after one file changed",
            "",
            f"{packed['warm']:.1f} ms",
            f"{packed['warm'] / packed['cold']:.3f} x cold",
        ),
        ("(b) tiktoken alone, same text", "", f"{packed['tiktoken']:.1f} ms", ""),
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "relay_p50_ms": percentile(delays, 50),
                    "relay_p95_ms": percentile(delays, 95),
                    "turn_us_per_chunk": per_chunk_us,
                    **packed,
                }
            )
        )
        return
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
