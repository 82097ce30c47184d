"""Omen as its code behaves, on a loopback fake: streams that end without `[DONE]`, a
`/v1/completions` that drops `suffix`, exact model ids only, `GET /health` naming the service."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lsprotocol import types

from tests.fakes.provider import (
    FakeProvider,
    Recorded,
    Reply,
    openai_chat_events,
    send_json,
    stream_events,
)
from tests.harness import open_document, rpc, zeke_session

PY = "def add(a, b):\n    return \n\n\nprint(add(1, 2))\n"
INLINE = types.ClientCapabilities(
    text_document=types.TextDocumentClientCapabilities(
        inline_completion=types.InlineCompletionClientCapabilities()
    )
)


def omen_config(url: str, api_extra: str = "") -> str:
    return f"""
[api]
base_url = "{url}/v1"
{api_extra}

[aliases]
code-fast = "ollama:qwen2.5-coder:7b"
code-smart = "openai:gpt-4o-mini"

[routing]
health_interval_ms = 600000
first_token_timeout_ms = 3000
idle_timeout_ms = 3000
"""


def as_omen(fake: FakeProvider, health: bool = True, finish: bool = True) -> None:
    """Omen's routes: /health names the service; chat streams end without `data: [DONE]`
    (and, with finish=False, without a finish reason, as on an upstream error); its
    /v1/completions answers an error body."""

    async def health_route(fake: FakeProvider, request: Recorded, reply: Reply, writer: Any):
        await send_json(writer, 200, {"status": "healthy", "service": "OMEN", "version": "0.1"})

    async def chat(fake: FakeProvider, request: Recorded, reply: Reply, writer: Any) -> None:
        events = openai_chat_events(request.json.get("model", ""), reply)[:-1]  # no [DONE]
        if not finish:
            events = [e for e in events if b"finish_reason" not in e and b"usage" not in e]
        await stream_events(writer, request, reply, events)

    async def completions(fake: FakeProvider, request: Recorded, reply: Reply, writer: Any):
        await send_json(writer, 200, {"error": "Text completions not yet implemented"})

    if health:
        fake.routes[("GET", "/health")] = health_route
        fake.responder = lambda r: Reply() if r.path == "/health" else None  # keep the queue
    fake.routes[("POST", "/v1/chat/completions")] = chat
    fake.routes[("POST", "/v1/completions")] = completions


async def test_a_stream_that_ends_after_its_finish_reason_is_complete(tmp_path, fake):
    as_omen(fake)
    fake.queue(Reply(chunks=["All ", "good."]))
    async with zeke_session(tmp_path, omen_config(fake.url)) as client:
        result = await rpc(client, "zeke/chat", {"message": "hello", "includeContext": False})
    assert result["message"]["content"] == "All good." and result["finishReason"] == "stop"
    [call] = fake.calls("/chat/completions")
    assert call.json["model"] == "gpt-4o-mini"  # Omen knows no alias names


async def test_a_stream_with_neither_finish_nor_done_is_truncated_and_says_so(tmp_path, fake):
    as_omen(fake, finish=False)
    fake.queue(Reply(chunks=["Half an ans"]))
    async with zeke_session(tmp_path, omen_config(fake.url)) as client:
        with pytest.raises(Exception) as failure:
            await rpc(client, "zeke/chat", {"message": "hello", "includeContext": False})
    assert "truncated" in str(failure.value)


@pytest.mark.parametrize("detected", [True, False], ids=["health", "kind"])
async def test_completion_through_omen_goes_through_chat_with_the_model_id(
    tmp_path, fake, detected
):
    as_omen(fake, health=detected)
    fake.default = Reply(chunks=["```python\na + b\n```"])
    api_extra = "" if detected else 'kind = "omen"'
    async with zeke_session(
        tmp_path, omen_config(fake.url, api_extra), capabilities=INLINE
    ) as client:
        uri = open_document(client, tmp_path / "workspace" / "calc.py", PY)
        items = await client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=1, character=11),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Invoked
                ),
            )
        )
    assert fake.calls("/v1/completions") == []  # the suffix would be lost there
    [call] = fake.calls("/chat/completions")[:1]
    assert call.json["model"] == "qwen2.5-coder:7b"
    prompt = json.dumps(call.json["messages"])
    assert "print(add(1, 2))" in prompt  # the code after the cursor reached the model
    assert [i.insert_text for i in items.items] == ["a + b"]


async def test_send_model_set_by_the_user_wins_over_omen_detection(tmp_path, fake):
    as_omen(fake)
    fake.queue(Reply(chunks=["ok"]))
    async with zeke_session(tmp_path, omen_config(fake.url, 'send_model = "alias"')) as client:
        await rpc(client, "zeke/chat", {"message": "hello", "includeContext": False})
    assert fake.calls("/chat/completions")[0].json["model"] == "code-smart"
