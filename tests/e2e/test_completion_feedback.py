"""zeke/didShowCompletion and zeke/didAcceptCompletion are counted and reported by zeke/status."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from tests.fakes.provider import Reply
from tests.harness import loopback_config, open_document, rpc, zeke_session

PY = "def add(a, b):\n    return \n"


async def test_shown_and_partially_accepted_suggestions_are_counted(tmp_path, fake):
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        for _ in range(2):
            client.protocol.notify("zeke/didShowCompletion", {"text": "return a + b"})
        client.protocol.notify(
            "zeke/didAcceptCompletion",
            {"text": "return a + b", "acceptedLength": 6, "kind": "word"},
        )
        stats: dict = {}
        for _ in range(50):
            stats = (await rpc(client, "zeke/status"))["completion"]
            if stats.get("accepted"):
                break
            await asyncio.sleep(0.05)
    assert stats == {"shown": 2, "accepted": 1, "acceptedChars": 6}


async def completion_stats(client, until) -> dict:
    """zeke/status's completion counters once `until(stats)` holds (bounded poll)."""
    stats: dict = {}
    for _ in range(50):
        stats = (await rpc(client, "zeke/status"))["completion"]
        if until(stats):
            return stats
        await asyncio.sleep(0.05)
    return stats


def inline_at_return(client, uri):
    return client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=1, character=11),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
    )


async def test_inline_items_carry_an_accept_command_that_is_counted(tmp_path, fake):
    """Neovim 0.12 and VS Code run an item's command after accepting it: that is the signal."""
    fake.default = Reply(chunks=["a + b"])
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        commands = client.zeke_init_result.capabilities.execute_command_provider.commands
        assert "zeke.didAccept" in commands
        uri = open_document(client, tmp_path / "workspace" / "m.py", PY)
        (item,) = (await inline_at_return(client, uri)).items
        assert item.insert_text == "a + b"
        assert item.command.command == "zeke.didAccept"
        (again,) = (await inline_at_return(client, uri)).items
        assert again.command.arguments != item.command.arguments  # one id per item sent
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=item.command.command, arguments=item.command.arguments
            )
        )
        stats = await completion_stats(client, lambda s: s.get("accepted"))
    assert stats == {"accepted": 1, "acceptedChars": 5}


async def test_copilot_client_notification_names_are_counted(tmp_path, fake):
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        item = {
            "insertText": "return a + b",
            "command": {"title": "t", "command": "zeke.didAccept", "arguments": [{"id": "z1"}]},
        }
        client.protocol.notify("textDocument/didShowCompletion", {"item": item})
        client.protocol.notify(
            "textDocument/didPartiallyAcceptCompletion", {"item": item, "acceptedLength": 7}
        )
        stats = await completion_stats(client, lambda s: s.get("accepted"))
    assert stats == {"shown": 1, "accepted": 1, "acceptedChars": 7}
