"""`zeke/chat`, `zeke/chatDelta`, `zeke/chatHistory`, `zeke/chatClear`."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from zeke_ls.protocol.common import Params, Range, Result, TextDocumentId


class ChatParams(Params):
    chat_id: str | None = Field(
        default=None, description="continue this conversation; else a new one"
    )
    message: str = Field(description="the user's message, or a /explain /fix /test /doc command")
    text_document: TextDocumentId | None = Field(
        default=None, description="the selection's document"
    )
    range: Range | None = Field(default=None, description="the selection")
    include_context: bool = Field(
        default=True, description="pack the context set and open documents"
    )
    model: str | None = Field(default=None, description="alias for this request only")
    diagnostics: list[dict[str, Any]] = Field(
        default_factory=list, description="diagnostics for the /fix prompt"
    )
    tools: bool = Field(
        default=True, description="offer the read-only workspace tools to the model"
    )
    propose_edit: bool = Field(
        default=False, description="/fix and /test: also return an edit proposal"
    )

    @field_validator("message")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message is empty")
        return value


class ChatMessageJson(Result):
    role: str
    content: str


class ChatResult(Result):
    chat_id: str = Field(description="the conversation")
    request_id: Any = Field(description="the JSON-RPC id of the request")
    message: ChatMessageJson = Field(description="the whole answer")
    model: str | None = Field(description="the model id that answered")
    alias: str = Field(description="the alias used")
    usage: dict[str, Any] | None = Field(description="token usage")
    finish_reason: str | None = Field(description="why the model stopped, or `cancelled`")
    cancelled: bool = Field(description="the request was cancelled; the answer is partial")
    command: str | None = Field(description="the slash command run, if any")
    tool_steps: list[dict[str, Any]] = Field(description="workspace tool calls answered")
    context: dict[str, Any] = Field(description="what was packed into the prompt")
    edit: dict[str, Any] | None = Field(default=None, description="the edit proposal (proposeEdit)")


class ChatDelta(Result):
    chat_id: str = Field(description="the conversation")
    request_id: Any = Field(description="the JSON-RPC id of the request")
    text: str = Field(description="the next fragment of the answer (may be empty)")
    tool_calls: list[dict[str, Any]] | None = Field(default=None, description="tool-call fragments")
    tool_step: dict[str, Any] | None = Field(default=None, description="a tool call was answered")
    error: dict[str, Any] | None = Field(
        default=None, description="the provider failed: the last delta"
    )


class ChatIdParams(Params):
    chat_id: str | None = Field(default=None, description="the conversation; all ids when absent")


class ChatHistoryResult(Result):
    chats: list[dict[str, Any]] | None = Field(
        default=None, description="without chatId: every chat id"
    )
    chat_id: str | None = Field(default=None, description="with chatId: the conversation")
    created_at: float | None = Field(default=None, description="when the conversation started")
    messages: list[dict[str, Any]] | None = Field(
        default=None, description="its messages, oldest first"
    )


class ChatClearResult(Result):
    cleared: list[str] = Field(description="ids of the conversations removed")
