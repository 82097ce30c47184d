"""zeke_ls's router with a real LiteLLM proxy as its `[api] base_url` gateway, in front of the
loopback fake: aliases go to the proxy by name and its `model_list` picks the provider."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator

import pytest

from tests.fakes.provider import FakeProvider
from tests.interop.litellm_proxy import MASTER_KEY, LiteLLMProxy, litellm_executable
from zeke_ls.config.schema import ZekeConfig
from zeke_ls.providers.base import ChatRequest, ProviderError
from zeke_ls.providers.health import HealthBook
from zeke_ls.providers.router import Router

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        litellm_executable() is None,
        reason="LiteLLM proxy not installed (pip install 'litellm[proxy]', "
        "or set ZEKE_LITELLM to its executable)",
    ),
]


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeProvider]:
    fake = FakeProvider().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def proxy(upstream: FakeProvider) -> Iterator[LiteLLMProxy]:
    executable = litellm_executable()
    assert executable is not None
    running = LiteLLMProxy(executable, upstream.url).start()
    yield running
    running.stop()


@pytest.fixture
def router(proxy: LiteLLMProxy, upstream: FakeProvider, monkeypatch) -> Iterator[Router]:
    upstream.reset()
    monkeypatch.setenv("ZEKE_GATEWAY_KEY", MASTER_KEY)
    text = f"""
[api]
base_url = "{proxy.url}/v1"
api_key = "env:ZEKE_GATEWAY_KEY"
[aliases]
code-fast = "ollama:deepseek-coder:14b"
code-smart = "anthropic:claude-3-5-sonnet"
local = "ollama:qwen2.5-coder:7b"
"""
    config = ZekeConfig.model_validate(tomllib.loads(text))
    usage: list = []
    found = Router(lambda: config, HealthBook(), lambda *entry: usage.append(entry))
    found.usage = usage  # type: ignore[attr-defined]
    yield found


async def chat(router: Router, alias: str) -> str:
    request = ChatRequest(messages=[{"role": "user", "content": "hi"}], max_tokens=16)
    try:
        return "".join([d.text async for d in router.chat(alias, request)])
    finally:
        await router.aclose()


async def test_alias_name_goes_to_the_proxy_and_its_model_list_decides(router, upstream):
    assert await chat(router, "code-fast") == "Hello from the fake"
    (call,) = upstream.calls("/chat/completions")
    assert call.json["model"] == "fake-fast"  # LiteLLM mapped the alias to its deployment
    assert call.json["stream"] is True
    assert router.usage and router.usage[0][0] == "code-fast"
    assert router.usage[0][2] > 0


async def test_proxy_translates_to_anthropic_upstream(router, upstream):
    assert await chat(router, "code-smart") == "Hello from the fake"
    assert upstream.calls("/v1/messages")[0].json["model"] == "claude-fake"


async def test_proxy_translates_to_ollama_upstream(router, upstream):
    assert await chat(router, "local") == "Hello from the fake"
    assert upstream.calls("/api/chat")[0].json["model"] == "qwen2.5-coder:7b"


async def test_embeddings_through_the_proxy(router, upstream):
    try:
        vectors = await router.embed("embed", ["abc", "de"])
    finally:
        await router.aclose()
    assert vectors == [[3.0, 0.0, 1.0], [2.0, 1.0, 1.0]]


async def test_wrong_gateway_key_is_a_clear_error_without_the_key(router, upstream, monkeypatch):
    monkeypatch.setenv("ZEKE_GATEWAY_KEY", "sk-wrong-key-1234567890")
    with pytest.raises(ProviderError) as info:
        await chat(router, "code-fast")
    # LiteLLM answers 401, or 400 "No connected db" when it cannot look virtual keys up
    assert info.value.status in (400, 401) and info.value.provider == "gateway"
    assert "sk-wrong-key-1234567890" not in str(info.value)
    assert upstream.calls() == []
