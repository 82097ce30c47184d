"""The typed `zeke/*` surface: every custom method and notification with its params and result
models. protocol.md's field tables are generated from these (`python -m zeke_ls.protocol
--write`), and a test fails when the two disagree. The same list is advertised at `initialize`
as `capabilities.experimental.zeke = {version, protocol, methods}` (core/surface.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from zeke_ls.protocol import chat, context, edits, index, next_edit, session


@dataclass(frozen=True)
class Method:
    name: str
    kind: str
    """`request`, `notification` (client -> server) or `server notification`."""
    params: type[BaseModel]
    result: type[BaseModel] | None = None


METHODS: list[Method] = [
    Method("zeke/status", "request", session.NoParams, session.StatusResult),
    Method(
        "zeke/documentState", "request", session.DocumentStateParams, session.DocumentStateResult
    ),
    Method("zeke/models", "request", session.NoParams, session.ModelsResult),
    Method("zeke/setModel", "request", session.SetModelParams, session.SetModelResult),
    Method("zeke/didShowCompletion", "notification", session.CompletionFeedback),
    Method("zeke/didAcceptCompletion", "notification", session.CompletionFeedback),
    Method("zeke/chat", "request", chat.ChatParams, chat.ChatResult),
    Method("zeke/chatDelta", "server notification", chat.ChatDelta),
    Method("zeke/chatHistory", "request", chat.ChatIdParams, chat.ChatHistoryResult),
    Method("zeke/chatClear", "request", chat.ChatIdParams, chat.ChatClearResult),
    Method("zeke/contextAdd", "request", context.ContextAddParams, context.ContextAddResult),
    Method(
        "zeke/contextRemove", "request", context.ContextRemoveParams, context.ContextRemoveResult
    ),
    Method("zeke/contextList", "request", context.ContextListParams, context.ContextListing),
    Method("zeke/contextClear", "request", session.NoParams, context.ContextClearResult),
    Method("zeke/contextChanged", "server notification", context.ContextChanged),
    Method("zeke/edit", "request", edits.EditParams, edits.EditResult),
    Method("zeke/editProgress", "server notification", edits.EditProgress),
    Method("zeke/editAccept", "request", edits.AcceptParams, edits.AcceptResult),
    Method("zeke/editReject", "request", edits.RejectParams, edits.RejectResult),
    Method("zeke/indexStatus", "request", session.NoParams, index.IndexStatusResult),
    Method("zeke/search", "request", index.SearchParams, index.SearchResult),
    Method("zeke/repoMap", "request", index.RepoMapParams, index.RepoMapResult),
    Method("zeke/nextEdit", "request", next_edit.NextEditParams, next_edit.NextEditResult),
    Method("zeke/didShowNextEdit", "notification", next_edit.NextEditFeedback),
    Method("zeke/didAcceptNextEdit", "notification", next_edit.NextEditFeedback),
    Method("zeke/didDismissNextEdit", "notification", next_edit.NextEditFeedback),
]
