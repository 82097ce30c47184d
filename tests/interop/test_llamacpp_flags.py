"""The managed llama.cpp server's flags, against the real server and the bundled SmolLM2.

`interrupt_requests` (llama-cpp-python's default: on) ends a streaming chat early, with
`[DONE]` and no finish reason, as soon as another request arrives: a keystroke's completion
during an edit truncated the edit. zeke_ls starts the server with it off; the contrast run
with it on shows the test can fail.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.interop.local_model import requires_local_model
from zeke_ls.providers import llamacpp
from zeke_ls.providers.llamacpp import LlamaCppManager, default_model_path

pytestmark = requires_local_model

LONG = {
    "messages": [{"role": "user", "content": "Count from 1 to 40, one number per line."}],
    "max_tokens": 100,
    "temperature": 0,
    "stream": True,
}


async def chat_while_completing(base: str, client: httpx.AsyncClient) -> tuple[str | None, str]:
    """Stream a chat; after its first chunks, send a completion; return (finish, text)."""
    finish, text, chunks = None, "", 0
    side: asyncio.Task[httpx.Response] | None = None
    async with client.stream("POST", base + "/chat/completions", json=LONG, timeout=120) as reply:
        async for line in _lines(reply):
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            choice = (json.loads(line[6:]).get("choices") or [{}])[0]
            text += (choice.get("delta") or {}).get("content") or ""
            finish = choice.get("finish_reason") or finish
            chunks += 1
            if chunks == 3:
                side = asyncio.create_task(
                    client.post(
                        base + "/completions",
                        json={"prompt": "def f():", "max_tokens": 4},
                        timeout=120,
                    )
                )
                await asyncio.sleep(0)
    assert side is not None
    assert (await side).status_code == 200
    return finish, text


async def _lines(reply: httpx.Response):  # type: ignore[no-untyped-def]
    """The stream's lines; an interrupted stream ends with `[DONE]` and then a connection the
    server drops mid-body, which counts as its end here."""
    try:
        async for line in reply.aiter_lines():
            yield line
    except httpx.RemoteProtocolError:
        return


async def run_server(
    monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...]
) -> tuple[str | None, str]:
    monkeypatch.setattr(llamacpp, "SERVER_FLAGS", flags)
    async with httpx.AsyncClient() as client:
        manager = LlamaCppManager(None, client)
        try:
            return await chat_while_completing(await manager.url(), client)
        finally:
            await manager.stop()


async def test_a_completion_during_a_streaming_chat_does_not_truncate_it(monkeypatch):
    finish, text = await run_server(monkeypatch, llamacpp.SERVER_FLAGS)
    assert finish in ("stop", "length"), (finish, text)
    assert text.count("\n") >= 5, text


async def test_contrast_the_default_interrupt_flag_truncates(monkeypatch):
    finish, text = await run_server(monkeypatch, ("--interrupt_requests", "true"))
    assert finish is None, (finish, text)


def test_command_turns_logits_all_and_interrupts_off():
    model = default_model_path()
    assert model is not None
    command = LlamaCppManager(None, httpx.AsyncClient())._command(model, 1234)
    flags = dict(zip(command[3::2], command[4::2], strict=False))
    assert flags["--logits_all"] == "false" and flags["--interrupt_requests"] == "false"
    assert "--chat_format" not in command  # SmolLM2's GGUF carries its own chat template
