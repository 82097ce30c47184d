"""Quick actions as standard LSP: code actions on a selection or a diagnostic, and commands."""

from __future__ import annotations

import stat
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from tests.fakes.provider import Reply
from tests.harness import collect, loopback_config, open_document, to_plain, zeke_session

SOURCE = "def add(a, b):\n    return a - b\n\nprint(add(1, 2))\n"


def selection(start: int, end: int) -> types.Range:
    return types.Range(
        start=types.Position(line=start, character=0), end=types.Position(line=end, character=0)
    )


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
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=rng,
            context=types.CodeActionContext(diagnostics=list(diagnostics), only=only),
        )
    )


EDIT_CAPABILITIES = types.ClientCapabilities(
    workspace=types.WorkspaceClientCapabilities(
        apply_edit=True,
        workspace_edit=types.WorkspaceEditClientCapabilities(
            document_changes=True,
            resource_operations=[types.ResourceOperationKind.Create],
            change_annotation_support=types.ChangeAnnotationsSupportOptions(groups_on_label=True),
        ),
    ),
    window=types.WindowClientCapabilities(
        work_done_progress=True,
        show_document=types.ShowDocumentClientCapabilities(support=True),
    ),
)


def capture_apply_edit(client) -> list[types.ApplyWorkspaceEditParams]:
    seen: list[types.ApplyWorkspaceEditParams] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def _on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        seen.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    return seen


async def execute(client, action_or_name, arguments=None):
    command = action_or_name.command if not isinstance(action_or_name, str) else None
    return to_plain(
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=command.command if command else action_or_name,
                arguments=command.arguments if command else arguments,
            )
        )
    )


async def test_explain_shows_a_short_answer_as_a_message_and_on_hover(tmp_path, fake):
    fake.queue(Reply(chunks=["It adds ", "two numbers."]))
    hover_client = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(hover=types.HoverClientCapabilities())
    )  # declares hover: no AI hover (eglot's eldoc)
    async with zeke_session(
        tmp_path, loopback_config(fake.url), capabilities=hover_client
    ) as client:
        uri = open_document(client, tmp_path / "workspace" / "calc.py", SOURCE)
        deltas = collect(client, "zeke/chatDelta")
        actions = await code_actions(client, uri, selection(0, 2))
        explain = next(a for a in actions if a.command and a.command.command == "zeke.explain")
        result = await execute(client, explain)
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=1, character=4),
            )
        )
        outside = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=3, character=0),
            )
        )
        cursor = types.Position(line=1, character=0)
        empty = await code_actions(client, uri, types.Range(start=cursor, end=cursor))
    assert [a.command.command for a in actions] == [
        "zeke.explain",
        "zeke.test",
        "zeke.doc",
        "zeke.fix",
    ]
    assert list(empty) == []
    prompt = fake.calls("/chat/completions")[0].json["messages"][-1]["content"]
    assert "Explain what the selected code does" in prompt and "return a - b" in prompt
    assert "print(add" not in prompt.split("Selected code")[1]
    assert result["message"]["content"] == "It adds two numbers."
    assert result["shownWith"] == "showMessage"
    assert any("It adds two numbers." in m.message for m in client.messages)
    assert "".join(d["text"] for d in deltas) == "It adds two numbers."
    assert "It adds two numbers." in hover.contents.value and outside is None


async def test_a_long_explanation_opens_as_a_read_only_document(tmp_path, fake):
    long_answer = "".join(f"Line {i} of the explanation.\n" for i in range(12))
    fake.queue(Reply(chunks=[long_answer]))
    async with zeke_session(
        tmp_path, loopback_config(fake.url), capabilities=EDIT_CAPABILITIES
    ) as client:
        uri = open_document(client, tmp_path / "workspace" / "calc.py", SOURCE)
        result = await execute(
            client, "zeke.explain", [{"textDocument": {"uri": uri}, "range": to_plain_range(0, 2)}]
        )
    assert result["shownWith"] == "showDocument"
    [shown] = client.shown_documents
    path = Path(to_fs_path(shown.uri))
    assert "Line 11 of the explanation." in path.read_text(encoding="utf-8")
    assert not stat.S_IMODE(path.stat().st_mode) & 0o222  # read-only
    [token] = [t for t in client.progress_reports if not str(t).startswith("zeke-index")]
    kinds = [type(v).__name__ for v in client.progress_reports[token]]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"


