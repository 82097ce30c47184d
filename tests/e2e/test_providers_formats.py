"""Each wire format against the loopback fake: request shape, streamed text, tool calls in
one shape, usage, embeddings."""

from __future__ import annotations

import json

from tests.e2e.test_providers_router import SECRET, ask, make_router
from tests.e2e.test_providers_router import test_key as test_key  # autouse fixture
from tests.fakes.provider import Reply
from zeke_ls.providers.base import ChatRequest, CompletionRequest, Delta

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "read_file",
            "description": "Read a file",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
        },
    }
]
CALL = {"id": "call_7", "name": "read_file", "arguments": '{"path": "src/a.py"}'}


async def run_chat(config: str, alias: str, request: ChatRequest, usage=None) -> list[Delta]:
    router = make_router(config, usage)
    try:
        return [d async for d in router.chat(alias, request)]
    finally:
        await router.aclose()


def tool_calls(deltas: list[Delta]) -> dict[int, dict[str, str]]:
    """Reassemble fragments by index, the way a feature would."""
    calls: dict[int, dict[str, str]] = {}
    for delta in deltas:
        for part in delta.tool_calls:
            call = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
            call["id"] = part.id or call["id"]
            call["name"] = part.name or call["name"]
            call["arguments"] += part.arguments
    return calls


def with_tools() -> ChatRequest:
    return ChatRequest(
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "open a.py"},
        ],
        tools=TOOLS,
    )


def azure_config(url: str) -> str:
    return f"""
[aliases]
code-smart = "azure:gpt-4o"
[providers.azure]
endpoint = "{url}/"
api_key = "env:ZEKE_TEST_KEY"
api_version = "2024-06-01"
deployments = {{ "gpt-4o" = "team-gpt4o" }}
"""


async def test_azure_uses_deployment_url_api_version_and_api_key_header(fake):
    deltas = await run_chat(azure_config(fake.url), "code-smart", ask("hi"))
    assert "".join(d.text for d in deltas) == "Hello from the fake"
    (call,) = fake.calls()
    assert call.path == "/openai/deployments/team-gpt4o/chat/completions?api-version=2024-06-01"
    assert call.headers["api-key"] == SECRET and "authorization" not in call.headers


async def test_openai_tool_calls_pass_through(fake):
    from tests.harness import loopback_config

    fake.queue(Reply(chunks=["Let me look."], tool_calls=[CALL]))
    deltas = await run_chat(loopback_config(fake.url), "code-smart", with_tools())
    assert fake.calls()[0].json["tools"] == TOOLS
    assert tool_calls(deltas) == {0: CALL}
    assert deltas[-2].finish_reason == "tool_calls"


def anthropic_config(url: str) -> str:
    return f"""
[aliases]
reason-deep = "anthropic:claude-3-5-sonnet"
[providers.anthropic]
base_url = "{url}"
api_key = "env:ZEKE_TEST_KEY"
"""


async def test_anthropic_messages_request_and_stream(fake):
    usage: list = []
    fake.queue(Reply(chunks=["Opening", " it."], tool_calls=[CALL]))
    request = with_tools()
    request.messages += [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "read_file", "arguments": '{"path": "b.py"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "print(1)"},
    ]
    deltas = await run_chat(anthropic_config(fake.url), "reason-deep", request, usage)
    (call,) = fake.calls("/v1/messages")
    body = call.json
    assert call.headers["x-api-key"] == SECRET and call.headers["anthropic-version"]
    assert body["system"] == "be brief" and body["max_tokens"] > 0 and body["stream"] is True
    assert body["tools"] == [
        {
            "name": "read_file",
            "description": "Read a file",
            "input_schema": TOOLS[0]["function"]["parameters"],
        }
    ]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][1]["content"][0] == {
        "type": "tool_use",
        "id": "call_1",
        "name": "read_file",
        "input": {"path": "b.py"},
    }
    assert body["messages"][2]["content"][0]["type"] == "tool_result"
    assert "".join(d.text for d in deltas) == "Opening it."
    assert tool_calls(deltas) == {0: CALL}
    assert usage == [("reason-deep", 13, 2)]


def ollama_config(url: str) -> str:
    return f"""
[aliases]
code-fast = "ollama:qwen2.5-coder:7b"
[aliases.big]
route = "ollama:qwen2.5-coder:32b"
context_window = 16384
extra_body = {{ keep_alive = "10m" }}
[providers.ollama]
endpoints = "{url}"
"""


async def test_ollama_native_chat_with_tools_and_usage(fake):
    usage: list = []
    fake.queue(Reply(chunks=["a", "b"], tool_calls=[CALL]))
    deltas = await run_chat(ollama_config(fake.url), "big", with_tools(), usage)
    body = fake.calls("/api/chat")[0].json
    assert body["model"] == "qwen2.5-coder:32b" and body["stream"] is True
    assert body["options"]["num_ctx"] == 16384 and body["keep_alive"] == "10m"
    assert body["tools"] == TOOLS
    assert "".join(d.text for d in deltas) == "ab"
    assert {k: (v["name"], json.loads(v["arguments"])) for k, v in tool_calls(deltas).items()} == {
        0: ("read_file", {"path": "src/a.py"})
    }
    assert usage == [("big", 9, 2)]


async def test_ollama_generate_with_suffix_and_raw_and_embed(fake):
    router = make_router(ollama_config(fake.url))
    try:
        request = CompletionRequest(
            prompt="<PRE> x = <SUF> y <MID>",
            suffix="\nreturn",
            raw=True,
            max_tokens=16,
            stop=["\n\n"],
        )
        text = "".join([d.text async for d in router.complete("code-fast", request)])
        vectors = await router.embed("code-fast", ["hello"])
    finally:
        await router.aclose()
    body = fake.calls("/api/generate")[0].json
    assert body["suffix"] == "\nreturn" and body["raw"] is True
    assert body["options"] == {"num_predict": 16, "stop": ["\n\n"]}
    assert text == "Hello from the fake"
    assert vectors == [[5.0, 0.0, 1.0]]


async def test_gemini_goes_through_its_openai_compatible_endpoint(fake):
    config = f"""
[aliases]
gem = "gemini:gemini-2.0-flash"
[providers.gemini]
base_url = "{fake.url}/v1beta/openai"
api_key = "env:ZEKE_TEST_KEY"
"""
    deltas = await run_chat(config, "gem", ask("hi"))
    assert "".join(d.text for d in deltas) == "Hello from the fake"
    (call,) = fake.calls()
    assert call.path == "/v1beta/openai/chat/completions"
    assert call.headers["authorization"] == f"Bearer {SECRET}"
    assert call.json["model"] == "gemini-2.0-flash"
