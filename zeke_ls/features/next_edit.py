"""Next-edit suggestions: the predicted next change anywhere near the cursor.

`zeke/nextEdit` answers a document and cursor with zero or one edit (range, new text, where
the cursor goes after accepting) and, when there is none, why (`quiet`).
`textDocument/copilotInlineEdit` serves the same edit in the shape Copilot's NES clients use
(`edits: [{range, text, command, textDocument}]`); its command `zeke.didAcceptNextEdit`
reports the accept. `zeke/didShowNextEdit`, `zeke/didAcceptNextEdit` and
`zeke/didDismissNextEdit` are counted in `zeke/status` under `nextEdit`.

The edit history is recorded from document events, so nothing new is needed from clients.
"""

from __future__ import annotations

import itertools
import logging
from typing import TYPE_CHECKING, Any

from pygls.uris import to_fs_path

from zeke_ls.context.packer import is_binary, relative_path
from zeke_ls.context.positions import index_to_units, units_to_index
from zeke_ls.core.rpc import ConfigInvalid, NotFound, ProviderFailed, parse_params
from zeke_ls.nes.engine import NesRequest, NextEditEngine
from zeke_ls.nes.extract import Quiet, Suggestion
from zeke_ls.nes.history import split_lines
from zeke_ls.providers.base import ProviderError

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

    from zeke_ls.core.server import ZekeServer
    from zeke_ls.protocol.next_edit import NextEditParams

log = logging.getLogger(__name__)

NEXT_EDIT = "zeke/nextEdit"
COPILOT_INLINE_EDIT = "textDocument/copilotInlineEdit"
ACCEPT_COMMAND = "zeke.didAcceptNextEdit"
FEEDBACK = {
    "zeke/didShowNextEdit": "shown",
    "zeke/didAcceptNextEdit": "accepted",
    "zeke/didDismissNextEdit": "dismissed",
}


def find_document(server: ZekeServer, uri: str) -> TextDocument:
    from zeke_ls.services.documents import parse_uri

    return server.session.documents.require_open(parse_uri(uri))


def position_encoding(server: ZekeServer) -> str:
    return server.session.documents.codec.encoding


def next_edit_params(params: Any) -> NextEditParams:
    from zeke_ls.protocol.next_edit import NextEditParams  # pydantic: at the first request

    return parse_params(NextEditParams, params)


