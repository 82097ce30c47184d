"""Several Ollama endpoints: a dead one is skipped and found again later, the healthy one with
the lowest latency is preferred, and `timeout_ms` bounds the wait."""

from __future__ import annotations

import time

import pytest

from tests.e2e.test_providers_router import ask, make_router
from tests.fakes.provider import FakeProvider, Reply, unused_port_url
from zeke_ls.providers.base import ProviderError
from zeke_ls.providers.probes import probe_once


def ollama(*urls: str, timeout_ms: int = 45_000) -> str:
    return f"""
[aliases]
code-fast = "ollama:qwen2.5-coder:7b"
[providers.ollama]
endpoints = "{",".join(urls)}"
timeout_ms = {timeout_ms}
"""


@pytest.fixture
def second():
    provider = FakeProvider().start()
    yield provider
    provider.stop()


async def test_dead_endpoint_is_skipped_then_found_again(fake):
    dead = unused_port_url()
    router = make_router(ollama(dead, fake.url))
    try:
        texts = [d.text async for d in router.chat("code-fast", ask("x"))]
        assert "".join(texts) == "Hello from the fake"
        entry = router.health.entries[dead]
        assert entry.reachable is False and "connect" in (entry.error or "")
        checked = entry.checked_at
        [d async for d in router.chat("code-fast", ask("x"))]
        assert router.health.entries[dead].checked_at == checked  # not tried again
        assert len(fake.calls("/api/chat")) == 2

        revived = FakeProvider().start(port=int(dead.rsplit(":", 1)[1]))
        try:
            await probe_once(router)  # what the background loop does every interval
            assert router.health.entries[dead].reachable is True
            assert revived.calls("/api/version")
        finally:
            revived.stop()
    finally:
        await router.aclose()


async def test_lowest_latency_healthy_endpoint_is_preferred(fake, second):
    fake.responder = lambda request: (
        Reply(first_delay_s=0.15) if request.path == "/api/version" else None
    )
    router = make_router(ollama(fake.url, second.url))
    try:
        await probe_once(router)
        health = router.health.entries
        assert (health[fake.url].latency_ms or 0) > (health[second.url].latency_ms or 0)
        [d async for d in router.chat("code-fast", ask("x"))]
    finally:
        await router.aclose()
    assert fake.calls("/api/chat") == [] and len(second.calls("/api/chat")) == 1


async def test_failing_endpoint_fails_over_before_the_first_token(fake, second):
    fake.queue(Reply(status=503))
    router = make_router(ollama(fake.url, second.url))
    try:
        deltas = [d async for d in router.chat("code-fast", ask("x"))]
    finally:
        await router.aclose()
    assert "".join(d.text for d in deltas) == "Hello from the fake"
    assert len(fake.calls("/api/chat")) == 1 and len(second.calls("/api/chat")) == 1


async def test_timeout_ms_bounds_the_wait_for_a_silent_endpoint(fake):
    fake.queue(Reply(fault="hang"))
    router = make_router(ollama(fake.url, timeout_ms=300))
    started = time.monotonic()
    with pytest.raises(ProviderError, match="no first token"):
        [d async for d in router.chat("code-fast", ask("x"))]
    await router.aclose()
    assert time.monotonic() - started < 2
