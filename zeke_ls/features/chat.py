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

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

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
from zeke_ls.context.budget import Piece, pack
from zeke_ls.core.lazy import require_feature
from zeke_ls.core.rpc import Refused, ZekeError, parse_params
from zeke_ls.protocol.chat import (
    ChatClearResult,
    ChatDelta,
    ChatHistoryResult,
    ChatIdParams,
    ChatMessageJson,
    ChatParams,
    ChatResult,
)
from zeke_ls.providers.base import ProviderError
from zeke_ls.services.budget import budget_for
from zeke_ls.services.documents import parse_uri
from zeke_ls.services.pinned import pinned_pieces
from zeke_ls.services.uri import Uri

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer
    from zeke_ls.core.session import Session

log = logging.getLogger(__name__)

CHAT, DELTA = "zeke/chat", "zeke/chatDelta"
HISTORY, CLEAR = "zeke/chatHistory", "zeke/chatClear"
EDIT_PROGRESS = "zeke/editProgress"
MESSAGE_OVERHEAD = 4
"""Tokens each message costs beyond its content (role and separators, per OpenAI's count)."""


# --- the selection ---------------------------------------------------------------------------


def selection_of(server: ZekeServer, params: ChatParams) -> tuple[Selection | None, list[Piece]]:
    """The selected text for the prompt, plus the lines around it as a budgeted piece."""
    if params.text_document is None:
        if params.range is not None:
            raise JsonRpcInvalidParams(message="range given without textDocument")
        return None, []
    documents = server.session.documents
    uri = parse_uri(params.text_document.uri)
    text = documents.text(uri)
    name = documents.name(uri)
    if params.range is None:
        return None, [Piece("document:" + uri.key, "selection", name, text)]
    start, end = params.range.start.pair(), params.range.end.pair()
    documents.check_range(text, start, end, uri)
    label = f"{name} lines {start[0] + 1}-{end[0] + 1}"
    selection = Selection(label, documents.language(uri), documents.slice(text, start, end))
    around = surrounding(text, start[0], end[0], server.session.config.context.surrounding_lines)
    return selection, [
        Piece("surrounding:" + uri.key, "surrounding", f"{name} around the selection", around)
    ]


def surrounding(text: str, first: int, last: int, count: int) -> str:
    """`count` lines before and after the selection, the selection itself elided."""
    lines = text.splitlines(keepends=True)
    before = "".join(lines[max(first - count, 0) : first])
    after = "".join(lines[last + 1 : last + 1 + count])
    return before + "[... the selection ...]\n" + after


def open_document_pieces(server: ZekeServer, exclude: Uri | None, pinned: set[Path]) -> list[Piece]:
    """Other open buffers inside the roots, not already pinned whole: the lowest tier."""
    session = server.session
    skipped = exclude.path.resolve() if exclude is not None and exclude.path else None
    return [
        Piece("document:" + str(path), "document", session.workspace.relative(path), text)
        for path, text in session.documents.open_texts().items()
        if path != skipped and path not in pinned and session.workspace.inside(path)
    ]


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


