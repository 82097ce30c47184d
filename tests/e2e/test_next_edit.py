"""Next-edit suggestions end to end: the real daemon over stdio, the fake provider over HTTP."""

from __future__ import annotations

import asyncio
import threading

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.fakes.provider import Reply
from tests.harness import loopback_config, open_document, rpc, zeke_session

DOC = "def area(w):\n    return w * w\n\n\nprint(area(2))\nprint(area(3))\n"
WIDE = DOC.replace("def area(w):", "def area(w, h):")
"""The document after the user's edit: the next edit is to pass h at the call sites."""


def fenced(text: str) -> Reply:
    return Reply(chunks=["Here it is:\n```python\n", text.rstrip("\n"), "\n```\n"])


def change(
    client, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str
) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(*start), types.Position(*end)), text=text
                )
            ],
        )
    )


async def edited(client, tmp_path) -> str:
    """Open DOC and type `, h` into the signature, keystroke by keystroke."""
    uri = open_document(client, tmp_path / "workspace" / "geo.py", DOC)
    for version, (column, text) in enumerate([(10, ","), (11, " "), (12, "h")], start=2):
        change(client, uri, version, (0, column), (0, column), text)
    state = await rpc(
        client, "zeke/documentState", {"textDocument": {"uri": uri}, "includeText": True}
    )
    assert state["text"] == WIDE
    return uri


def ask(client, uri: str, line: int = 0, character: int = 14, method: str = "zeke/nextEdit"):
    return rpc(
        client,
        method,
        {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
    )


async def test_next_edit_predicts_the_call_site_change(tmp_path, fake):
    fake.default = fenced(WIDE.replace("area(2)", "area(2, 2)"))
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = await edited(client, tmp_path)
        result = await ask(client, uri)
        status = await rpc(client, "zeke/status")
    edit = result["edit"]
    assert edit["range"] == {
        "start": {"line": 4, "character": 12},
        "end": {"line": 4, "character": 12},
    }
    assert edit["newText"] == ", 2"
    assert edit["cursor"] == {"line": 4, "character": 15}
    assert edit["textDocument"] == {"uri": uri, "version": 4}
    user = fake.calls("/chat/completions")[-1].json["messages"][-1]["content"]
    assert "-def area(w):\n+def area(w, h):" in user  # three keystrokes, one edit
    assert "def area(w, h)<|user_cursor|>:" in user
    assert fake.calls("/chat/completions")[-1].json["model"] == "fake-smart"  # the edit alias
    assert status["nextEdit"]["requests"] == 1 and status["nextEdit"]["suggested"] == 1


async def test_copilot_shape_and_feedback_counts(tmp_path, fake):
    fake.default = fenced(WIDE.replace("area(3)", "area(3, 3)"))
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = await edited(client, tmp_path)
        result = await ask(client, uri, method="textDocument/copilotInlineEdit")
        [edit] = result["edits"]
        client.protocol.notify("zeke/didShowNextEdit", {"id": edit["command"]["arguments"][0]})
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=edit["command"]["command"], arguments=edit["command"]["arguments"]
            )
        )
        client.protocol.notify("zeke/didDismissNextEdit", {})
        status = await rpc(client, "zeke/status")
    assert edit["range"] == {
        "start": {"line": 5, "character": 12},
        "end": {"line": 5, "character": 12},
    }
    assert edit["text"] == ", 3"
    assert edit["textDocument"] == {"uri": uri, "version": 4}
    assert edit["command"]["command"] == "zeke.didAcceptNextEdit"
    counts = status["nextEdit"]
    assert (counts["shown"], counts["accepted"], counts["dismissed"]) == (1, 1, 1)


async def test_quiet_rules(tmp_path, fake):
    answers = {
        "unchanged": fenced(WIDE),
        "undo": fenced(DOC),
        "whitespace": fenced(WIDE.replace("    return w * w", "    return w*w")),
        "empty": Reply(chunks=["I would not change anything."]),
    }
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = await edited(client, tmp_path)
        got = {}
        for reason, reply in answers.items():
            fake.default = reply
            got[reason] = await ask(client, uri)
        copilot = await ask(client, uri, method="textDocument/copilotInlineEdit")
        status = await rpc(client, "zeke/status")
    assert got == {reason: {"edit": None, "quiet": reason} for reason in answers}
    assert copilot == {"edits": []}
    assert status["nextEdit"]["quiet"]["undo"] == 1


