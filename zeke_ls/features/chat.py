"""`zeke/chat` (streamed as `zeke/chatDelta`), `zeke/chatHistory` and `zeke/chatClear`.

A chat request names a conversation (or starts one), carries the user's message (plain text or
a slash command: /explain /fix /test /doc), optionally the selection, and whether to include
the pinned context. Every upstream chunk is relayed at once as a `zeke/chatDelta` carrying the
request's own id, so a client can match deltas to the request it is waiting on; the result
repeats the whole message. `$/cancelRequest` cancels the handler's task: the upstream stream is
closed and the partial answer is kept in the history (and returned) marked `cancelled`.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.uris import to_fs_path

from zeke_ls.chat.engine import Turn
from zeke_ls.chat.prompts import (
    Selection,
    UnknownCommand,
    format_diagnostics,
    parse_slash,
    system_prompt,
    user_prompt,
)
from zeke_ls.chat.store import ChatMessage, Conversation
from zeke_ls.chat.tools import Workspace
from zeke_ls.chat.wire import CamelParams, Range, TextDocumentId, check_range
from zeke_ls.context.budget import Piece, pack
from zeke_ls.context.sets import confine, read_text, slice_span
from zeke_ls.features.context import budget_for, open_texts, set_pieces
from zeke_ls.workspace.paths import is_inside, relative_name
from zeke_ls.providers.base import ProviderError
from zeke_ls.providers.routing import effective_config, resolve
from zeke_ls.core.rpc import NotFound, ProviderFailed, Refused, parse_params

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer
    from zeke_ls.core.session import Session

log = logging.getLogger(__name__)

CHAT, DELTA = "zeke/chat", "zeke/chatDelta"
HISTORY, CLEAR = "zeke/chatHistory", "zeke/chatClear"
MESSAGE_OVERHEAD = 4
"""Tokens each message costs beyond its content (role and separators, per OpenAI's count)."""


class ChatParams(CamelParams):
    chat_id: str | None = None
    message: str
    text_document: TextDocumentId | None = None
    range: Range | None = None
    include_context: bool = True
    model: str | None = None
    diagnostics: list[dict[str, Any]] = Field(default_factory=list)
    tools: bool = True
    propose_edit: bool = False
    """/fix and /test: also return an edit proposal from the patch pathway."""

    @field_validator("message")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message is empty")
        return value


class ChatIdParams(CamelParams):
    chat_id: str | None = None


# --- the selection ---------------------------------------------------------------------------


def document_text(server: ZekeServer, uri: str) -> str:
    """An open buffer's text, else the file from disk (inside the roots only)."""
    if uri in server.workspace.text_documents:
        return server.workspace.get_text_document(uri).source
    path = to_fs_path(uri)
    if not path:
        raise NotFound(f"document not open and not a file URI: {uri}")
    session = server.session
    return read_text(confine(Path(path), session.roots), session.config.context.max_file_bytes)


def selection_of(server: ZekeServer, params: ChatParams) -> tuple[Selection | None, list[Piece]]:
    """The selected text for the prompt, plus the lines around it as a budgeted piece."""
    if params.text_document is None:
        if params.range is not None:
            raise JsonRpcInvalidParams(message="range given without textDocument")
        return None, []
    uri = params.text_document.uri
    text = document_text(server, uri)
    if params.range is None:
        return None, [Piece("document:" + uri, "selection", name_of(server, uri), text)]
    span = params.range.span()
    check_range(text, span, uri)
    label = f"{name_of(server, uri)} lines {span.start_line + 1}-{span.end_line + 1}"
    selection = Selection(label, language_of(server, uri), slice_span(text, span))
    around = surrounding(text, span.start_line, span.end_line,
                         server.session.config.context.surrounding_lines)
    return selection, [Piece("surrounding:" + uri, "surrounding",
                             f"{name_of(server, uri)} around the selection", around)]


def surrounding(text: str, first: int, last: int, count: int) -> str:
    """`count` lines before and after the selection, the selection itself elided."""
    lines = text.splitlines(keepends=True)
    before = "".join(lines[max(first - count, 0): first])
    after = "".join(lines[last + 1: last + 1 + count])
    return before + "[... the selection ...]\n" + after


def name_of(server: ZekeServer, uri: str) -> str:
    path = to_fs_path(uri)
    return relative_name(Path(path), server.session.roots) if path else uri


def language_of(server: ZekeServer, uri: str) -> str:
    if uri in server.workspace.text_documents:
        return server.workspace.get_text_document(uri).language_id or ""
    return Path(uri).suffix.lstrip(".")


def open_document_pieces(server: ZekeServer, exclude: str | None) -> list[Piece]:
    """Other open buffers inside the roots: the lowest tier of context."""
    roots = server.session.roots
    skip = to_fs_path(exclude) if exclude else None
    skipped = Path(skip).resolve() if skip else None
    return [Piece("document:" + str(path), "document", relative_name(path, roots), text)
            for path, text in open_texts(server).items()
            if path != skipped and is_inside(path, roots)]


# --- prompt assembly -------------------------------------------------------------------------


def history_within(session: Session, chat: Conversation, budget: int) -> list[dict[str, Any]]:
    """The most recent turns that fit in `budget` tokens, oldest first."""
    kept: list[dict[str, Any]] = []
    used = 0
    for message in reversed(chat.messages):
        cost = session.token_counter.count(message.content) + MESSAGE_OVERHEAD
        if used + cost > budget:
            break
        kept.append(message.upstream())
        used += cost
    return kept[::-1]


def assemble(server: ZekeServer, params: ChatParams, chat: Conversation, alias: str,
             command: str | None, text: str, found: list[Piece] | None = None,
             ) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """System prompt + packed context, history, the user's turn: all within the budget."""
    session = server.session
    selection, pieces = selection_of(server, params)
    prompt = user_prompt(command, text, selection, params.diagnostics)
    system = system_prompt(params.tools)
    budget = budget_for(session, alias)
    fixed = session.token_counter.count_many([system, prompt]) + 3 * MESSAGE_OVERHEAD + 8
    if fixed > budget:
        raise Refused(f"the message is about {fixed} tokens, over the {budget}-token budget of "
                      f"{alias} (context window minus [context] reserve_output_tokens); "
                      "shorten it or choose a larger model with zeke/setModel")
    history = history_within(session, chat, (budget - fixed) // 2)
    room = budget - fixed - sum(session.token_counter.count(m["content"] or "") +
                                MESSAGE_OVERHEAD for m in history)
    vanished: list[dict[str, Any]] = []
    pieces += found or []  # `@workspace`: index search results and the repo map
    if params.include_context:
        doc = params.text_document.uri if params.text_document else None
        pinned, vanished = set_pieces(server)
        pieces += pinned + open_document_pieces(server, doc)
    packed = pack(pieces, room, session.token_counter)
    if packed.included:
        system += "\n\nWorkspace context:\n\n" + packed.render()
    messages = [{"role": "system", "content": system}, *history,
                {"role": "user", "content": prompt}]
    return messages, packed.report() | {"vanished": vanished}, prompt


# --- running a turn --------------------------------------------------------------------------


def check_alias(session: Session, alias: str) -> None:
    try:
        resolve(effective_config(session.config), alias)
    except KeyError:
        known = ", ".join(sorted(effective_config(session.config).aliases))
        raise NotFound(f'unknown alias "{alias}"; known aliases: {known}') from None


EDIT_INSTRUCTIONS = {
    "fix": "Fix the problems in the selected code.",
    "test": "Write unit tests for the selected code, in the project's test style.",
}


async def edit_proposal(server: ZekeServer, command: str | None, params: ChatParams,
                        text: str) -> dict[str, Any] | None:
    """/fix and /test with `proposeEdit: true` also go through the patch pathway (`zeke/edit`)
    and return its proposal (previewed, accepted with `zeke/editAccept`). Off by default, so a
    chat client that only shows text is not charged a second model call."""
    if command not in EDIT_INSTRUCTIONS or not params.propose_edit or not params.text_document:
        return None
    from zeke_ls.features.edits import PROGRESS, propose_edit

    request_id = server.protocol.msg_id
    instruction = " ".join(part for part in (EDIT_INSTRUCTIONS[command], text) if part)
    if command == "fix" and params.diagnostics:
        instruction += "\nDiagnostics:\n" + format_diagnostics(params.diagnostics)
    rng = params.range.model_dump() if params.range else None
    try:
        return await propose_edit(server, params.text_document.uri, rng, instruction, None,
                                  lambda data: server.notify(PROGRESS, {"requestId": request_id,
                                                                        **data}))
    except asyncio.CancelledError:
        return {"cancelled": True}
    except JsonRpcException as exc:
        return {"error": {"code": exc.code, "message": exc.message}}


async def run_chat(server: ZekeServer, params: ChatParams) -> dict[str, Any]:
    """Run one chat turn end to end; shared by `zeke/chat` and the quick-action commands."""
    session = server.session
    chat = session.chats.get_or_create(params.chat_id)
    command, text = slash_command(params.message)
    alias = params.model or session.model_for("chat")
    check_alias(session, alias)
    index, index_config = session.index, session.config.index
    found = await index.chat_pieces(params.message, index_config.search_results,
                                    index_config.repo_map_tokens) if index else []
    messages, context, prompt = assemble(server, params, chat, alias, command, text, found)
    base = {"chatId": chat.id, "requestId": server.protocol.msg_id}
    turn = new_turn(server, params, alias, messages, base, command)
    chat.messages.append(ChatMessage("user", prompt))
    reply = ChatMessage("assistant", "", alias=alias)
    chat.messages.append(reply)
    try:
        await turn.run()
    except asyncio.CancelledError:
        reply.cancelled = True  # answer with the partial message instead of an error
    except ProviderError as exc:
        raise failed(server, base, reply, turn, exc) from None
    fill(reply, turn)
    result = {**base, "message": {"role": "assistant", "content": turn.text},
              "model": turn.model, "alias": alias, "usage": turn.usage_json(),
              "finishReason": reply.finish_reason, "cancelled": reply.cancelled,
              "command": command, "toolSteps": turn.tool_steps, "context": context}
    if not reply.cancelled and (proposal := await edit_proposal(server, command, params, text)):
        result["edit"] = proposal
    return result


def slash_command(message: str) -> tuple[str | None, str]:
    try:
        return parse_slash(message)
    except UnknownCommand as exc:
        raise JsonRpcInvalidParams(message=str(exc)) from None


def new_turn(server: ZekeServer, params: ChatParams, alias: str, messages: list[dict[str, Any]],
             base: dict[str, Any], command: str | None) -> Turn:
    """A turn whose every delta goes straight out as a `zeke/chatDelta`."""
    session = server.session
    tools = Workspace(session.roots, session.config.context.max_file_bytes) if params.tools else None
    return Turn(session.router, alias, messages, lambda event: server.notify(DELTA, base | event),
                workspace=tools, max_steps=session.config.chat.max_tool_steps,
                temperature=session.config.chat.temperature, intent=command or "chat")


def failed(server: ZekeServer, base: dict[str, Any], reply: ChatMessage, turn: Turn,
           exc: ProviderError) -> ProviderFailed:
    """Keep the partial answer with the error, end the delta stream with it, return the error."""
    fill(reply, turn)
    reply.error = str(exc)
    error = ProviderFailed(f"chat failed: {exc}", data={
        "provider": exc.provider, "endpoint": exc.endpoint, "status": exc.status})
    server.notify(DELTA, base | {"text": "", "error": {"code": error.code, "message": error.message}})
    return error


def fill(reply: ChatMessage, turn: Turn) -> None:
    reply.content, reply.model, reply.tool_steps = turn.text, turn.model, turn.tool_steps
    reply.finish_reason = "cancelled" if reply.cancelled else turn.finish_reason
    reply.usage = turn.usage_json()


def register(server: ZekeServer) -> None:
    @server.feature(CHAT)
    async def chat(params: Any) -> dict[str, Any]:
        return await run_chat(server, parse_params(ChatParams, params))

    @server.feature(HISTORY)
    def history(params: Any) -> dict[str, Any]:
        chat_id = parse_params(ChatIdParams, params).chat_id
        if chat_id is None:
            return {"chats": [{"chatId": i} for i in server.session.chats.ids()]}
        return server.session.chats.get(chat_id).to_json()

    @server.feature(CLEAR)
    def clear(params: Any) -> dict[str, Any]:
        return {"cleared": server.session.chats.clear(parse_params(ChatIdParams, params).chat_id)}