def assemble(
    server: ZekeServer,
    params: ChatParams,
    chat: Conversation,
    alias: str,
    command: str | None,
    text: str,
    found: list[Piece] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """System prompt + packed context, history, the user's turn: all within the budget."""
    session = server.session
    selection, pieces = selection_of(server, params)
    prompt = user_prompt(command, text, selection, params.diagnostics)
    system = system_prompt(params.tools)
    budget = budget_for(session, alias)
    fixed = session.token_counter.count_many([system, prompt]) + 3 * MESSAGE_OVERHEAD + 8
    if fixed > budget:
        raise Refused(
            f"the message is about {fixed} tokens, over the {budget}-token budget of "
            f"{alias} (context window minus [context] reserve_output_tokens); "
            "shorten it or choose a larger model with zeke/setModel"
        )
    history = history_within(session, chat, (budget - fixed) // 2)
    room = (
        budget
        - fixed
        - sum(session.token_counter.count(m["content"] or "") + MESSAGE_OVERHEAD for m in history)
    )
    vanished: list[dict[str, Any]] = []
    pieces += found or []  # `@workspace`: index search results and the repo map
    if params.include_context:
        doc = parse_uri(params.text_document.uri) if params.text_document else None
        pinned, vanished = pinned_pieces(session)
        whole = {i.path for i in session.context_set.items.values() if i.span is None}
        pieces += pinned + open_document_pieces(server, doc, whole)
    packed = pack(pieces, room, session.token_counter)
    if packed.included:
        system += "\n\nWorkspace context:\n\n" + packed.render()
    messages = [
        {"role": "system", "content": system},
        *history,
        {"role": "user", "content": prompt},
    ]
    return messages, packed.report() | {"vanished": vanished}, prompt


# --- running a turn --------------------------------------------------------------------------


EDIT_INSTRUCTIONS = {
    "fix": "Fix the problems in the selected code.",
    "test": "Write unit tests for the selected code, in the project's test style.",
}


async def edit_proposal(
    server: ZekeServer, command: str | None, params: ChatParams, text: str
) -> dict[str, Any] | None:
    """/fix and /test with `proposeEdit: true` also go through the patch pathway (`zeke/edit`)
    and return its proposal (previewed, accepted with `zeke/editAccept`). Off by default, so a
    chat client that only shows text is not charged a second model call."""
    if command not in EDIT_INSTRUCTIONS or not params.propose_edit or not params.text_document:
        return None
    require_feature(server, "edits")
    propose_edit = server.session.edit_proposer
    if propose_edit is None:
        return None
    request_id = server.protocol.msg_id
    instruction = " ".join(part for part in (EDIT_INSTRUCTIONS[command], text) if part)
    if command == "fix" and params.diagnostics:
        instruction += "\nDiagnostics:\n" + format_diagnostics(params.diagnostics)
    rng = params.range.model_dump() if params.range else None
    try:
        return await propose_edit(
            params.text_document.uri,
            rng,
            instruction,
            None,
            lambda data: server.notify(EDIT_PROGRESS, {"requestId": request_id, **data}),
        )
    except asyncio.CancelledError:
        return {"cancelled": True}
    except JsonRpcException as exc:
        return {"error": {"code": exc.code, "message": exc.message}}


async def run_chat(server: ZekeServer, params: ChatParams) -> dict[str, Any]:
    """Run one chat turn end to end; shared by `zeke/chat` and the quick-action commands."""
    session = server.session
    chat = session.chats.get_or_create(params.chat_id)
    command, text = slash_command(params.message)
    alias = session.models.check(params.model) if params.model else session.model_for("chat")
    request_id = server.protocol.msg_id
    index, index_config = session.index, session.config.index
    found = (
        await index.chat_pieces(
            params.message, index_config.search_results, index_config.repo_map_tokens
        )
        if index
        else []
    )
    packing = asyncio.ensure_future(
        session.workspace.run(assemble, server, params, chat, alias, command, text, found)
    )
    cancelled = False
    try:
        await asyncio.shield(packing)
    except asyncio.CancelledError:  # cancelled while packing: the turn never starts
        cancelled = True
    messages, context, prompt = await packing
    base = {"chatId": chat.id, "requestId": request_id}
    turn = new_turn(server, params, alias, messages, base, command)
    chat.messages.append(ChatMessage("user", prompt))
    reply = ChatMessage("assistant", "", alias=alias, cancelled=cancelled)
    chat.messages.append(reply)
    try:
        if not cancelled:
            await turn.run()
    except asyncio.CancelledError:
        reply.cancelled = True  # answer with the partial message instead of an error
    except ProviderError as exc:
        raise failed(server, base, reply, turn, exc, alias) from None
    fill(reply, turn)
    result = ChatResult(
        chat_id=chat.id,
        request_id=base["requestId"],
        message=ChatMessageJson(role="assistant", content=turn.text),
        model=turn.model,
        alias=alias,
        usage=turn.usage_json(),
        finish_reason=reply.finish_reason,
        cancelled=reply.cancelled,
        command=command,
        tool_steps=turn.tool_steps,
        context=context,
    )
    if not reply.cancelled and (proposal := await edit_proposal(server, command, params, text)):
        result.edit = proposal
    return result.dump()


def slash_command(message: str) -> tuple[str | None, str]:
    try:
        return parse_slash(message)
    except UnknownCommand as exc:
        raise JsonRpcInvalidParams(message=str(exc)) from None


def new_turn(
    server: ZekeServer,
    params: ChatParams,
    alias: str,
    messages: list[dict[str, Any]],
    base: dict[str, Any],
    command: str | None,
) -> Turn:
    """A turn whose every delta goes straight out as a `zeke/chatDelta`."""
    session = server.session
    tools = (
        Workspace(session.roots, session.config.context.max_file_bytes) if params.tools else None
    )

    def relay(event: dict[str, Any]) -> None:
        server.notify(DELTA, ChatDelta.model_validate(base | event).dump())

    return Turn(
        session.router,
        alias,
        messages,
        relay,
        workspace=tools,
        max_steps=session.config.chat.max_tool_steps,
        temperature=session.config.chat.temperature,
        intent=command or "chat",
    )


def failed(
    server: ZekeServer,
    base: dict[str, Any],
    reply: ChatMessage,
    turn: Turn,
    exc: ProviderError,
    alias: str,
) -> ZekeError:
    """Keep the partial answer with the error, end the delta stream with it, return the error."""
    fill(reply, turn)
    reply.error = str(exc)
    error = server.session.models.error(exc, "chat", alias)
    server.notify(
        DELTA,
        ChatDelta.model_validate(
            base | {"text": "", "error": {"code": error.code, "message": error.message}}
        ).dump(),
    )
    return error


def fill(reply: ChatMessage, turn: Turn) -> None:
    reply.content, reply.model, reply.tool_steps = turn.text, turn.model, turn.tool_steps
    reply.finish_reason = "cancelled" if reply.cancelled else turn.finish_reason
    reply.usage = turn.usage_json()


def register(server: ZekeServer) -> None:
    @server.feature(CHAT)
    async def chat(params: Any) -> dict[str, Any]:
        return await run_chat(server, parse_params(ChatParams, params))

    server.session.chat_runner = lambda params: run_chat(server, parse_params(ChatParams, params))

    @server.feature(HISTORY)
    def history(params: Any) -> dict[str, Any]:
        chat_id = parse_params(ChatIdParams, params).chat_id
        if chat_id is None:
            chats = [{"chatId": i} for i in server.session.chats.ids()]
            return ChatHistoryResult(chats=chats).dump()
        return ChatHistoryResult.model_validate(server.session.chats.get(chat_id).to_json()).dump()

    @server.feature(CLEAR)
    def clear(params: Any) -> dict[str, Any]:
        cleared = server.session.chats.clear(parse_params(ChatIdParams, params).chat_id)
        return ChatClearResult(cleared=cleared).dump()