def register(server: ZekeServer) -> None:
    engine = NextEditEngine(server.session)
    ids = itertools.count(1)
    server.session.on_document(lambda event, params: record_event(server, engine, event, params))
    stats = server.session.next_edit_stats

    def publish() -> None:
        stats.update(
            requests=engine.stats.requests,
            suggested=engine.stats.suggested,
            superseded=engine.stats.superseded,
            quiet=dict(engine.stats.quiet),
            historyEdits=len(engine.history.edits),
            alias=engine.alias(),
        )
        for name in FEEDBACK.values():
            stats.setdefault(name, 0)

    def report() -> dict[str, Any]:
        publish()  # on demand: reading the alias loads the config schema
        return dict(stats)

    server.session.status_sections["next_edit"] = report

    async def predict(params: NextEditParams) -> tuple[Suggestion | Quiet, str, int | None]:
        uri = params.text_document.uri
        document = find_document(server, uri)
        version = document.version
        if not server.session.config.next_edit.enabled:
            return Quiet("disabled"), uri, version
        text = document.source
        if len(text) > server.session.config.context.max_file_bytes or is_binary(text):
            return Quiet("unsupported"), uri, version
        lines = split_lines(text)
        encoding = position_encoding(server)
        line = min(params.position.line, max(0, len(lines) - 1))
        row = lines[line] if lines else ""
        index = units_to_index(row, params.position.character, encoding)
        request = NesRequest(
            uri,
            path_of(server, uri),
            document.language_id or "",
            lines,
            line,
            index,
            lambda: current_text(server, uri),
        )
        try:
            result = await engine.predict(request)
        except ProviderError as exc:
            log.warning("next edit failed: %s", exc)
            if params.invoked:
                raise ProviderFailed(str(exc), data=exc.data()) from None
            result = Quiet("error")
        except ValueError as exc:
            raise ConfigInvalid(str(exc)) from None
        finally:
            publish()
        return result, uri, version

    @server.feature(NEXT_EDIT)
    async def next_edit(params: Any) -> dict[str, Any]:
        args = next_edit_params(params)
        result, uri, version = await predict(args)
        if isinstance(result, Quiet):
            return {"edit": None, "quiet": result.reason}
        text = current_text(server, uri) or ""
        edit = edit_json(result, text, position_encoding(server))
        return {
            "edit": {
                "id": f"nes-{next(ids)}",
                **edit,
                "textDocument": {"uri": uri, "version": version},
            }
        }

    @server.feature(COPILOT_INLINE_EDIT)
    async def copilot_inline_edit(params: Any) -> dict[str, Any]:
        args = next_edit_params(params)
        result, uri, version = await predict(args)
        if isinstance(result, Quiet):
            return {"edits": []}
        edit = edit_json(result, current_text(server, uri) or "", position_encoding(server))
        edit_id = f"nes-{next(ids)}"
        return {
            "edits": [
                {
                    "range": edit["range"],
                    "text": edit["newText"],
                    "textDocument": {"uri": uri, "version": version},
                    "command": {
                        "title": "Accept next edit",
                        "command": ACCEPT_COMMAND,
                        "arguments": [edit_id],
                    },
                }
            ]
        }

    def feedback(name: str) -> None:
        stats[name] = stats.get(name, 0) + 1

    for method, name in FEEDBACK.items():
        server.feature(method)(_feedback_handler(feedback, name))

    @server.command(ACCEPT_COMMAND)
    def accepted(*args: Any) -> None:
        feedback("accepted")


def _feedback_handler(feedback: Any, name: str) -> Any:
    def handler(params: Any) -> None:
        from zeke_ls.protocol.next_edit import NextEditFeedback

        parse_params(NextEditFeedback, params)
        feedback(name)

    handler.__name__ = f"next_edit_{name}"
    return handler


def record_event(server: ZekeServer, engine: NextEditEngine, event: str, params: Any) -> None:
    """Follow each document's text into the edit history."""
    uri = params.text_document.uri
    history = engine.history
    if event == "didClose":
        history.closed(uri)
        return
    text = current_text(server, uri)
    if text is None:
        return
    if event == "didOpen":
        history.opened(uri, text)
    elif event == "didChange":
        edit = history.changed(uri, path_of(server, uri), text)
        if edit is not None:
            history.moved(uri, edit.new_end - 1 if edit.new else edit.start, 0)


def current_text(server: ZekeServer, uri: str) -> str | None:
    try:
        return find_document(server, uri).source
    except NotFound:
        return None


def path_of(server: ZekeServer, uri: str) -> str:
    return relative_path(to_fs_path(uri) or uri, server.session.roots)


def edit_json(result: Suggestion, text: str, encoding: str) -> dict[str, Any]:
    """Range, newText and cursor in the client's position encoding."""
    lines = text.split("\n")
    after = text_after(text, result)
    after_lines = after.split("\n")

    def position(rows: list[str], line: int, index: int) -> dict[str, int]:
        row = rows[line] if line < len(rows) else ""
        return {"line": line, "character": index_to_units(row, index, encoding)}

    return {
        "range": {
            "start": position(lines, result.line, result.index),
            "end": position(lines, result.end_line, result.end_index),
        },
        "newText": result.text,
        "cursor": position(after_lines, result.cursor_line, result.cursor_index),
    }


def text_after(text: str, result: Suggestion) -> str:
    lines = text.split("\n")
    start = sum(len(x) + 1 for x in lines[: result.line]) + result.index
    end = sum(len(x) + 1 for x in lines[: result.end_line]) + result.end_index
    return text[:start] + result.text + text[end:]
