"""A fake model provider: a real HTTP/1.1 server on a loopback port, in its own thread.

It speaks the real wire formats (OpenAI-compatible SSE, Azure deployment paths, and, from
`tests/fakes/native.py`, Anthropic Messages SSE and Ollama native NDJSON), records every
request it receives (path, headers, JSON body, and when the client disconnected), and answers
from a queue of scripted `Reply`s, so that tests can inject faults: an HTTP status (with
headers such as Retry-After), a refused port (`unused_port_url`), a hang before the first
byte, a stall mid-stream, a truncated or malformed stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Fault = str  # "hang" | "stall" | "truncate" | "malformed" | "html" | "event" | None


@dataclass
class Reply:
    """How to answer one request."""

    chunks: list[str] = field(default_factory=lambda: ["Hello", " from", " the fake"])
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    first_delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    fault: Fault | None = None
    fault_after: int = 1
    """For stall/truncate/malformed: how many good chunks come first."""
    tool_calls: list[dict[str, Any]] | None = None
    """OpenAI-shaped tool calls to stream after the text: [{id, name, arguments}]."""
    finish_reason: str | None = "stop"
    """None: the stream ends `[DONE]` with no finish reason (llama.cpp's interrupted request)."""
    body: Any = None
    """For a non-200 status: the JSON error body."""
    event: bytes = b""
    """For fault "event": the raw chunk (an in-stream error, say) sent after `fault_after`
    good ones, before the stream ends normally."""


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float
    disconnected_at: float | None = None
    completed: bool = False

    @property
    def json(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}


Handler = Callable[["FakeProvider", Recorded, Reply, asyncio.StreamWriter], Any]


class FakeProvider:
    """Start with `start()`; `url` is `http://127.0.0.1:PORT`. Thread-safe to script and read."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.replies: deque[Reply] = deque()
        self.default = Reply()
        self.responder: Callable[[Recorded], Reply | None] | None = None
        self.routes: dict[tuple[str, str], Handler] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self.port = 0
        self.connections = 0
        """TCP connections accepted so far (connection reuse shows as fewer than requests)."""
        self._lock = threading.Lock()
        self._register_openai()
        self._register_anthropic()
        self._register_ollama()

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeProvider:
        """Listen on `port` (0: any free one; a fixed one revives a "dead" endpoint URL)."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", port), self._loop
        )
        self._server = future.result(5)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- scripting -----------------------------------------------------------------------------

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.replies.clear()
        self.default = Reply()
        self.responder = None

    def calls(self, path_suffix: str = "") -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?")[0].endswith(path_suffix)]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()

    def route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            self.routes[(method, path)] = handler
            return handler

        return decorator

    def _next_reply(self, request: Recorded) -> Reply:
        if self.responder is not None and (reply := self.responder(request)) is not None:
            return reply
        with self._lock:
            return self.replies.popleft() if self.replies else self.default

    # --- HTTP ----------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        line = await reader.readline()
        if not line:
            return False
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        raw = await reader.readexactly(int(headers.get("content-length", "0") or 0))
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        request = Recorded(method, path, headers, body, time.monotonic())
        with self._lock:
            self.requests.append(request)
        handler = self._handler(method, path.split("?")[0])
        if handler is None:
            await send_json(writer, 404, {"error": {"message": f"no route {method} {path}"}})
            return True
        reply = self._next_reply(request)
        watcher = asyncio.ensure_future(watch_disconnect(reader, request))
        try:
            await handler(self, request, reply, writer)
            request.completed = request.disconnected_at is None
        finally:
            watcher.cancel()
            # Wait for the cancel to land: the next request's read must not race the watcher's.
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        return request.disconnected_at is None and reply.fault != "truncate"

    def _handler(self, method: str, path: str) -> Handler | None:
        """Exact routes first; Azure's `/openai/deployments/NAME/...` and Gemini's
        `/v1beta/openai/...` map to the OpenAI ones."""
        if (method, path) in self.routes:
            return self.routes[(method, path)]
        other = re.fullmatch(r"(?:/openai/deployments/[^/]+|/v1beta/openai)(/.+)", path)
        return self.routes.get((method, other.group(1))) if other else None

    def _register_anthropic(self) -> None:
        from tests.fakes.native import anthropic_messages

        self.routes[("POST", "/v1/messages")] = anthropic_messages

    def _register_ollama(self) -> None:
        from tests.fakes.native import (
            ollama_chat,
            ollama_embed,
            ollama_generate,
            ollama_tags,
            ollama_version,
        )

        self.routes[("POST", "/api/chat")] = ollama_chat
        self.routes[("POST", "/api/generate")] = ollama_generate
        self.routes[("POST", "/api/embed")] = ollama_embed
        self.routes[("GET", "/api/version")] = ollama_version
        self.routes[("GET", "/api/tags")] = ollama_tags

    def _register_openai(self) -> None:
        for prefix in ("", "/v1"):
            self.routes[("GET", f"{prefix}/models")] = openai_models
            self.routes[("POST", f"{prefix}/chat/completions")] = openai_chat
            self.routes[("POST", f"{prefix}/completions")] = openai_completions
            self.routes[("POST", f"{prefix}/embeddings")] = openai_embeddings


