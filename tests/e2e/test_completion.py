"""Inline completion end to end: the real daemon over stdio, the fake provider over HTTP."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig

from tests.fakes.provider import Reply
from tests.harness import daemon_env, loopback_config, open_document, rpc, zeke_session

AUTO = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic)
INVOKED = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)
DS_BEGIN, DS_HOLE, DS_END = (
    "<\uff5cfim\u2581begin\uff5c>",
    "<\uff5cfim\u2581hole\uff5c>",
    "<\uff5cfim\u2581end\uff5c>",
)
PY = "def add(a, b):\n    return \n\n\nprint(add(1, 2))\n"


def config(fake_url: str, route: str = "openai:fake-fast", extra: str = "") -> str:
    """The harness config, with `code-fast` (the completion alias) pointed at `route`."""
    text = loopback_config(
        fake_url, "first_token_timeout_ms = 1500\nidle_timeout_ms = 1500\n" + extra
    )
    return text.replace('code-fast = "openai:fake-fast"', f'code-fast = "{route}"')


def chat_config(fake_url: str) -> str:
    """`code-fast` as a chat-only model (like the bundled SmolLM2)."""
    text = config(fake_url)
    text = text.replace('code-fast = "openai:fake-fast"\n', "")
    return text + '\n[aliases.code-fast]\nroute = "openai:smollm2"\nfim_template = "none"\n'


def inline(client, uri: str, line: int, character: int, context=AUTO):
    return client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=context,
        )
    )


def here(line: int, character: int) -> types.Range:
    return types.Range(types.Position(line, character), types.Position(line, character))


async def test_python_item_has_exact_range_and_server_fim_suffix(tmp_path, fake):
    fake.default = Reply(chunks=["a ", "+ b"])
    async with zeke_session(tmp_path, config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", PY)
        result = await inline(client, uri, 1, 11)
    assert [(i.insert_text, i.range) for i in result.items] == [("a + b", here(1, 11))]
    body = fake.calls("/completions")[-1].json
    assert body["prompt"].endswith("def add(a, b):\n    return ")
    assert body["suffix"].startswith("\n\n\nprint(add(1, 2))")


async def test_typescript_range_counts_utf16_units(tmp_path, fake):
    fake.default = Reply(chunks=["name.length;"])
    text = 'const smile = "😀"; const n = \nexport {};\n'
    column = len('const smile = "😀"; const n = ') + 1  # the emoji is two UTF-16 units
    async with zeke_session(tmp_path, config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "a.ts", text, "typescript")
        result = await inline(client, uri, 0, column)
    assert [(i.insert_text, i.range) for i in result.items] == [("name.length;", here(0, column))]
    assert fake.calls("/completions")[-1].json["prompt"].endswith('"😀"; const n = ')


@pytest.mark.parametrize(
    ("route", "override", "expected"),
    [
        ("openai:deepseek-coder-6.7b-base", None, DS_BEGIN + "{p}" + DS_HOLE + "{s}" + DS_END),
        ("openai:qwen2.5-coder-7b", None, "<|fim_prefix|>{p}<|fim_suffix|>{s}<|fim_middle|>"),
        ("openai:starcoder2-3b", None, "<fim_prefix>{p}<fim_suffix>{s}<fim_middle>"),
        ("openai:codellama-7b-code", None, "<PRE> {p} <SUF>{s} <MID>"),
        ("openai:codestral-latest", None, "[SUFFIX]{s}[PREFIX]{p}"),
        ("openai:my-house-model", "qwen", "<|fim_prefix|>{p}<|fim_suffix|>{s}<|fim_middle|>"),
    ],
)
async def test_fim_prompt_per_family(tmp_path, fake, route, override, expected):
    fake.default = Reply(chunks=["a + b"])
    text = config(fake.url, route)
    if override:
        text = text.replace(f'code-fast = "{route}"\n', "")
        text += f'\n[aliases.code-fast]\nroute = "{route}"\nfim_template = "{override}"\n'
    async with zeke_session(tmp_path, text) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", PY)
        result = await inline(client, uri, 1, 11)
    assert [i.insert_text for i in result.items] == ["a + b"]
    body = fake.calls("/completions")[-1].json
    # healed: the cursor line's trailing blank is cut from the prompt (see prompts/styles.py)
    prefix, suffix = "def add(a, b):\n    return", "\n\n\nprint(add(1, 2))\n"
    assert body["prompt"] == expected.replace("{p}", prefix).replace("{s}", suffix)
    assert not body.get("suffix")
    assert body["model"] == route.split(":", 1)[1]


async def test_chat_model_gets_cursor_marker_and_strict_extraction(tmp_path, fake):
    fake.default = Reply(
        chunks=[
            "Sure! Here it is:\n```python\n",
            "    return a + b\n```\n",
            "This adds the numbers.",
        ]
    )
    text = "def add(a, b):\n    \n"
    async with zeke_session(tmp_path, chat_config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", text)
        result = await inline(client, uri, 1, 4)
    assert [(i.insert_text, i.range) for i in result.items] == [("return a + b", here(1, 4))]
    user = fake.calls("/chat/completions")[-1].json["messages"][-1]["content"]
    assert "def add(a, b):\n    <CURSOR>\n" in user
    assert "m.py" in user


async def test_echoed_prefix_and_existing_suffix_are_stripped(tmp_path, fake):
    fake.default = Reply(chunks=["    total = a", " + b\n    return total\n"])
    text = "def f(a, b):\n    total = \n    return total\n"
    async with zeke_session(tmp_path, config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", text)
        result = await inline(client, uri, 1, 12)
    assert [i.insert_text for i in result.items] == ["a + b"]


async def test_suggestion_equal_to_following_text_is_dropped(tmp_path, fake):
    fake.default = Reply(chunks=[")"])
    async with zeke_session(tmp_path, config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", "print(x)\n")
        result = await inline(client, uri, 0, 7)
    assert list(result.items) == []


async def test_newer_request_supersedes_older_and_closes_its_stream(tmp_path, fake):
    fake.queue(Reply(fault="hang"), Reply(chunks=["a + b"]))
    async with zeke_session(tmp_path, config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", PY)
        older = asyncio.ensure_future(inline(client, uri, 1, 11))
        assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.calls("/completions")) == 1)
        newer = await inline(client, uri, 1, 11)
        old_result = await older
    assert [i.insert_text for i in newer.items] == ["a + b"]
    assert list(old_result.items) == []
    first = fake.calls("/completions")[0]
    assert first.disconnected_at is not None and not first.completed


async def test_cancel_request_closes_upstream_at_once(tmp_path, fake):
    fake.default = Reply(fault="hang")
    async with zeke_session(tmp_path, config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", PY)
        msg_id = str(uuid.uuid4())
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(1, 11),
            context=AUTO,
        )
        future = asyncio.wrap_future(
            client.protocol.send_request(
                types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id
            )
        )
        assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.calls("/completions")) == 1)
        cancelled_at = time.monotonic()
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        with pytest.raises(JsonRpcException):
            await asyncio.wait_for(future, 5)
        call = fake.calls("/completions")[0]
        assert await asyncio.to_thread(fake.wait_for, lambda: call.disconnected_at is not None)
    assert call.disconnected_at - cancelled_at < 0.5


async def test_repeat_and_typed_ahead_are_served_from_cache(tmp_path, fake):
    fake.default = Reply(chunks=["a + b"])
    async with zeke_session(tmp_path, config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", PY)
        first = await inline(client, uri, 1, 11)
        again = await inline(client, uri, 1, 11)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(range=here(1, 11), text="a +")
                ],
            )
        )
        typed = await inline(client, uri, 1, 14)
    assert [i.insert_text for i in first.items] == [i.insert_text for i in again.items] == ["a + b"]
    assert [(i.insert_text, i.range) for i in typed.items] == [(" b", here(1, 14))]
    assert len(fake.calls("/completions")) == 1


async def test_completion_menu_with_empty_client_capabilities(tmp_path, fake):
    fake.default = Reply(chunks=["rn a + b"])
    text = "def add(a, b):\n    retu\n"
    async with zeke_session(tmp_path, config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", text)
        result = await client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(1, 8)
            )
        )
    assert isinstance(result, types.CompletionList) and result.is_incomplete
    [item] = result.items
    assert item.text_edit == types.TextEdit(
        range=types.Range(types.Position(1, 4), types.Position(1, 8)), new_text="return a + b"
    )
    assert item.label == "return a + b"
    assert item.filter_text == "return a + b"
    assert item.label_details.description == "zeke AI"
    assert "zeke AI" in item.detail


async def test_menu_stays_empty_for_clients_with_inline_completion(tmp_path, fake):
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities()
        )
    )
    async with zeke_session(tmp_path, config(fake.url), capabilities=capabilities) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", PY)
        result = await client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(1, 11)
            )
        )
    assert list(result.items) == []
    assert fake.calls("/completions") == []


async def test_bad_positions_and_documents(tmp_path, fake):
    fake.default = Reply(chunks=["x"])
    async with zeke_session(tmp_path, config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", "ab\n")
        past_end = await inline(client, uri, 40, 0)
        past_line = await inline(client, uri, 0, 99)
        with pytest.raises(JsonRpcException, match="not open"):
            await inline(client, "file:///nowhere/never.py", 0, 0)
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        with pytest.raises(JsonRpcException, match="not open"):
            await inline(client, uri, 0, 0)
    assert list(past_end.items) == []
    assert [i.range for i in past_line.items] == [here(0, 2)]


async def test_binary_and_huge_documents_give_empty_results(tmp_path, fake):
    fake.default = Reply(chunks=["x"])
    huge = "x = 1\n" * (10 * 1024 * 1024 // 6)
    async with zeke_session(tmp_path, config(fake.url)) as client:
        binary = open_document(client, tmp_path / "workspace" / "b.py", "ab\x00\x01cd\n")
        big = open_document(client, tmp_path / "workspace" / "big.py", huge)
        first = await inline(client, binary, 0, 2)
        second = await inline(client, big, 3, 0)
    assert list(first.items) == list(second.items) == []
    assert fake.calls("/completions") == []


async def test_lone_surrogate_at_cursor(tmp_path, fake):
    fake.default = Reply(chunks=["ok"])
    text = 's = "\ud83d'
    async with zeke_session(tmp_path, config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "s.py", text)
        result = await inline(client, uri, 0, len(text))
    assert [(i.insert_text, i.range) for i in result.items] == [("ok", here(0, len(text)))]
    assert fake.calls("/completions")[-1].json["prompt"].endswith('s = "\ufffd')


async def test_provider_error_is_empty_when_automatic_and_an_error_when_invoked(tmp_path, fake):
    fake.default = Reply(status=400)
    async with zeke_session(tmp_path, config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", PY)
        automatic = await inline(client, uri, 1, 11)
        with pytest.raises(JsonRpcException, match="400"):
            await inline(client, uri, 1, 11, INVOKED)
    assert list(automatic.items) == []


async def test_provider_timeout_gives_empty_result(tmp_path, fake):
    fake.default = Reply(fault="hang")
    async with zeke_session(tmp_path, config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", PY)
        started = time.monotonic()
        result = await inline(client, uri, 1, 11)
    assert list(result.items) == []
    assert time.monotonic() - started < 5


async def test_slow_provider_does_not_block_other_requests(tmp_path, fake):
    fake.queue(Reply(fault="hang"), Reply(chunks=["fast"]))
    async with zeke_session(tmp_path, config(fake.url)) as client:
        slow_uri = open_document(client, tmp_path / "workspace" / "slow.py", PY)
        fast_uri = open_document(client, tmp_path / "workspace" / "fast.py", "x = \n")
        slow = asyncio.ensure_future(inline(client, slow_uri, 1, 11))
        assert await asyncio.to_thread(fake.wait_for, lambda: len(fake.calls("/completions")) == 1)
        started = time.monotonic()
        fast = await inline(client, fast_uri, 0, 4)
        status = await rpc(client, "zeke/status")
        elapsed = time.monotonic() - started
        await slow
    assert [i.insert_text for i in fast.items] == ["fast"]
    assert status["version"] and elapsed < 1.0


async def test_utf8_position_encoding_when_the_client_prefers_it(tmp_path, fake):
    fake.default = Reply(chunks=["1"])
    text = 'é = "😀"; x = \n'
    line = text.split("\n")[0]
    capabilities = types.ClientCapabilities(
        general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16]
        )
    )
    async with zeke_session(tmp_path, config(fake.url), capabilities=capabilities) as client:
        uri = open_document(client, tmp_path / "workspace" / "u.py", text)
        column = len(line.encode("utf-8"))
        result = await inline(client, uri, 0, column)
        inside = await inline(client, uri, 0, len('é = "'.encode()) + 2)  # inside the emoji
    assert [(i.insert_text, i.range) for i in result.items] == [("1", here(0, column))]
    assert [i.range for i in inside.items] == [here(0, len('é = "'.encode()))]


async def test_trigger_characters_come_from_the_config(tmp_path, fake):
    home = tmp_path / "home"
    home.mkdir()
    config_file = tmp_path / "zeke.toml"
    config_file.write_text(config(fake.url) + '\n[completion]\ntrigger_chars = [".", "("]\n')
    server = ClientServerConfig(
        server_command=[sys.executable, "-m", "zeke_ls", "--config", str(config_file)],
        server_env=daemon_env(home),
    )
    client = await server.start()
    try:
        result = await client.initialize_session(
            types.InitializeParams(capabilities=types.ClientCapabilities())
        )
        await client.shutdown_session()
    finally:
        await client.stop()
    assert list(result.capabilities.completion_provider.trigger_characters) == [".", "("]
    assert result.capabilities.inline_completion_provider is not None


async def test_invoked_request_returns_up_to_max_suggestions(tmp_path, fake):
    answers = iter(["a + b", "a - b", "a + b", "b + a"])
    fake.responder = lambda request: Reply(chunks=[next(answers)])
    extra = "\n[completion]\nmax_suggestions = 3\n"
    async with zeke_session(tmp_path, config(fake.url, extra=extra)) as client:
        uri = open_document(client, tmp_path / "workspace" / "m.py", PY)
        result = await inline(client, uri, 1, 11, INVOKED)
    assert sorted(i.insert_text for i in result.items) == ["a + b", "a - b"]  # duplicates merged
    assert all(i.range == here(1, 11) for i in result.items)
    assert len(fake.calls("/completions")) == 3
