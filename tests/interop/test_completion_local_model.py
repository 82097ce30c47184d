"""Inline completion through the real bundled local model (SmolLM2 via llama.cpp), chat path."""

from __future__ import annotations

from lsprotocol import types

from tests.harness import open_document, zeke_session
from tests.interop.local_model import local_model_config, requires_local_model

pytestmark = requires_local_model

CONFIG = local_model_config("code-fast", "\n[completion]\nmax_tokens = 48\n")


async def test_local_model_returns_a_suggestion(tmp_path):
    text = 'def add(a, b):\n    """Return the sum of a and b."""\n    return \n'
    async with zeke_session(tmp_path, CONFIG) as client:
        uri = open_document(client, tmp_path / "workspace" / "add.py", text)
        result = await client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(2, 11),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Invoked
                ),
            )
        )
    assert result.items, "the local model gave no usable suggestion"
    assert result.items[0].insert_text.strip()
    assert result.items[0].range == types.Range(types.Position(2, 11), types.Position(2, 11))