async def watch_disconnect(reader: asyncio.StreamReader, request: Recorded) -> None:
    """While a response is written, EOF from the client means it hung up."""
    with contextlib.suppress(Exception):
        data = await reader.read(1)
        if not data and request.disconnected_at is None:
            request.disconnected_at = time.monotonic()


async def send_json(
    writer: asyncio.StreamWriter, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    payload = json.dumps(body).encode()
    head = [
        f"HTTP/1.1 {status} X",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
    ]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
    await writer.drain()


async def error_reply(writer: asyncio.StreamWriter, reply: Reply) -> None:
    body = reply.body or {"error": {"message": f"fake error {reply.status}", "type": "fake"}}
    await send_json(writer, reply.status, body, reply.headers)


async def stream_events(
    writer: asyncio.StreamWriter,
    request: Recorded,
    reply: Reply,
    events: list[bytes],
    content_type: str = "text/event-stream",
) -> None:
    """Write a chunked streaming response, honouring delays and faults."""
    if reply.first_delay_s:
        await sleep_unless_gone(request, reply.first_delay_s)
    if reply.fault == "hang":
        await sleep_unless_gone(request, 3600)
        return
    if reply.fault == "html":  # a captive portal or a proxy's error page, with status 200
        page = b"<html><body><h1>Service Unavailable</h1></body></html>"
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s"
            % (len(page), page)
        )
        await writer.drain()
        return
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n"
    writer.write(head.encode())
    for i, event in enumerate(events):
        if request.disconnected_at is not None:
            return
        if i == reply.fault_after and reply.fault == "event":
            await write_chunk(writer, reply.event)
            await write_chunk(writer, b"")
            return
        if i == reply.fault_after and reply.fault in ("stall", "truncate", "malformed"):
            if reply.fault == "stall":
                await sleep_unless_gone(request, 3600)
            elif reply.fault == "malformed":
                await write_chunk(writer, b"data: {not json\n\n")
                await write_chunk(writer, b"")
            return  # truncate: close without the terminating chunk
        if i and reply.chunk_delay_s:
            await sleep_unless_gone(request, reply.chunk_delay_s)
        try:
            await write_chunk(writer, event)
        except ConnectionError:
            request.disconnected_at = request.disconnected_at or time.monotonic()
            return
    await write_chunk(writer, b"")


async def write_chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    await writer.drain()


