"""Failures against the loopback fake: what moves on to the next endpoint or fallback (only
before the first token), timeouts, broken streams, and secrets kept out of errors and logs."""

from __future__ import annotations

import logging
import time

import pytest

from tests.e2e.test_providers_router import SECRET, ask, make_router
from tests.e2e.test_providers_router import test_key as test_key  # autouse fixture
from tests.fakes.provider import FakeProvider, Reply, unused_port_url
from zeke_ls.providers.base import Delta, ProviderError


def two_aliases(url: str, other_url: str | None = None, routing: str = "") -> str:
    """code-fast falls back to code-smart; code-smart may live on a second fake."""
    return f"""
[aliases.code-fast]
route = "openai:fake-fast"
fallbacks = ["code-smart"]
[aliases.code-smart]
route = "other:fake-smart"
[aliases.solo]
route = "openai:fake-solo"
[providers.openai]
base_url = "{url}/v1"
api_key = "env:ZEKE_TEST_KEY"
[providers.other]
kind = "openai"
base_url = "{other_url or url}/v1"
[routing]
first_token_timeout_ms = 400
idle_timeout_ms = 400
connect_timeout_ms = 1000
{routing}
"""


async def run(config: str, alias: str) -> list[Delta]:
    router = make_router(config)
    try:
        return [d async for d in router.chat(alias, ask("x"))]
    finally:
        await router.aclose()


def text(deltas: list[Delta]) -> str:
    return "".join(d.text for d in deltas)


async def test_gateway_gets_the_alias_name_and_its_key(fake, monkeypatch):
    monkeypatch.setenv("ZEKE_GW_KEY", "gw-secret-key-0000000000")
    config = f"""
[api]
base_url = "{fake.url}/v1"
api_key = "env:ZEKE_GW_KEY"
[aliases.code-fast]
route = "ollama:deepseek-coder:14b"
extra_body = {{ tags = ["zeke"], omen = {{ strategy = "cheapest" }} }}
"""
    assert text(await run(config, "code-fast")) == "Hello from the fake"
    (call,) = fake.calls("/v1/chat/completions")
    assert call.json["model"] == "code-fast"
    assert call.json["tags"] == ["zeke"] and call.json["omen"] == {"strategy": "cheapest"}
    assert call.headers["authorization"] == "Bearer gw-secret-key-0000000000"


async def test_unreachable_gateway_falls_back_to_the_direct_provider(fake):
    config = f"""
[api]
base_url = "{unused_port_url()}/v1"
[aliases]
code-fast = "openai:fake-fast"
[providers.openai]
base_url = "{fake.url}/v1"
api_key = "env:ZEKE_TEST_KEY"
"""
    assert text(await run(config, "code-fast")) == "Hello from the fake"
    assert fake.calls()[0].json["model"] == "fake-fast"


async def test_500_before_first_token_moves_to_the_fallback_alias(fake):
    fake.queue(Reply(status=500))
    assert text(await run(two_aliases(fake.url), "code-fast")) == "Hello from the fake"
    assert [c.json["model"] for c in fake.calls()] == ["fake-fast", "fake-smart"]


async def test_400_is_not_retried(fake):
    fake.queue(Reply(status=400, body={"error": {"message": "bad request"}}))
    with pytest.raises(ProviderError, match="bad request") as info:
        await run(two_aliases(fake.url), "code-fast")
    assert info.value.status == 400 and len(fake.calls()) == 1


async def test_429_moves_on_and_the_endpoint_cools_down_for_retry_after(fake):
    other = FakeProvider().start()
    try:
        fake.queue(Reply(status=429, headers={"Retry-After": "30"}))
        router = make_router(two_aliases(fake.url, other.url))
        try:
            assert (
                text([d async for d in router.chat("code-fast", ask("x"))]) == "Hello from the fake"
            )
            assert len(other.calls()) == 1
            # still cooling down: the fallback is tried first, the limited endpoint not at all
            [d async for d in router.chat("code-fast", ask("x"))]
        finally:
            await router.aclose()
        assert len(fake.calls()) == 1 and len(other.calls()) == 2
    finally:
        other.stop()


async def test_429_with_nothing_else_left_waits_retry_after_once(fake):
    fake.queue(Reply(status=429, headers={"Retry-After": "0.3"}))
    started = time.monotonic()
    assert text(await run(two_aliases(fake.url), "solo")) == "Hello from the fake"
    assert time.monotonic() - started >= 0.3
    assert len(fake.calls()) == 2


async def test_hang_before_first_byte_times_out_and_moves_on(fake):
    other = FakeProvider().start()
    try:
        fake.queue(Reply(fault="hang"))
        started = time.monotonic()
        assert (
            text(await run(two_aliases(fake.url, other.url), "code-fast")) == "Hello from the fake"
        )
        assert 0.35 < time.monotonic() - started < 3
        (hung,) = fake.calls()
        assert fake.wait_for(lambda: hung.disconnected_at is not None, 2)
    finally:
        other.stop()


async def test_hang_without_fallback_is_a_clear_timeout(fake):
    fake.queue(Reply(fault="hang"))
    with pytest.raises(ProviderError, match=r"no first token within 0\.4 s"):
        await run(two_aliases(fake.url), "solo")


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("stall", "stream stalled: no data for 0.4 s"),
        ("truncate", "stream truncated"),
        ("malformed", "malformed stream chunk"),
    ],
)
async def test_broken_stream_after_first_token_ends_with_an_error_and_no_restart(
    fake, fault, message
):
    fake.queue(Reply(chunks=["one", "two", "three"], fault=fault, fault_after=1))
    router = make_router(two_aliases(fake.url))
    got: list[str] = []
    started = time.monotonic()
    with pytest.raises(ProviderError, match=message) as info:
        async for delta in router.chat("code-fast", ask("x")):
            got.append(delta.text)
    await router.aclose()
    assert got == ["one"]
    assert time.monotonic() - started < 3
    assert len(fake.calls()) == 1  # the fallback was not tried after a token went out
    assert fake.url in str(info.value)


async def test_truncated_before_any_token_falls_back(fake):
    fake.queue(Reply(chunks=["one"], fault="truncate", fault_after=0))
    assert text(await run(two_aliases(fake.url), "code-fast")) == "Hello from the fake"
    assert len(fake.calls()) == 2


async def test_secrets_stay_out_of_errors_and_logs(fake, caplog):
    caplog.set_level(logging.DEBUG)
    leak = {"error": {"message": f"invalid key {SECRET} for Authorization: Bearer {SECRET}"}}
    fake.queue(Reply(status=500, body=leak), Reply(status=401, body=leak))
    with pytest.raises(ProviderError) as info:
        await run(two_aliases(fake.url), "code-fast")
    assert SECRET not in str(info.value)
    assert "HTTP 401" in str(info.value) and "HTTP 500" in str(info.value)
    assert caplog.text and SECRET not in caplog.text
