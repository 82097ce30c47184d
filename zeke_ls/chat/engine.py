"""One chat turn: stream the model's answer, answer its read-only tool calls, repeat, bounded.

The turn object holds everything streamed so far, so the caller still has the partial answer
when the turn is cancelled or the provider fails mid-stream. Each upstream delta is handed to
`emit` at once (no buffering: the editor shows text as it arrives). The upstream iterator is
closed in every case, which closes the HTTP stream, so a cancelled chat stops the
model generating. The last step offers no tools, so the loop always ends with an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zeke_ls.chat.tools import TOOLS, Workspace
from zeke_ls.providers.base import ChatRequest, Delta, ModelRouter, ToolCallDelta

Emit = Callable[[dict[str, Any]], None]


@dataclass
class ToolCall:
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class Turn:
    """A turn in progress: its text so far, tool steps, usage and how it ended."""

    router: ModelRouter
    alias: str
    messages: list[dict[str, Any]]
    emit: Emit
    workspace: Workspace | None = None
    max_steps: int = 4
    temperature: float | None = None
    intent: str = "chat"
    text: str = ""
    model: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tool_steps: list[dict[str, Any]] = field(default_factory=list)

    async def run(self) -> Turn:
        messages = list(self.messages)
        for step in range(self.max_steps + 1):
            offer_tools = self.workspace is not None and step < self.max_steps
            request = ChatRequest(
                messages=messages,
                tools=TOOLS if offer_tools else None,
                temperature=self.temperature,
                intent=self.intent,
            )
            calls = await self._stream(request)
            if not calls or not offer_tools:
                break
            messages += [assistant_with_calls(calls)] + await self._run_tools(calls, step + 1)
        return self

    async def _stream(self, request: ChatRequest) -> list[ToolCall]:
        """Relay one upstream stream; returns the tool calls it asked for, if any."""
        calls: dict[int, ToolCall] = {}
        # aclosing: the HTTP stream closes at once on any exit, cancellation included.
        async with contextlib.aclosing(self.router.chat(self.alias, request)) as deltas:
            async for delta in deltas:
                self._absorb(delta, calls)
        return [calls[i] for i in sorted(calls)]

    def _absorb(self, delta: Delta, calls: dict[int, ToolCall]) -> None:
        if delta.text or delta.tool_calls:
            self.text += delta.text
            event: dict[str, Any] = {"text": delta.text}
            if delta.tool_calls:
                event["toolCalls"] = [tool_call_json(c) for c in delta.tool_calls]
            self.emit(event)
        for fragment in delta.tool_calls:
            call = calls.setdefault(fragment.index, ToolCall())
            call.id = fragment.id or call.id
            call.name = fragment.name or call.name
            call.arguments += fragment.arguments
        self.model = delta.model or self.model
        self.finish_reason = delta.finish_reason or self.finish_reason
        if delta.usage is not None:
            self.prompt_tokens += delta.usage.prompt_tokens
            self.completion_tokens += delta.usage.completion_tokens

    async def _run_tools(self, calls: list[ToolCall], step: int) -> list[dict[str, Any]]:
        """Answer each call (off the event loop: reads and searches touch the disk)."""
        assert self.workspace is not None
        replies = []
        for call in calls:
            ok, output = await asyncio.to_thread(self.workspace.call, call.name, call.arguments)
            record = {
                "step": step,
                "id": call.id,
                "name": call.name,
                "arguments": call.arguments,
                "ok": ok,
                "resultChars": len(output),
                "summary": output[:200],
            }
            self.tool_steps.append(record)
            self.emit({"text": "", "toolStep": record})
            replies.append({"role": "tool", "tool_call_id": call.id, "content": output})
        return replies

    def usage_json(self) -> dict[str, int]:
        return {"promptTokens": self.prompt_tokens, "completionTokens": self.completion_tokens}


def tool_call_json(fragment: ToolCallDelta) -> dict[str, Any]:
    data: dict[str, Any] = {"index": fragment.index, "arguments": fragment.arguments}
    if fragment.id:
        data["id"] = fragment.id
    if fragment.name:
        data["name"] = fragment.name
    return data


def assistant_with_calls(calls: list[ToolCall]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments or json.dumps({})},
            }
            for c in calls
        ],
    }
