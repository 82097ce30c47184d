"""What clients tell the daemon about inline suggestions, under every name they use.

- `zeke/didShowCompletion`, `zeke/didAcceptCompletion`: zeke's own notifications (zeke.nvim).
- The `zeke.didAccept` command: every inline item carries it, and clients that run an item's
  command after accepting it (Neovim 0.12's `vim.lsp.inline_completion`, VS Code) tell the
  daemon that way; it is the only accept signal such clients send.
- `textDocument/didShowCompletion`, `textDocument/didPartiallyAcceptCompletion`: the names the
  Copilot language server's clients send, with the item (and the accepted length).

All of them count in `zeke/status` under `completion` (shown, accepted, acceptedChars).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer

ACCEPT_COMMAND = "zeke.didAccept"
COPILOT_DID_SHOW = "textDocument/didShowCompletion"
COPILOT_DID_PARTIALLY_ACCEPT = "textDocument/didPartiallyAcceptCompletion"


class IssuedItems:
    """The text of recently sent inline items by id, so an accept command needs only the id.
    Bounded: an accept of an item evicted long ago still counts, without its length."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._ids = itertools.count(1)

    def issue(self, text: str) -> str:
        item_id = f"z{next(self._ids)}"
        self._texts[item_id] = text
        while len(self._texts) > self._size:
            self._texts.popitem(last=False)
        return item_id

    def text(self, item_id: Any) -> str | None:
        return self._texts.get(item_id) if isinstance(item_id, str) else None

    def command(self, text: str) -> types.Command:
        """The command an item carries: run after an accept, it names the item."""
        return types.Command(
            title="zeke: suggestion accepted",
            command=ACCEPT_COMMAND,
            arguments=[{"id": self.issue(text)}],
        )


def item_text(item: Any) -> str | None:
    """`insertText` of an InlineCompletionItem as JSON (a string or a StringValue)."""
    text = _get(item, "insertText") if item is not None else None
    if isinstance(text, dict):
        text = text.get("value")
    return text if isinstance(text, str) else None


def _get(params: Any, name: str) -> Any:
    if isinstance(params, dict):
        return params.get(name)
    return getattr(params, name, None)


def _plain(params: Any) -> Any:
    """pygls hands unknown notifications over as attribute objects; read them as dicts."""
    if params is None or isinstance(params, (dict, list, str, int, float, bool)):
        return params
    fields = getattr(params, "_asdict", None) or getattr(params, "__dict__", None)
    data = fields() if callable(fields) else fields
    return {key: _plain(value) for key, value in (data or {}).items()}


def register(server: ZekeServer, issued: IssuedItems) -> None:

    @server.command(ACCEPT_COMMAND)
    def did_accept_command(*args: Any) -> None:
        arg = _plain(args[0]) if args else None
        if isinstance(arg, list):  # pygls may pass the arguments list as one value
            arg = arg[0] if arg else None
        text = issued.text(_get(arg, "id")) if isinstance(arg, dict) else None
        record(server, "accepted", {"text": text} if text is not None else {"acceptedLength": 0})

    @server.feature(COPILOT_DID_SHOW)
    def copilot_did_show(params: Any) -> None:
        record(server, "shown", {"text": item_text(_get(_plain(params), "item"))})

    @server.feature(COPILOT_DID_PARTIALLY_ACCEPT)
    def copilot_did_partially_accept(params: Any) -> None:
        plain = _plain(params)
        length = _get(plain, "acceptedLength")
        record(
            server,
            "accepted",
            {
                "text": item_text(_get(plain, "item")),
                "acceptedLength": length if isinstance(length, int) else None,
            },
        )


def record(server: ZekeServer, event: str, params: Any) -> None:
    """Count shown/accepted suggestions and accepted characters (partial accepts count)."""
    stats = server.session.completion_stats
    stats[event] = stats.get(event, 0) + 1
    if event == "accepted":
        length = _get(params, "acceptedLength")
        text = _get(params, "text")
        accepted = length if isinstance(length, int) else len(text) if isinstance(text, str) else 0
        stats["acceptedChars"] = stats.get("acceptedChars", 0) + max(0, accepted)
