"""Anthropic Messages SSE and Ollama native NDJSON for the fake provider (see provider.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.fakes.provider import (
    FakeProvider,
    Recorded,
    Reply,
    error_reply,
    fake_vector,
    send_json,
    stream_events,
)

# --- Anthropic Messages ------------------------------------------------------------------------


def named_sse(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data | {'type': name})}\n\n".encode()


def anthropic_events(model: str, reply: Reply) -> list[bytes]:
    start = {
        "message": {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "usage": {"input_tokens": 13, "output_tokens": 1},
        }
    }
    events = [
        named_sse("message_start", start),
        named_sse("ping", {}),
        named_sse(
            "content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}
        ),
    ]
    for text in reply.chunks:
        delta = {"index": 0, "delta": {"type": "text_delta", "text": text}}
        events.append(named_sse("content_block_delta", delta))
    events.append(named_sse("content_block_stop", {"index": 0}))
    for number, call in enumerate(reply.tool_calls or [], start=1):
        block = {"type": "tool_use", "id": call["id"], "name": call["name"], "input": {}}
        events.append(named_sse("content_block_start", {"index": number, "content_block": block}))
        args = call["arguments"]
        for part in (args[: len(args) // 2], args[len(args) // 2 :]):
            delta = {"index": number, "delta": {"type": "input_json_delta", "partial_json": part}}
            events.append(named_sse("content_block_delta", delta))
        events.append(named_sse("content_block_stop", {"index": number}))
    reason = "tool_use" if reply.tool_calls else "end_turn"
    events.append(
        named_sse(
            "message_delta",
            {"delta": {"stop_reason": reason}, "usage": {"output_tokens": len(reply.chunks)}},
        )
    )
    events.append(named_sse("message_stop", {}))
    return events


async def anthropic_messages(
    fake: FakeProvider, request: Recorded, reply: Reply, writer: asyncio.StreamWriter
) -> None:
    if reply.status != 200:
        await error_reply(writer, reply)
        return
    events = anthropic_events(request.json.get("model", "claude-fake"), reply)
    await stream_events(writer, request, reply, events)


# --- Ollama native -----------------------------------------------------------------------------


def ndjson(data: dict[str, Any]) -> bytes:
    return (json.dumps(data) + "\n").encode()


def ollama_lines(model: str, reply: Reply, key: str) -> list[bytes]:
    """`key` is `message` for /api/chat and `response` for /api/generate."""

    def line(text: str, **extra: Any) -> bytes:
        body = (
            {"message": {"role": "assistant", "content": text}}
            if key == "message"
            else {"response": text}
        )
        return ndjson(
            {"model": model, "created_at": "2026-11-27T00:00:00Z", "done": False} | body | extra
        )

    lines = [line(text) for text in reply.chunks]
    if reply.tool_calls and key == "message":
        calls = [
            {"function": {"name": c["name"], "arguments": json.loads(c["arguments"])}}
            for c in reply.tool_calls
        ]
        lines.append(
            ndjson(
                {
                    "model": model,
                    "done": False,
                    "message": {"role": "assistant", "content": "", "tool_calls": calls},
                }
            )
        )
    lines.append(
        line(
            "",
            done=True,
            done_reason=reply.finish_reason,
            prompt_eval_count=9,
            eval_count=len(reply.chunks),
        )
    )
    return lines


async def ollama_stream(
    request: Recorded, reply: Reply, writer: asyncio.StreamWriter, key: str
) -> None:
    if reply.status != 200:
        body = reply.body or {"error": f"fake error {reply.status}"}
        await send_json(writer, reply.status, body, reply.headers)
        return
    lines = ollama_lines(request.json.get("model", "fake"), reply, key)
    if request.json.get("stream") is False:
        text = "".join(reply.chunks)
        body = (
            {"message": {"role": "assistant", "content": text}}
            if key == "message"
            else {"response": text}
        )
        await send_json(writer, 200, body | {"done": True})
        return
    await stream_events(writer, request, reply, lines, "application/x-ndjson")


async def ollama_chat(
    fake: FakeProvider, request: Recorded, reply: Reply, writer: asyncio.StreamWriter
) -> None:
    await ollama_stream(request, reply, writer, "message")


async def ollama_generate(
    fake: FakeProvider, request: Recorded, reply: Reply, writer: asyncio.StreamWriter
) -> None:
    await ollama_stream(request, reply, writer, "response")


async def ollama_embed(
    fake: FakeProvider, request: Recorded, reply: Reply, writer: asyncio.StreamWriter
) -> None:
    inputs = request.json.get("input", [])
    inputs = [inputs] if isinstance(inputs, str) else inputs
    vectors = [fake_vector(text, i) for i, text in enumerate(inputs)]
    await send_json(writer, 200, {"model": request.json.get("model"), "embeddings": vectors})


async def ollama_version(
    fake: FakeProvider, request: Recorded, reply: Reply, writer: asyncio.StreamWriter
) -> None:
    """Health probe target; a `first_delay_s` makes this endpoint look slow."""
    if reply.first_delay_s:
        await asyncio.sleep(reply.first_delay_s)
    await send_json(writer, 200, {"version": "0.12.0-fake"})


async def ollama_tags(
    fake: FakeProvider, request: Recorded, reply: Reply, writer: asyncio.StreamWriter
) -> None:
    await send_json(writer, 200, {"models": [{"name": "fake:latest", "model": "fake:latest"}]})