async def test_text_typed_since_the_request_silences_a_conflicting_edit(tmp_path, fake):
    release = threading.Event()

    def held(request):
        release.wait(10)  # hold the answer until the user has typed
        return fenced(WIDE.replace("area(2)", "area(2, 2)"))

    fake.responder = held
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = await edited(client, tmp_path)
        pending = asyncio.ensure_future(ask(client, uri))
        assert await asyncio.to_thread(
            fake.wait_for, lambda: len(fake.calls("/chat/completions")) == 1
        )
        change(client, uri, 5, (4, 12), (4, 12), "0")  # print(area(20)): inside the edit
        await rpc(client, "zeke/documentState", {"textDocument": {"uri": uri}})  # processed
        release.set()
        result = await pending
    assert result == {"edit": None, "quiet": "conflict"}


async def test_text_typed_elsewhere_moves_the_edit(tmp_path, fake):
    release = threading.Event()

    def held(request):
        release.wait(10)
        return fenced(WIDE.replace("area(3)", "area(3, 3)"))

    fake.responder = held
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = await edited(client, tmp_path)
        pending = asyncio.ensure_future(ask(client, uri))
        assert await asyncio.to_thread(
            fake.wait_for, lambda: len(fake.calls("/chat/completions")) == 1
        )
        change(client, uri, 5, (0, 0), (0, 0), "import math\n")
        await rpc(client, "zeke/documentState", {"textDocument": {"uri": uri}})
        release.set()
        result = await pending
    assert result["edit"]["range"]["start"] == {"line": 6, "character": 12}
    assert result["edit"]["newText"] == ", 3"


async def test_newer_request_supersedes_and_closes_the_older_stream(tmp_path, fake):
    fake.queue(Reply(fault="hang"), fenced(WIDE.replace("area(2)", "area(2, 2)")))
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = await edited(client, tmp_path)
        older = asyncio.ensure_future(ask(client, uri))
        assert await asyncio.to_thread(
            fake.wait_for, lambda: len(fake.calls("/chat/completions")) == 1
        )
        newer = await ask(client, uri)
        old_result = await older
        first = fake.calls("/chat/completions")[0]
        assert await asyncio.to_thread(fake.wait_for, lambda: first.disconnected_at is not None)
    assert old_result == {"edit": None, "quiet": "superseded"}
    assert newer["edit"]["newText"] == ", 2"


async def test_zeta_template_uses_raw_completions(tmp_path, fake):
    answer = "<|editable_region_start|>\n" + WIDE.replace("area(2)", "area(2, 2)")
    fake.default = Reply(chunks=[answer])
    config = loopback_config(fake.url).replace('code-smart = "openai:fake-smart"\n', "")
    config += '\n[aliases.code-smart]\nroute = "openai:zeta"\nnes_template = "zeta"\n'
    async with zeke_session(tmp_path, config) as client:
        uri = await edited(client, tmp_path)
        result = await ask(client, uri)
    body = fake.calls("/completions")[-1].json
    assert body["prompt"].startswith("### Instruction:")
    assert "<|user_cursor_is_here|>" in body["prompt"]
    assert body["stop"] == ["\n<|editable_region_end|>"]
    assert result["edit"]["newText"] == ", 2"


async def test_disabled_and_unknown_documents(tmp_path, fake):
    config = loopback_config(fake.url) + "\n[next_edit]\nenabled = false\n"
    async with zeke_session(tmp_path, config) as client:
        uri = await edited(client, tmp_path)
        result = await ask(client, uri)
        with pytest.raises(JsonRpcException, match="not open"):
            await ask(client, "file:///nowhere/x.py")
    assert result == {"edit": None, "quiet": "disabled"}
    assert fake.calls("/chat/completions") == []
