"""zeke/edit → proposal → zeke/editAccept | zeke/editReject, against the real daemon.

Open documents are changed only through `workspace/applyEdit` to the client; closed files
through the embedded Glyph. Every refusal leaves every file exactly as it was.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.uris import from_fs_path

from tests.fakes.provider import Reply
from tests.harness import collect, loopback_config, open_document, rpc, zeke_session
from zeke_ls.patch.workspace_edit import apply_text_edits

SOURCE = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
FIX = "a.py\n<<<<<<< SEARCH\ndef add(a, b):\n    return a + b\n=======\ndef add(a, b):\n    return b + a\n>>>>>>> REPLACE\n"
EXPECTED = SOURCE.replace("return a + b", "return b + a")


EDIT_CAPABILITIES = types.ClientCapabilities(
    workspace=types.WorkspaceClientCapabilities(
        apply_edit=True,
        workspace_edit=types.WorkspaceEditClientCapabilities(
            document_changes=True,
            change_annotation_support=types.ChangeAnnotationsSupportOptions(groups_on_label=True),
        ),
    )
)


def chunked(text: str, size: int = 17) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def capture_apply_edit(client: Any, applied: bool = True) -> list[types.ApplyWorkspaceEditParams]:
    seen: list[types.ApplyWorkspaceEditParams] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def _on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        seen.append(params)
        return types.ApplyWorkspaceEditResult(
            applied=applied, failure_reason=None if applied else "user said no"
        )

    return seen


def workspace(tmp_path: Path, text: str = SOURCE) -> Path:
    root = tmp_path / "workspace"
    root.mkdir(exist_ok=True)
    (root / "a.py").write_text(text, encoding="utf-8")
    return root


def edit_params(uri: str, instruction: str = "swap the operands") -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "instruction": instruction}


async def test_edit_then_accept_sends_versioned_apply_edit(tmp_path, fake):
    root = workspace(tmp_path)
    fake.queue(Reply(chunks=chunked(FIX)))
    async with zeke_session(
        tmp_path, loopback_config(fake.url), capabilities=EDIT_CAPABILITIES
    ) as client:
        progress = collect(client, "zeke/editProgress")
        seen = capture_apply_edit(client)
        uri = open_document(client, root / "a.py", SOURCE)
        selection = {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 4}}
        proposal = await rpc(client, "zeke/edit", {**edit_params(uri), "range": selection})
        result = await rpc(client, "zeke/editAccept", {"editId": proposal["editId"]})
    assert [h["status"] for h in proposal["hunks"]] == ["applied"]
    assert "-    return a + b\n+    return b + a" in proposal["diff"]
    [doc_edit] = proposal["edit"]["documentChanges"]
    assert doc_edit["textDocument"] == {"uri": uri, "version": 1}
    assert proposal["edit"]["changeAnnotations"]["zekeEdit"]["needsConfirmation"] is True
    streamed = "".join(p.get("text", "") for p in progress if p["phase"] == "generating")
    assert streamed == FIX and progress[-1]["phase"] == "done"
    assert all(p["editId"] == proposal["editId"] and "requestId" in p for p in progress)
    [applied] = seen
    [change] = applied.edit.document_changes
    assert change.text_document.version == 1
    assert all(e.annotation_id == "zekeEdit" for e in change.edits)
    assert [(e.range.start.line, e.new_text) for e in change.edits] == [(1, "b + a")]
    assert apply_text_edits(SOURCE, change.edits) == EXPECTED
    assert result["applied"] == ["h1"]
    prompt = fake.calls("/chat/completions")[0].json["messages"][-1]["content"]
    assert (
        "File: a.py" in prompt and "selected lines 1-2" in prompt and "swap the operands" in prompt
    )
    assert (
        root / "a.py"
    ).read_text() == SOURCE  # the editor applies open documents, not the daemon


async def test_reject_changes_nothing_and_settles_the_id(tmp_path, fake):
    root = workspace(tmp_path)
    fake.queue(Reply(chunks=[FIX]))
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        seen = capture_apply_edit(client)
        uri = open_document(client, root / "a.py", SOURCE)
        proposal = await rpc(client, "zeke/edit", edit_params(uri))
        assert await rpc(client, "zeke/editReject", {"editId": proposal["editId"]}) == {
            "editId": proposal["editId"],
            "rejected": True,
        }
        with pytest.raises(Exception, match="unknown or already settled"):
            await rpc(client, "zeke/editAccept", {"editId": proposal["editId"]})
    assert seen == [] and (root / "a.py").read_text() == SOURCE


def change_document(client: Any, uri: str, version: int, line: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(line, 0), types.Position(line, 0)), text=text
                )
            ],
        )
    )


async def test_document_edited_after_proposal_is_reanchored(tmp_path, fake):
    root = workspace(tmp_path)
    fake.queue(Reply(chunks=[FIX]))
    async with zeke_session(
        tmp_path, loopback_config(fake.url), capabilities=EDIT_CAPABILITIES
    ) as client:
        seen = capture_apply_edit(client)
        uri = open_document(client, root / "a.py", SOURCE)
        proposal = await rpc(client, "zeke/edit", edit_params(uri))
        change_document(client, uri, 2, 0, "import math\n\n")
        await rpc(client, "zeke/editAccept", {"editId": proposal["editId"]})
    [change] = seen[0].edit.document_changes
    assert change.text_document.version == 2
    assert [(e.range.start.line, e.new_text) for e in change.edits] == [(3, "b + a")]


async def test_client_without_document_changes_gets_the_plain_changes_form(tmp_path, fake):
    """Grim sends empty client capabilities: no versions, no annotations, `changes` map."""
    root = workspace(tmp_path)
    fake.queue(Reply(chunks=[FIX]))
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        seen = capture_apply_edit(client)
        uri = open_document(client, root / "a.py", SOURCE)
        proposal = await rpc(client, "zeke/edit", edit_params(uri))
        await rpc(client, "zeke/editAccept", {"editId": proposal["editId"]})
    [applied] = seen
    assert applied.edit.document_changes is None and applied.edit.change_annotations is None
    [(changed_uri, edits)] = (applied.edit.changes or {}).items()
    assert changed_uri == uri and apply_text_edits(SOURCE, edits) == EXPECTED


async def test_document_edited_under_the_hunk_is_refused_as_stale(tmp_path, fake):
    root = workspace(tmp_path)
    fake.queue(Reply(chunks=[FIX]))
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        seen = capture_apply_edit(client)
        uri = open_document(client, root / "a.py", SOURCE)
        proposal = await rpc(client, "zeke/edit", edit_params(uri))
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text="x = 1\n")],
            )
        )
        with pytest.raises(Exception, match="changed since the proposal") as failure:
            await rpc(client, "zeke/editAccept", {"editId": proposal["editId"]})
    assert getattr(failure.value, "code", None) == -32004
    assert seen == [] and (root / "a.py").read_text() == SOURCE


async def test_closed_file_is_read_and_written_through_glyph(tmp_path, fake):
    root = workspace(tmp_path, SOURCE.replace("\n", "\r\n"))
    os.chmod(root / "a.py", 0o640)
    fake.queue(Reply(chunks=[FIX]))
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        seen = capture_apply_edit(client)
        uri = from_fs_path(str(root / "a.py"))
        proposal = await rpc(client, "zeke/edit", edit_params(uri))
        assert (root / "a.py").read_bytes() == SOURCE.replace("\n", "\r\n").encode()
        await rpc(client, "zeke/editAccept", {"editId": proposal["editId"]})
    assert seen == []
    assert (root / "a.py").read_bytes() == EXPECTED.replace("\n", "\r\n").encode()
    assert (root / "a.py").stat().st_mode & 0o777 == 0o640


async def test_ambiguous_and_unparseable_answers_are_refused_precisely(tmp_path, fake):
    root = workspace(tmp_path)
    ambiguous = "a.py\n<<<<<<< SEARCH\n    return a\n=======\n    return 0\n>>>>>>> REPLACE\n"
    text = SOURCE + "\n\ndef first(a, b):\n    return a\n\n\ndef again(a, b):\n    return a\n"
    (root / "a.py").write_text(text)
    fake.queue(Reply(chunks=[ambiguous]), Reply(chunks=["I am not sure what to change."]))
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        seen = capture_apply_edit(client)
        uri = open_document(client, root / "a.py", text)
        proposal = await rpc(client, "zeke/edit", edit_params(uri))
        [hunk] = proposal["hunks"]
        assert hunk["status"] == "refused" and "ambiguous" in hunk["reason"]
        assert hunk["candidates"] == [10, 14]
        assert proposal["edit"]["documentChanges"] == []
        with pytest.raises(Exception, match="h1 were refused"):
            await rpc(client, "zeke/editAccept", {"editId": proposal["editId"], "hunks": ["h1"]})
        with pytest.raises(Exception, match="no usable edit") as failure:
            await rpc(client, "zeke/edit", edit_params(uri))
    assert getattr(failure.value, "code", None) == -32005
    assert seen == [] and (root / "a.py").read_text() == text


async def test_edit_naming_a_file_outside_the_roots_is_refused(tmp_path, fake):
    root = workspace(tmp_path)
    (tmp_path / "secret.py").write_text("x = 1\n")
    escape = "../secret.py\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n"
    fake.queue(Reply(chunks=[escape]))
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = open_document(client, root / "a.py", SOURCE)
        with pytest.raises(Exception, match="outside the workspace roots") as failure:
            await rpc(client, "zeke/edit", edit_params(uri))
        with pytest.raises(Exception, match="outside the workspace roots"):
            await rpc(client, "zeke/edit", edit_params(from_fs_path(str(tmp_path / "secret.py"))))
    assert getattr(failure.value, "code", None) == -32005
    assert (tmp_path / "secret.py").read_text() == "x = 1\n"


DYING_GLYPH = Path(__file__).parent.parent / "fakes" / "dying_glyph.py"


async def test_glyph_dying_mid_write_is_tool_failed_and_file_untouched(tmp_path, fake):
    root = workspace(tmp_path)
    extra = f'\n[services.glyph]\nmcp_transport = "stdio"\nmcp_command = ["{sys.executable}", "{DYING_GLYPH}"]\n'
    fake.queue(Reply(chunks=[FIX]))
    async with zeke_session(tmp_path, loopback_config(fake.url, extra)) as client:
        uri = from_fs_path(str(root / "a.py"))
        proposal = await rpc(client, "zeke/edit", edit_params(uri))
        with pytest.raises(Exception, match="Glyph failed during write_file") as failure:
            await asyncio.wait_for(
                rpc(client, "zeke/editAccept", {"editId": proposal["editId"]}), 30
            )
    assert getattr(failure.value, "code", None) == -32006
    assert (root / "a.py").read_text() == SOURCE


async def test_closed_file_edit_through_a_websocket_glyph(tmp_path, fake):
    import socket
    import subprocess

    root = workspace(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bridge = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).parent.parent / "fakes" / "ws_glyph.py"),
            str(port),
            str(root),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert bridge.stdout is not None and bridge.stdout.readline().strip() == b"ready"
        extra = (
            f'\n[services.glyph]\nmcp_transport = "websocket"\nmcp_url = "ws://127.0.0.1:{port}"\n'
        )
        fake.queue(Reply(chunks=[FIX]))
        async with zeke_session(tmp_path, loopback_config(fake.url, extra)) as client:
            proposal = await rpc(client, "zeke/edit", edit_params(from_fs_path(str(root / "a.py"))))
            await rpc(client, "zeke/editAccept", {"editId": proposal["editId"]})
    finally:
        bridge.kill()
        bridge.wait()
    assert (root / "a.py").read_text() == EXPECTED


async def test_binary_target_and_declined_apply_edit_are_precise_errors(tmp_path, fake):
    root = workspace(tmp_path)
    (root / "blob.py").write_bytes(b"x = 1\x00\x01\n")
    fake.queue(Reply(chunks=[FIX]))
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        with pytest.raises(Exception, match="binary file refused") as failure:
            await rpc(client, "zeke/edit", edit_params(from_fs_path(str(root / "blob.py"))))
        assert (
            getattr(failure.value, "code", None) == -32005
        )  # Refused: Glyph answered, refusing the file
        assert fake.calls("/chat/completions") == []
        seen = capture_apply_edit(client, applied=False)
        uri = open_document(client, root / "a.py", SOURCE)
        proposal = await rpc(client, "zeke/edit", edit_params(uri))
        with pytest.raises(Exception, match="did not apply the edit: user said no"):
            await rpc(client, "zeke/editAccept", {"editId": proposal["editId"]})
    assert len(seen) == 1
    assert (root / "blob.py").read_bytes() == b"x = 1\x00\x01\n" and (
        root / "a.py"
    ).read_text() == SOURCE
