"""The router against the loopback fake: OpenAI-compatible chat, completion, embeddings,
usage, secrets, and hang-up on cancel (seen from the server's side)."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import tomllib

import pytest

from tests.fakes.provider import Reply
from tests.harness import daemon_env, loopback_config
from zeke_ls.config.schema import ZekeConfig
from zeke_ls.providers.base import ChatRequest, CompletionRequest, ProviderError
from zeke_ls.providers.health import HealthBook
from zeke_ls.providers.router import Router

SECRET = "sk-test-secret-value-123"


def make_router(text: str, usage: list | None = None) -> Router:
    config = ZekeConfig.model_validate(tomllib.loads(text))
    sink = (lambda alias, p, c: usage.append((alias, p, c))) if usage is not None else None
    return Router(lambda: config, HealthBook(), sink)


@pytest.fixture(autouse=True)
def test_key(monkeypatch):
    monkeypatch.setenv("ZEKE_TEST_KEY", SECRET)


def ask(text: str) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}], max_tokens=20)


async def test_chat_streams_text_with_usage_and_key(fake):
    usage: list = []
    router = make_router(loopback_config(fake.url), usage)
    try:
        deltas = [d async for d in router.chat("code-smart", ask("hi"))]
    finally:
        await router.aclose()
    assert "".join(d.text for d in deltas) == "Hello from the fake"
    assert deltas[-1].usage is not None
    (call,) = fake.calls("/v1/chat/completions")
    assert call.json["model"] == "fake-smart"
    assert call.json["stream"] is True and call.json["max_tokens"] == 20
    assert call.headers["authorization"] == f"Bearer {SECRET}"
    assert usage == [("code-smart", 11, 3)]


async def test_completion_sends_suffix_and_embeddings_return_vectors(fake):
    router = make_router(loopback_config(fake.url))
    try:
        text = "".join(
            [
                d.text
                async for d in router.complete(
                    "code-fast", CompletionRequest(prompt="def f(", suffix="\n    return x")
                )
            ]
        )
        vectors = await router.embed("code-fast", ["abc", "de"])
    finally:
        await router.aclose()
    assert text == "Hello from the fake"
    assert fake.calls("/v1/completions")[0].json["suffix"] == "\n    return x"
    assert vectors == [[3.0, 0.0, 1.0], [2.0, 1.0, 1.0]]


async def test_connection_is_reused_between_requests(fake):
    router = make_router(loopback_config(fake.url))
    try:
        for _ in range(3):
            [d async for d in router.chat("code-fast", ask("x"))]
    finally:
        await router.aclose()
    assert len(fake.calls("/v1/chat/completions")) == 3
    assert fake.connections == 1


async def test_closing_the_iterator_hangs_up_at_once(fake):
    fake.queue(Reply(chunks=[f"t{i} " for i in range(200)], chunk_delay_s=0.05))
    router = make_router(loopback_config(fake.url))
    try:
        stream = router.chat("code-fast", ask("long"))
        first = await anext(stream)
        assert first.text == "t0 "
        await stream.aclose()
        (call,) = fake.calls("/v1/chat/completions")
        assert fake.wait_for(lambda: call.disconnected_at is not None, timeout=2)
        assert not call.completed
    finally:
        await router.aclose()


async def test_cancelling_the_task_hangs_up_at_once(fake):
    fake.queue(Reply(chunks=[f"t{i} " for i in range(200)], chunk_delay_s=0.05))
    router = make_router(loopback_config(fake.url))
    got: list[str] = []

    async def consume() -> None:
        async for delta in router.chat("code-fast", ask("long")):
            got.append(delta.text)

    task = asyncio.create_task(consume())
    try:
        while len(got) < 2:
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        (call,) = fake.calls("/v1/chat/completions")
        assert fake.wait_for(lambda: call.disconnected_at is not None, timeout=2)
        assert len(got) < 10
    finally:
        await router.aclose()


async def test_missing_secret_names_the_variable(fake, monkeypatch):
    monkeypatch.delenv("ZEKE_TEST_KEY")
    router = make_router(loopback_config(fake.url))
    with pytest.raises(ProviderError, match="ZEKE_TEST_KEY") as info:
        [d async for d in router.chat("code-fast", ask("x"))]
    await router.aclose()
    assert fake.calls() == []
    assert "openai" in str(info.value)


async def test_error_status_is_clear_and_never_shows_the_key(fake):
    body = {"error": {"message": f"Incorrect API key provided: {SECRET}"}}
    fake.queue(Reply(status=401, body=body))
    router = make_router(loopback_config(fake.url))
    with pytest.raises(ProviderError) as info:
        [d async for d in router.chat("code-fast", ask("x"))]
    await router.aclose()
    assert info.value.status == 401
    assert SECRET not in str(info.value)
    assert fake.url in str(info.value)


def test_ask_command_streams_to_stdout(fake, tmp_path):
    config = tmp_path / "zeke.toml"
    config.write_text(loopback_config(fake.url))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "zeke_ls",
            "ask",
            "--config",
            str(config),
            "--model",
            "code-smart",
            "say",
            "hi",
        ],
        env=daemon_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello from the fake\n"
    assert fake.calls("/v1/chat/completions")[0].json["messages"][-1]["content"] == "say hi"


def test_ask_command_fails_with_a_clear_error(fake, tmp_path):
    fake.default = Reply(status=400, body={"error": {"message": "bad model"}})
    config = tmp_path / "zeke.toml"
    config.write_text(loopback_config(fake.url))
    done = subprocess.run(
        [sys.executable, "-m", "zeke_ls", "ask", "--config", str(config), "hi"],
        env=daemon_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert "HTTP 400" in done.stderr and "bad model" in done.stderr
    assert SECRET not in done.stderr
