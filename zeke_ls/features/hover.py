"""`textDocument/hover` and `textDocument/documentHighlight`, always answered promptly.

Hover shows the newest explain answer whose selection holds the position (so an eglot user
who ran "Zeke: explain" sees it again on hover). With `[chat] ai_hover`, it also asks the
model to explain the code around the position: `auto` does so only for clients that did not
declare hover support, because those ask only when the user presses a key (Grim's `K`),
while clients that declare it (eglot's eldoc) hover on every cursor rest. Otherwise hover
answers null at once. documentHighlight always answers `[]` at once: Grim sends it on every
cursor motion and waits for an answer.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from zeke_ls.core.lazy import require_feature
from zeke_ls.providers.base import ProviderError
from zeke_ls.services.answers import Answer, answer_book
from zeke_ls.services.documents import parse_uri

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer

log = logging.getLogger(__name__)

AI_HOVER_TIMEOUT_S = 60.0
MAX_BLOCK_LINES = 40


def wants_ai_hover(server: ZekeServer) -> bool:
    mode = server.session.config.chat.ai_hover
    if mode != "auto":
        return mode == "on"
    text_document = server.client_capabilities.text_document
    return text_document is None or text_document.hover is None


def block_around(text: str, line: int) -> tuple[int, int] | None:
    """The run of non-blank lines holding `line` (at most MAX_BLOCK_LINES), or None: past the
    end of a stale copy (Grim) there is nothing known to explain."""
    lines = text.splitlines()
    if not 0 <= line < len(lines) or not lines[line].strip():
        return None
    first = last = line
    while first > 0 and lines[first - 1].strip() and line - first < MAX_BLOCK_LINES // 2:
        first -= 1
    while last + 1 < len(lines) and lines[last + 1].strip() and last - first < MAX_BLOCK_LINES:
        last += 1
    return first, last


def markdown(title: str, text: str) -> types.Hover:
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=f"**{title}**\n\n{text}")
    )


async def ai_hover(server: ZekeServer, uri: str, line: int) -> types.Hover | None:
    document = server.session.documents.find(parse_uri(uri))
    span = block_around(document.source, line) if document is not None else None
    if span is None:
        return None
    argument = {
        "message": "/explain",
        "textDocument": {"uri": uri},
        "range": {
            "start": {"line": span[0], "character": 0},
            "end": {"line": span[1] + 1, "character": 0},
        },
        "includeContext": False,
        "tools": False,
    }
    try:
        result = await asyncio.wait_for(run_chat(server, argument), AI_HOVER_TIMEOUT_S)
    except TimeoutError:
        return markdown("Zeke", f"no answer within {AI_HOVER_TIMEOUT_S:g} s")
    except (JsonRpcException, ProviderError) as exc:
        return markdown("Zeke", f"explain failed: {getattr(exc, 'message', None) or exc}")
    text = str(result["message"]["content"])
    title = f"Zeke: lines {span[0] + 1}-{span[1] + 1}"
    answer_book(server).add(Answer(uri, span[0], span[1], title, text))
    return markdown(title, text)


async def run_chat(server: ZekeServer, argument: dict[str, Any]) -> dict[str, Any]:
    require_feature(server, "chat")
    assert server.session.chat_runner is not None
    return await server.session.chat_runner(argument)


def register(server: ZekeServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(params: types.HoverParams) -> types.Hover | None:
        uri, line = params.text_document.uri, params.position.line
        found = answer_book(server).at(uri, line)
        if found is not None:
            return markdown(found.title, found.text)
        if wants_ai_hover(server):
            return await ai_hover(server, uri, line)
        return None

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
    def on_highlight(params: Any) -> list[types.DocumentHighlight]:
        return []