def to_plain_range(first: int, last: int) -> dict:
    return {"start": {"line": first, "character": 0}, "end": {"line": last, "character": 0}}


async def test_fix_applies_an_annotated_edit_carrying_the_diagnostic(tmp_path, fake):
    patch = (
        "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n"
    )
    fake.queue(Reply(chunks=[patch]))
    diagnostic = types.Diagnostic(
        range=types.Range(
            start=types.Position(line=1, character=11), end=types.Position(line=1, character=16)
        ),
        message="add() subtracts",
        source="mylinter",
        severity=types.DiagnosticSeverity.Warning,
    )
    async with zeke_session(
        tmp_path, loopback_config(fake.url), capabilities=EDIT_CAPABILITIES
    ) as client:
        seen = capture_apply_edit(client)
        uri = open_document(client, tmp_path / "workspace" / "calc.py", SOURCE)
        actions = await code_actions(client, uri, diagnostic.range, [diagnostic])
        quickfix_only = await code_actions(
            client, uri, selection(0, 2), [diagnostic], only=[types.CodeActionKind.QuickFix]
        )
        fix = actions[0]
        result = await execute(client, fix)
    assert fix.kind == types.CodeActionKind.QuickFix and fix.command.command == "zeke.fix"
    assert fix.title == "Zeke: fix 'add() subtracts'"
    assert {a.kind for a in quickfix_only} == {types.CodeActionKind.QuickFix}
    prompt = fake.calls("/chat/completions")[0].json["messages"][-1]["content"]
    assert "Fix the problems" in prompt and "add() subtracts" in prompt
    assert result["command"] == "fix" and result["applied"] == ["h1"]
    [applied] = seen
    [change] = applied.edit.document_changes
    assert change.text_document.uri == uri and change.text_document.version == 1
    assert [e.new_text for e in change.edits] == ["+"]
    assert applied.edit.change_annotations["zekeEdit"].needs_confirmation is True
    [token] = [t for t in client.progress_reports if not str(t).startswith("zeke-index")]
    assert type(client.progress_reports[token][-1]).__name__ == "WorkDoneProgressEnd"


async def test_test_command_creates_a_new_test_file_in_the_same_edit(tmp_path, fake):
    new_file = (
        "test_calc.py\n<<<<<<< SEARCH\n=======\nfrom calc import add\n\n\n"
        "def test_add():\n    assert add(1, 2) == 3\n>>>>>>> REPLACE\n"
    )
    fake.queue(Reply(chunks=[new_file]))
    async with zeke_session(
        tmp_path, loopback_config(fake.url), capabilities=EDIT_CAPABILITIES
    ) as client:
        seen = capture_apply_edit(client)
        uri = open_document(client, tmp_path / "workspace" / "calc.py", SOURCE)
        result = await execute(
            client, "zeke.test", [{"textDocument": {"uri": uri}, "range": to_plain_range(0, 2)}]
        )
    prompt = fake.calls("/chat/completions")[0].json["messages"][-1]["content"]
    assert prompt.count("Write unit tests") == 1 and "new file test_calc.py" in prompt
    [applied] = seen
    create, text = applied.edit.document_changes
    assert isinstance(create, types.CreateFile) and create.uri.endswith("/test_calc.py")
    assert "def test_add" in text.edits[0].new_text
    assert result["files"][0].endswith("/test_calc.py")
    assert not (tmp_path / "workspace" / "test_calc.py").exists()  # the editor creates it


async def test_doc_without_apply_edit_support_says_so_instead_of_editing(tmp_path, fake):
    patch = (
        "calc.py\n<<<<<<< SEARCH\ndef add(a, b):\n=======\ndef add(a, b):\n"
        '    """Add two numbers."""\n>>>>>>> REPLACE\n'
    )
    fake.queue(Reply(chunks=[patch]))
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = open_document(client, tmp_path / "workspace" / "calc.py", SOURCE)
        result = await execute(
            client, "zeke.doc", [{"textDocument": {"uri": uri}, "range": to_plain_range(0, 2)}]
        )
    prompt = fake.calls("/chat/completions")[0].json["messages"][-1]["content"]
    assert "Add documentation comments" in prompt
    assert result["applied"] == [] and '+    """Add two numbers."""' in result["edit"]["diff"]
    assert any("cannot apply edits" in m.message for m in client.messages)
