"""Quick actions as standard LSP: code actions that run `zeke.explain|fix|test|doc` commands.

Editors without a Zeke plugin (eglot, Helix, Grim, any LSP client) get the actions from
`textDocument/codeAction` and run them with `workspace/executeCommand`, whose result those
clients never display. So each command ends in something the client does show:
- `zeke.fix`, `zeke.doc`, `zeke.test` ask the patch pathway for an edit (`propose_edit`) and
  accept it at once (`accept_edit`): one `workspace/applyEdit` that the editor's undo reverts,
  with change annotations (`needsConfirmation`) where the client supports them. Tests go to a
  new file: `CreateFile` inside the edit when the client supports the `create` resource
  operation, else written through Glyph.
- `zeke.explain` runs the chat turn and shows the answer (`client_ui.show_answer`); hover on
  the explained lines shows it again (`features/hover.py`, `services/answers.py`).
Work-done progress is reported while the model works (`client_ui.Progress`). A diagnostic in
the request becomes a `quickfix` action whose instruction carries that diagnostic.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from zeke_ls.chat.prompts import format_diagnostics
from zeke_ls.core.lazy import require_feature
from zeke_ls.core.rpc import Refused
from zeke_ls.services.answers import Answer, answer_book
from zeke_ls.services.client_ui import (
    CLIENT_REQUEST_TIMEOUT_S,
    Progress,
    show_answer,
    show_message,
    supports_apply_edit,
)

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer

COMMANDS = {
    "explain": ("Zeke: explain the selection", types.CodeActionKind.Empty),
    "test": ("Zeke: write tests for the selection", types.CodeActionKind.Refactor),
    "doc": ("Zeke: document the selection", types.CodeActionKind.RefactorRewrite),
    "fix": ("Zeke: fix", types.CodeActionKind.QuickFix),
}
INSTRUCTIONS = {
    "fix": "Fix the problems in the selected code.",
    "doc": "Add documentation comments (docstrings) to the selected code, following the "
    "file's language conventions. Do not change the code itself.",
    "test": "Write unit tests for the selected code, in the project's test style.",
}
PROGRESS_TITLES = {
    "fix": "Zeke: fixing",
    "doc": "Zeke: documenting",
    "test": "Zeke: writing tests",
    "explain": "Zeke: explaining",
}


def to_json(value: Any) -> Any:
    """lsprotocol objects as the JSON the client will send back as command arguments."""
    from lsprotocol.converters import get_converter

    return get_converter().unstructure(value)


def action(
    name: str,
    uri: str,
    rng: types.Range,
    diagnostics: list[types.Diagnostic],
    title: str | None = None,
) -> types.CodeAction:
    default_title, kind = COMMANDS[name]
    argument = {
        "textDocument": {"uri": uri},
        "range": to_json(rng),
        "diagnostics": [to_json(d) for d in diagnostics],
    }
    return types.CodeAction(
        title=title or default_title,
        kind=kind,
        diagnostics=diagnostics or None,
        command=types.Command(
            title=title or default_title, command=f"zeke.{name}", arguments=[argument]
        ),
    )


def code_actions(params: types.CodeActionParams) -> list[types.CodeAction]:
    """One fix per diagnostic; on a non-empty selection explain/test/doc, and a fix of the
    whole selection unless a single diagnostic already has its own."""
    uri, rng = params.text_document.uri, params.range
    diagnostics = list(params.context.diagnostics)
    found: list[types.CodeAction] = []
    for diag in diagnostics:
        found.append(
            action(
                "fix", uri, diag.range, [diag], f"Zeke: fix '{diag.message.splitlines()[0][:60]}'"
            )
        )
    if rng.start != rng.end:
        found += [action(name, uri, rng, []) for name in ("explain", "test", "doc")]
        if len(diagnostics) != 1:  # one diagnostic already has its own fix above
            found.append(action("fix", uri, rng, diagnostics, "Zeke: fix the selection"))
    only = [kind_value(kind) for kind in params.context.only or []]
    if only:
        found = [a for a in found if matches_kind(kind_value(a.kind or ""), only)]
    return found


def kind_value(kind: types.CodeActionKind | str) -> str:
    return str(getattr(kind, "value", kind))


def matches_kind(kind: str, only: list[str]) -> bool:
    """LSP kinds are hierarchical: `refactor` asks for `refactor.rewrite` too."""
    return any(kind == wanted or kind.startswith(wanted + ".") for wanted in only)


async def run_chat(server: ZekeServer, argument: dict[str, Any]) -> dict[str, Any]:
    """A chat turn through the chat feature (loaded on first use)."""
    require_feature(server, "chat")
    if server.session.chat_runner is None:
        raise RuntimeError("the chat feature is not registered")
    return await server.session.chat_runner(argument)


# --- running a command ----------------------------------------------------------------------


def first_argument(args: tuple[Any, ...]) -> dict[str, Any]:
    return dict(args[0]) if args and isinstance(args[0], dict) else {}


async def run_command(server: ZekeServer, name: str, args: tuple[Any, ...]) -> dict[str, Any]:
    """`zeke.<name> {textDocument, range, diagnostics?, message?, model?}`."""
    argument = first_argument(args)
    async with Progress(server, PROGRESS_TITLES[name]) as progress:
        if name == "explain":
            return await explain(server, argument, progress)
        return await edit_action(server, name, argument, progress)


async def explain(
    server: ZekeServer, argument: dict[str, Any], progress: Progress
) -> dict[str, Any]:
    extra = argument.pop("message", "")
    argument["message"] = f"/explain {extra}".strip()
    argument.setdefault("includeContext", False)
    progress.report("asking the model")
    result = await run_chat(server, argument)
    text = str(result["message"]["content"])
    title = "Zeke: explain"
    rng = argument.get("range") or {}
    uri = (argument.get("textDocument") or {}).get("uri")
    if uri and rng:
        first, last = span_lines(rng)
        title = f"Zeke: lines {first + 1}-{last + 1} explained"
        answer_book(server).add(Answer(uri, first, last, title, text))
    result["shownWith"] = await show_answer(server, title, text)
    return result


def span_lines(rng: dict[str, Any]) -> tuple[int, int]:
    """First and last line a range covers (an end at column 0 ends on the line before)."""
    first = int(rng["start"]["line"])
    last = int(rng["end"]["line"])
    if last > first and int(rng["end"].get("character", 0)) == 0:
        last -= 1
    return first, last


async def edit_action(
    server: ZekeServer, name: str, argument: dict[str, Any], progress: Progress
) -> dict[str, Any]:
    """Propose an edit through the patch pathway and apply it in the editor at once."""
    uri = (argument.get("textDocument") or {}).get("uri")
    if not uri:
        raise Refused(f"zeke.{name} needs a textDocument argument")
    instruction = instruction_for(server, name, uri, argument)

    def on_progress(data: dict[str, Any]) -> None:
        if data.get("phase") and "text" not in data:
            progress.report(str(data["phase"]))

    require_feature(server, "edits")  # the patch pathway loads on first use
    session = server.session
    assert session.edit_proposer is not None and session.edit_acceptor is not None
    proposal = await session.edit_proposer(
        uri, argument.get("range"), instruction, argument.get("model"), on_progress
    )
    result: dict[str, Any] = {"command": name, "edit": proposal, "applied": []}
    usable = [h["id"] for h in proposal["hunks"] if h.get("status") == "applied"]
    refused = [h for h in proposal["hunks"] if h.get("status") != "applied"]
    if not usable:
        reasons = "; ".join(str(h.get("reason") or h.get("status")) for h in refused)
        raise Refused(
            f"zeke.{name}: the model's edit could not be placed: {reasons}", data={"edit": proposal}
        )
    if not supports_apply_edit(server):
        show_message(
            server,
            f"Zeke: this editor cannot apply edits (no workspace/applyEdit); "
            f"proposal {proposal['editId']}:\n{proposal['diff']}",
            types.MessageType.Warning,
        )
        return result
    progress.report("applying")
    try:
        accepted = await asyncio.wait_for(
            session.edit_acceptor(proposal["editId"]), CLIENT_REQUEST_TIMEOUT_S * 3
        )
    except TimeoutError:
        raise Refused("the editor did not answer workspace/applyEdit") from None
    result["applied"] = accepted["applied"]
    result["files"] = accepted["files"]
    if refused:
        show_message(
            server,
            f"Zeke: applied {len(usable)} change(s); {len(refused)} could not be placed",
            types.MessageType.Warning,
        )
    return result


def instruction_for(server: ZekeServer, name: str, uri: str, argument: dict[str, Any]) -> str:
    parts = [INSTRUCTIONS[name], str(argument.get("message") or "")]
    if name == "fix" and argument.get("diagnostics"):
        parts.append("Diagnostics:\n" + format_diagnostics(argument["diagnostics"]))
    if name == "test":
        target = test_file_for(server, uri)
        if target is not None:
            parts.append(
                f"Put the tests in a new file {target} (a SEARCH/REPLACE block with "
                "that path and an empty SEARCH part creates it); import the code "
                "under test from its module."
            )
    return "\n".join(part for part in parts if part)


def test_file_for(server: ZekeServer, uri: str) -> str | None:
    """A free test-file name beside the source (or under a root `tests/`), by language."""
    fs_path = to_fs_path(uri) if uri.startswith("file:") else None
    if not fs_path:
        return None
    source = Path(fs_path)
    stem, ext = source.stem, source.suffix
    names = {".py": f"test_{stem}{ext}", ".go": f"{stem}_test{ext}"}
    name = names.get(ext) or (
        f"{stem}.test{ext}" if ext in (".js", ".ts", ".tsx", ".jsx") else f"test_{stem}{ext}"
    )
    roots = server.session.roots
    folder = source.parent
    if ext == ".py" and roots and (roots[0] / "tests").is_dir():
        folder = roots[0] / "tests"
    candidate, counter = folder / name, 2
    while candidate.exists():
        candidate = folder / f"{Path(name).stem}_{counter}{ext}"
        counter += 1
    for root in roots:
        if candidate.is_relative_to(root):
            return candidate.relative_to(root).as_posix()
    return candidate.name


def register(server: ZekeServer) -> None:
    kinds = sorted({kind for _title, kind in COMMANDS.values()}, key=lambda k: k.value)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=kinds)
    )
    def on_code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
        return code_actions(params)

    for name in COMMANDS:
        server.command(f"zeke.{name}")(_command(server, name))


def _command(server: ZekeServer, name: str) -> Any:
    async def handler(*args: Any) -> dict[str, Any]:
        return await run_command(server, name, args)

    handler.__name__ = f"zeke_{name}"
    return handler