async def sleep_unless_gone(request: Recorded, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while request.disconnected_at is None and time.monotonic() < deadline:
        await asyncio.sleep(min(0.005, deadline - time.monotonic()))


def sse(data: Any) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    return f"data: {text}\n\n".encode()


# --- OpenAI-compatible -------------------------------------------------------------------------


async def openai_models(
    fake: FakeProvider, request: Recorded, reply: Reply, writer: asyncio.StreamWriter
) -> None:
    await send_json(
        writer, 200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]}
    )


def openai_chat_events(model: str, reply: Reply) -> list[bytes]:
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model}
    events = [
        sse(base | {"choices": [{"index": 0, "delta": {"role": "assistant", "content": text}}]})
        for text in reply.chunks
    ]
    for index, call in enumerate(reply.tool_calls or []):
        start = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": ""},
        }
        events.append(sse(base | {"choices": [{"index": 0, "delta": {"tool_calls": [start]}}]}))
        args = call["arguments"]
        for part in (args[: len(args) // 2], args[len(args) // 2 :]):
            delta = {"tool_calls": [{"index": index, "function": {"arguments": part}}]}
            events.append(sse(base | {"choices": [{"index": 0, "delta": delta}]}))
    finish = "tool_calls" if reply.tool_calls else reply.finish_reason
    events.append(sse(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}))
    usage = {
        "prompt_tokens": 11,
        "completion_tokens": len(reply.chunks),
        "total_tokens": 11 + len(reply.chunks),
    }
    events.append(sse(base | {"choices": [], "usage": usage}))
    events.append(sse("[DONE]"))
    return events


async def openai_chat(
    fake: FakeProvider, request: Recorded, reply: Reply, writer: asyncio.StreamWriter
) -> None:
    if reply.status != 200:
        await error_reply(writer, reply)
        return
    model = request.json.get("model", "fake-model")
    if request.json.get("stream"):
        await stream_events(writer, request, reply, openai_chat_events(model, reply))
        return
    message: dict[str, Any] = {"role": "assistant", "content": "".join(reply.chunks)}
    await send_json(
        writer,
        200,
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
            "usage": {"prompt_tokens": 11, "completion_tokens": len(reply.chunks)},
        },
    )


async def openai_completions(
    fake: FakeProvider, request: Recorded, reply: Reply, writer: asyncio.StreamWriter
) -> None:
    if reply.status != 200:
        await error_reply(writer, reply)
        return
    model = request.json.get("model", "fake-model")
    base = {"id": "cmpl-fake", "object": "text_completion", "model": model}
    if request.json.get("stream"):
        events = [
            sse(base | {"choices": [{"index": 0, "text": t, "finish_reason": None}]})
            for t in reply.chunks
        ]
        events.append(
            sse(
                base
                | {
                    "choices": [{"index": 0, "text": "", "finish_reason": reply.finish_reason}],
                    "usage": {"prompt_tokens": 7, "completion_tokens": len(reply.chunks)},
                }
            )
        )
        events.append(sse("[DONE]"))
        await stream_events(writer, request, reply, events)
        return
    await send_json(
        writer,
        200,
        base
        | {
            "choices": [
                {"index": 0, "text": "".join(reply.chunks), "finish_reason": reply.finish_reason}
            ],
            "usage": {"prompt_tokens": 7, "completion_tokens": len(reply.chunks)},
        },
    )


async def openai_embeddings(
    fake: FakeProvider, request: Recorded, reply: Reply, writer: asyncio.StreamWriter
) -> None:
    inputs = request.json.get("input", [])
    inputs = [inputs] if isinstance(inputs, str) else inputs
    data = [
        {"object": "embedding", "index": i, "embedding": [float(len(text)), float(i), 1.0]}
        for i, text in enumerate(inputs)
    ]
    await send_json(
        writer,
        200,
        {
            "object": "list",
            "data": data,
            "model": request.json.get("model"),
            "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
        },
    )


def fake_vector(text: str, index: int) -> list[float]:
    return [float(len(text)), float(index), 1.0]


def unused_port_url() -> str:
    """A loopback URL where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
