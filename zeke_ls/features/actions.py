"""Quick actions as standard LSP: code actions that run `zeke.explain|fix|test|doc` commands.

Editors without a Zeke plugin (Grim, eglot, any LSP client) get the actions from
`textDocument/codeAction` and run them with `workspace/executeCommand`; the command runs the
same chat turn as the slash command in `zeke/chat`, streams `zeke/chatDelta` notifications,
and returns the chat result. A diagnostic in the request becomes a `quickfix` action whose
`/fix` prompt carries that diagnostic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from zeke_ls.core.lazy import require_feature

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer

COMMANDS = {
    "explain": ("Zeke: explain the selection", types.CodeActionKind.Empty),
    "test": ("Zeke: write tests for the selection", types.CodeActionKind.Refactor),
    "doc": ("Zeke: document the selection", types.CodeActionKind.RefactorRewrite),
    "fix": ("Zeke: fix", types.CodeActionKind.QuickFix),
}


def to_json(value: Any) -> Any:
    """lsprotocol objects as the JSON the client will send back as command arguments."""
    from lsprotocol.converters import get_converter

    return get_converter().unstructure(value)


def action(name: str, uri: str, rng: types.Range, diagnostics: list[types.Diagnostic],
           title: str | None = None) -> types.CodeAction:
    default_title, kind = COMMANDS[name]
    argument = {"textDocument": {"uri": uri}, "range": to_json(rng),
                "diagnostics": [to_json(d) for d in diagnostics]}
    return types.CodeAction(
        title=title or default_title, kind=kind, diagnostics=diagnostics or None,
        command=types.Command(title=title or default_title, command=f"zeke.{name}",
                              arguments=[argument]))


def code_actions(params: types.CodeActionParams) -> list[types.CodeAction]:
    """Explain/test/doc on a non-empty selection; one fix per diagnostic; fix-all with several."""
    uri, rng = params.text_document.uri, params.range
    diagnostics = list(params.context.diagnostics)
    found: list[types.CodeAction] = []
    for diag in diagnostics:
        found.append(action("fix", uri, diag.range, [diag],
                            f"Zeke: fix '{diag.message.splitlines()[0][:60]}'"))
    if rng.start != rng.end:
        found += [action(name, uri, rng, []) for name in ("explain", "test", "doc")]
        if len(diagnostics) > 1 or (diagnostics and not found):
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


async def run_command(server: ZekeServer, name: str, args: tuple[Any, ...]) -> dict[str, Any]:
    """`zeke.<name> {textDocument, range, diagnostics?, chatId?, message?, model?}`."""
    argument = dict(args[0]) if args and isinstance(args[0], dict) else {}
    extra = argument.pop("message", "")
    argument["message"] = f"/{name} {extra}".strip()
    argument.setdefault("includeContext", False)
    require_feature(server, "chat")  # the chat engine loads on first use
    if server.session.chat_runner is None:
        raise RuntimeError("the chat feature is not registered")
    return await server.session.chat_runner(argument)


def register(server: ZekeServer) -> None:
    kinds = sorted({kind for _title, kind in COMMANDS.values()}, key=lambda k: k.value)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=kinds))
    def on_code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
        return code_actions(params)

    for name in COMMANDS:
        server.command(f"zeke.{name}")(_command(server, name))


def _command(server: ZekeServer, name: str) -> Any:
    async def handler(*args: Any) -> dict[str, Any]:
        return await run_command(server, name, args)

    handler.__name__ = f"zeke_{name}"
    return handler
