"""Conversations kept by the daemon, so a client can continue one by its id.

A turn's assistant message is stored even when it did not finish: a cancelled answer keeps its
partial text marked `cancelled`, a failed one keeps its text and the error. Old conversations
are evicted first once the store holds `max_chats`.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from zeke_ls.core.rpc import NotFound


@dataclass
class ChatMessage:
    role: str
    content: str
    model: str | None = None
    alias: str | None = None
    finish_reason: str | None = None
    cancelled: bool = False
    error: str | None = None
    tool_steps: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, int] | None = None
    created_at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "role": self.role,
            "content": self.content,
            "createdAt": self.created_at,
        }
        if self.role == "assistant":
            data.update(
                model=self.model,
                alias=self.alias,
                finishReason=self.finish_reason,
                cancelled=self.cancelled,
                error=self.error,
                toolSteps=self.tool_steps,
                usage=self.usage,
            )
        return data

    def upstream(self) -> dict[str, Any]:
        """The OpenAI-shaped message sent to the model in later turns."""
        return {"role": self.role, "content": self.content}


@dataclass
class Conversation:
    id: str
    messages: list[ChatMessage] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {
            "chatId": self.id,
            "createdAt": self.created_at,
            "messages": [m.to_json() for m in self.messages],
        }


class ChatStore:
    """Conversations by id, most recently used last."""

    def __init__(self, max_chats: int = 200):
        self.max_chats = max_chats
        self._chats: OrderedDict[str, Conversation] = OrderedDict()
        self._ids: Iterator[int] = itertools.count(1)

    def create(self) -> Conversation:
        chat = Conversation(f"chat-{next(self._ids)}")
        self._chats[chat.id] = chat
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)
        return chat

    def get(self, chat_id: str) -> Conversation:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise NotFound(f"unknown chat id {chat_id!r}; omit chatId to start a new chat")
        self._chats.move_to_end(chat_id)
        return chat

    def get_or_create(self, chat_id: str | None) -> Conversation:
        return self.create() if chat_id is None else self.get(chat_id)

    def clear(self, chat_id: str | None = None) -> list[str]:
        """Forget one conversation, or all of them; returns the ids forgotten."""
        if chat_id is None:
            ids = list(self._chats)
            self._chats.clear()
            return ids
        self.get(chat_id)
        del self._chats[chat_id]
        return [chat_id]

    def ids(self) -> list[str]:
        return list(self._chats)
