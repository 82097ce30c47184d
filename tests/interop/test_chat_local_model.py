"""A real streamed chat answer from the bundled local model (SmolLM2 via llama.cpp)."""

from __future__ import annotations

from tests.harness import collect, rpc, zeke_session
from tests.interop.local_model import local_model_config, requires_local_model

pytestmark = requires_local_model

CONFIG = local_model_config("code-smart", "\n[chat]\nmax_tool_steps = 0\n")


async def test_local_model_streams_a_chat_answer(tmp_path):
    async with zeke_session(tmp_path, CONFIG) as client:
        deltas = collect(client, "zeke/chatDelta")
        result = await rpc(
            client,
            "zeke/chat",
            {
                "message": "Say hello in one short sentence.",
                "includeContext": False,
                "tools": False,
            },
        )
        history = await rpc(client, "zeke/chatHistory", {"chatId": result["chatId"]})
    text = result["message"]["content"]
    assert text.strip(), "the local model answered nothing"
    assert len(deltas) > 1, "the answer was not streamed"
    assert "".join(d["text"] for d in deltas) == text
    assert result["finishReason"] in ("stop", "length")
    assert history["messages"][-1]["content"] == text
