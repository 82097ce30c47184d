"""The daemon's LSP core over stdio: capabilities, document sync, status, config, bad input."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.harness import (
    daemon_env,
    loopback_config,
    open_document,
    rpc,
    wait_for,
    wait_for_log,
    zeke_session,
)


async def test_status_reports_config_and_aliases(tmp_path, fake):
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        status = await rpc(client, "zeke/status")
    assert status["version"]
    assert any(src.endswith("zeke.toml") for src in status["configSources"])
    assert {a["alias"] for a in status["aliases"]} == {"code-fast", "code-smart", "local"}
    assert status["features"]["completion"] == "code-fast"
    assert status["workspaceRoots"] == [str((tmp_path / "workspace").resolve())]


NEVER_PROVIDED = (  # hover is provided: explain answers and Grim's K (features/hover.py)
    "definition_provider",
    "references_provider",
    "rename_provider",
    "document_formatting_provider",
    "semantic_tokens_provider",
    "signature_help_provider",
    "document_symbol_provider",
)


async def test_initialize_advertises_incremental_sync_and_nothing_that_does_not_exist(
    tmp_path, fake
):
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        result: types.InitializeResult = client.zeke_init_result
    caps = result.capabilities
    assert caps.text_document_sync.change == types.TextDocumentSyncKind.Incremental
    assert caps.text_document_sync.open_close is True
    assert caps.position_encoding == types.PositionEncodingKind.Utf16
    assert result.server_info.name == "zeke-ls"
    for name in NEVER_PROVIDED:
        assert getattr(caps, name) is None, name
    # answered at once (explain answers, AI hover for Grim's K; [] highlights): protocol.md
    assert caps.hover_provider and caps.document_highlight_provider


async def test_incremental_changes_with_utf16_and_non_bmp_characters(tmp_path, fake):
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        path = tmp_path / "workspace" / "emoji.py"
        uri = open_document(client, path, 'x = "😀é"\ny = 1\n')
        # UTF-16: 😀 is two code units, so 'é' is at column 7 and the closing quote at 8.
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=types.Position(0, 7), end=types.Position(0, 8)),
                        text="e🎉",
                    )
                ],
            )
        )
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=types.Position(1, 4), end=types.Position(1, 5)),
                        text="42",
                    )
                ],
            )
        )
        state = await rpc(
            client, "zeke/documentState", {"textDocument": {"uri": uri}, "includeText": True}
        )
    assert state["text"] == 'x = "😀e🎉"\ny = 42\n'
    assert state["version"] == 3
    assert state["utf16Length"] == len(state["text"].encode("utf-16-le")) // 2


async def test_full_text_change_as_grim_sends_it(tmp_path, fake):
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "a.zig", "const a = 1;\n", "zig")
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[
                    types.TextDocumentContentChangeWholeDocument(text="const b = 2;\n")
                ],
            )
        )
        state = await rpc(
            client, "zeke/documentState", {"textDocument": {"uri": uri}, "includeText": True}
        )
    assert state["text"] == "const b = 2;\n"


async def test_unknown_method_and_bad_params_get_jsonrpc_errors_and_daemon_stays_up(tmp_path, fake):
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        with pytest.raises(JsonRpcException) as unknown:
            await rpc(client, "zeke/noSuchMethod", {})
        assert unknown.value.code == -32601
        with pytest.raises(JsonRpcException) as invalid:
            await rpc(client, "zeke/documentState", {"textDocument": 5})
        assert invalid.value.code == -32602 and "textDocument" in invalid.value.message
        with pytest.raises(JsonRpcException) as missing:
            await rpc(client, "zeke/documentState", {"textDocument": {"uri": "file:///never.py"}})
        assert missing.value.code == -32003
        assert (await rpc(client, "zeke/status"))["version"]


async def test_junk_initialization_options_show_one_error_and_daemon_serves(tmp_path, fake):
    async with zeke_session(
        tmp_path, loopback_config(fake.url), init_options={"zeke": ["junk"]}
    ) as client:
        await wait_for(lambda: client.messages, "the config error message")  # sent at initialized
        status = await rpc(client, "zeke/status")
    errors = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1 and "expected a table" in errors[0]
    assert {a["alias"] for a in status["aliases"]} == {"code-fast", "code-smart", "local"}


async def test_initialization_options_overlay_the_file(tmp_path, fake):
    options = {"zeke": {"completion": {"model": "code-smart"}}}
    async with zeke_session(tmp_path, loopback_config(fake.url), init_options=options) as client:
        status = await rpc(client, "zeke/status")
    assert status["features"]["completion"] == "code-smart"
    assert status["configSources"][-1] == "initializationOptions"


async def test_did_change_configuration_overlays_and_bad_values_keep_last_good(tmp_path, fake):
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"zeke": {"chat": {"model": "local"}}})
        )
        assert (await rpc(client, "zeke/status"))["features"]["chat"] == "local"
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"zeke": {"chat": {"max_tool_steps": "lots"}}}
            )
        )
        status = await rpc(client, "zeke/status")
    assert status["features"]["chat"] == "local"
    [error] = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert "chat.max_tool_steps" in error and "didChangeConfiguration" in error


async def test_config_file_hot_reload_and_invalid_edit_keeps_last_good(tmp_path, fake):
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        config_file = tmp_path / "zeke.toml"
        await wait_for_log(client, "config watcher started")
        config_file.write_text(loopback_config(fake.url, '[aliases.extra]\nroute = "openai:x"\n'))
        assert await wait_until(client, lambda s: "extra" in {a["alias"] for a in s["aliases"]})
        config_file.write_text("this is [not toml")
        await wait_for(
            lambda: any(m.type == types.MessageType.Error for m in client.messages),
            "the TOML error message",
        )
        status = await rpc(client, "zeke/status")
    assert "extra" in {a["alias"] for a in status["aliases"]}
    [error] = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert "not valid TOML" in error and "zeke.toml" in error


async def wait_until(client, predicate, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if predicate(await rpc(client, "zeke/status")):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_malformed_json_rpc_gets_a_parse_error_and_daemon_keeps_serving(tmp_path):
    """Raw bytes on stdin: broken JSON, a non-object, then a real request that must succeed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "zeke_ls",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=daemon_env(tmp_path),
    )
    assert proc.stdin and proc.stdout

    def frame(body: bytes) -> bytes:
        return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)

    proc.stdin.write(frame(b'{"jsonrpc": "2.0", "id": 1, "method": '))
    proc.stdin.write(
        frame(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "method": "initialize",
                    "params": {"capabilities": {}, "processId": None},
                }
            ).encode()
        )
    )
    proc.stdin.write(
        frame(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "zeke/status"}).encode())
    )
    await proc.stdin.drain()
    answers = {}
    try:
        while len(answers) < 3:
            header = await asyncio.wait_for(proc.stdout.readuntil(b"\r\n\r\n"), 10)
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            message = json.loads(await proc.stdout.readexactly(length))
            if "id" in message and "method" not in message:
                answers[message["id"]] = message
    finally:
        proc.kill()
        await proc.wait()
    assert answers[None]["error"]["code"] == -32700
    assert "capabilities" in answers[2]["result"]
    assert answers[3]["result"]["version"]
