"""Quick actions as standard LSP: code actions on a selection or a diagnostic, and commands."""

from __future__ import annotations

from lsprotocol import types

from tests.fakes.provider import Reply
from tests.harness import collect, loopback_config, open_document, rpc, to_plain, zeke_session

SOURCE = "def add(a, b):\n    return a - b\n\nprint(add(1, 2))\n"


def selection(start: int, end: int) -> types.Range:
    return types.Range(start=types.Position(line=start, character=0),
                       end=types.Position(line=end, character=0))


def structure_code_actions_properly(client) -> None:
    """lsprotocol's client hook turns every CodeAction that has a `command` into a Command
    (it only checks that the key exists); tell them apart by the key's type, as editors do."""
    converter = client.protocol._converter

    def hook(obj, _type):
        kind = types.Command if isinstance(obj.get("command"), str) else types.CodeAction
        return converter.structure(obj, kind)

    converter.register_structure_hook(types.Command | types.CodeAction, hook)


async def code_actions(client, uri, rng, diagnostics=(), only=None):
    structure_code_actions_properly(client)
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
        context=types.CodeActionContext(diagnostics=list(diagnostics), only=only)))


async def test_selection_offers_actions_that_run_their_commands(tmp_path, fake):
    fake.queue(Reply(chunks=["It adds ", "two numbers."]))
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "calc.py", SOURCE)
        deltas = collect(client, "zeke/chatDelta")
        actions = await code_actions(client, uri, selection(0, 2))
        explain = next(a for a in actions if a.command and a.command.command == "zeke.explain")
        result = to_plain(await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command=explain.command.command, arguments=explain.command.arguments)))
        cursor = types.Position(line=1, character=0)
        empty = await code_actions(client, uri, types.Range(start=cursor, end=cursor))
    assert [a.command.command for a in actions] == ["zeke.explain", "zeke.test", "zeke.doc"]
    assert list(empty) == []
    prompt = fake.calls("/chat/completions")[0].json["messages"][-1]["content"]
    assert "Explain what the selected code does" in prompt and "return a - b" in prompt
    assert "print(add" not in prompt.split("Selected code")[1]
    assert result["message"]["content"] == "It adds two numbers."
    assert result["command"] == "explain"
    assert "".join(d["text"] for d in deltas) == "It adds two numbers."


async def test_diagnostic_offers_a_fix_whose_prompt_carries_the_diagnostic(tmp_path, fake):
    fake.queue(Reply(chunks=["```python\n    return a + b\n```"]))
    diagnostic = types.Diagnostic(range=types.Range(start=types.Position(line=1, character=11),
                                                     end=types.Position(line=1, character=16)),
                                  message="add() subtracts", source="mylinter",
                                  severity=types.DiagnosticSeverity.Warning)
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "calc.py", SOURCE)
        actions = await code_actions(client, uri, diagnostic.range, [diagnostic])
        quickfix_only = await code_actions(client, uri, selection(0, 2), [diagnostic],
                                           only=[types.CodeActionKind.QuickFix])
        fix = actions[0]
        result = to_plain(await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command=fix.command.command, arguments=fix.command.arguments)))
    assert fix.kind == types.CodeActionKind.QuickFix and fix.command.command == "zeke.fix"
    assert fix.title == "Zeke: fix 'add() subtracts'"
    assert fix.diagnostics[0].message == "add() subtracts"
    assert {a.kind for a in quickfix_only} == {types.CodeActionKind.QuickFix}
    prompt = fake.calls("/chat/completions")[0].json["messages"][-1]["content"]
    assert "line 2: warning: add() subtracts (mylinter)" in prompt
    assert result["command"] == "fix" and "a + b" in result["message"]["content"]
    assert "edit" not in result  # until the patch pathway plugs in


async def test_test_and_doc_commands_run_their_prompts(tmp_path, fake):
    fake.default = Reply(chunks=["```python\n...\n```"])
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "calc.py", SOURCE)
        arguments = [{"textDocument": {"uri": uri},
                      "range": {"start": {"line": 0, "character": 0},
                                "end": {"line": 2, "character": 0}}}]
        for command in ("zeke.test", "zeke.doc"):
            await client.workspace_execute_command_async(
                types.ExecuteCommandParams(command=command, arguments=arguments))
        status = await rpc(client, "zeke/status")
    prompts = [c.json["messages"][-1]["content"] for c in fake.calls("/chat/completions")]
    assert prompts[0].startswith("Write unit tests") and "def add" in prompts[0]
    assert prompts[1].startswith("Write documentation comments") and "def add" in prompts[1]
    assert status["version"]


async def test_fix_with_propose_edit_returns_a_patch_proposal(tmp_path, fake):
    root = tmp_path / "workspace"
    root.mkdir()
    path = root / "calc.py"
    path.write_text(SOURCE)
    patch = ("calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n"
             ">>>>>>> REPLACE\n")
    fake.queue(Reply(chunks=["It subtracts; ", "it should add."]), Reply(chunks=[patch]))
    async with zeke_session(tmp_path, loopback_config(fake.url), root=root) as client:
        progress = collect(client, "zeke/editProgress")
        result = to_plain(await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="zeke.fix", arguments=[{
                "textDocument": {"uri": path.as_uri()}, "proposeEdit": True,
                "range": {"start": {"line": 1, "character": 0}, "end": {"line": 2, "character": 0}},
                "diagnostics": [{"range": {"start": {"line": 1, "character": 11},
                                           "end": {"line": 1, "character": 16}},
                                 "message": "add() subtracts", "severity": 2}]}])))
    assert result["message"]["content"] == "It subtracts; it should add."
    edit_request = fake.calls("/chat/completions")[1].json["messages"][-1]["content"]
    assert "Fix the problems" in edit_request and "add() subtracts" in edit_request
    assert result["edit"]["editId"].startswith("edit-")
    assert "+    return a + b" in result["edit"]["diff"]
    assert progress and all(p["requestId"] == result["requestId"] for p in progress)
    assert path.read_text() == SOURCE  # a proposal only: nothing applied before editAccept
