"""The Anthropic Messages API: request translation and SSE events translated into deltas.

Requests: system messages become the top-level `system`; OpenAI-shaped assistant `tool_calls`
become `tool_use` blocks and `tool` messages become `tool_result` blocks in a user turn;
consecutive turns of one role are merged because the API wants them alternating. Tools go out
as `{name, description, input_schema}`. Events: `text_delta` -> text, `input_json_delta` ->
tool-call argument fragments (indexed by tool block), usage from `message_start` and
`message_delta`, end at `message_stop`.
"""

from __future__ import annotations

import json
from typing import Any

from zeke_ls.providers.base import (
    ChatRequest,
    CompletionRequest,
    Delta,
    ProviderError,
    TokenUsage,
    ToolCallDelta,
)
from zeke_ls.providers.wire import Endpoint, HttpCall, drop_none, error_message, parse_json

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 1024
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
}


def text_of(content: Any) -> str:
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw or "{}")
        except ValueError:
            return {"_raw": raw}
    return raw or {}


def blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    """One OpenAI-shaped message as Anthropic content blocks."""
    if message.get("role") == "tool":
        return [
            {
                "type": "tool_result",
                "tool_use_id": message.get("tool_call_id", ""),
                "content": text_of(message.get("content")),
            }
        ]
    found: list[dict[str, Any]] = []
    if text := text_of(message.get("content")):
        found.append({"type": "text", "text": text})
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        found.append(
            {
                "type": "tool_use",
                "id": call.get("id", ""),
                "name": function.get("name"),
                "input": arguments(function.get("arguments")),
            }
        )
    return found


def translate_messages(messages: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    system = "\n\n".join(text_of(m.get("content")) for m in messages if m.get("role") == "system")
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.get("role") == "system":
            continue
        role = "assistant" if message.get("role") == "assistant" else "user"
        content = blocks(message)
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(content)
        else:
            turns.append({"role": role, "content": content})
    return system or None, turns


def translate_tools(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if not tools:
        return None
    found = []
    for tool in tools:
        function = tool.get("function", tool)
        found.append(
            drop_none(
                {
                    "name": function.get("name"),
                    "description": function.get("description"),
                    "input_schema": function.get("parameters")
                    or {"type": "object", "properties": {}},
                }
            )
        )
    return found


class EventParser:
    """Anthropic stream events -> deltas; tool blocks are numbered 0, 1, ... in arrival order."""

    def __init__(self, endpoint: str = "") -> None:
        self.done = False
        self.endpoint = endpoint
        self.input_tokens = 0
        self.model: str | None = None
        self.tool_index: dict[int, int] = {}

    def feed(self, data: str, event: str = "message") -> list[Delta]:
        payload = parse_json(data, self.endpoint)
        kind = payload.get("type", event) if isinstance(payload, dict) else event
        handler = getattr(self, f"on_{kind}", None)
        return handler(payload) if handler is not None else []

    def on_error(self, payload: dict[str, Any]) -> list[Delta]:
        raise ProviderError(f"error in stream: {error_message(payload)}", endpoint=self.endpoint)

    def on_message_start(self, payload: dict[str, Any]) -> list[Delta]:
        message = payload.get("message") or {}
        self.model = message.get("model")
        self.input_tokens = int((message.get("usage") or {}).get("input_tokens") or 0)
        return []

    def on_content_block_start(self, payload: dict[str, Any]) -> list[Delta]:
        block = payload.get("content_block") or {}
        if block.get("type") != "tool_use":
            return [Delta(text=block.get("text") or "")] if block.get("text") else []
        index = self.tool_index.setdefault(int(payload.get("index", 0)), len(self.tool_index))
        call = ToolCallDelta(index=index, id=block.get("id"), name=block.get("name"))
        return [Delta(tool_calls=[call], model=self.model)]

    def on_content_block_delta(self, payload: dict[str, Any]) -> list[Delta]:
        delta = payload.get("delta") or {}
        if delta.get("type") == "text_delta":
            return [Delta(text=delta.get("text", ""), model=self.model)]
        if delta.get("type") == "input_json_delta":
            index = self.tool_index.get(int(payload.get("index", 0)), 0)
            call = ToolCallDelta(index=index, arguments=delta.get("partial_json", ""))
            return [Delta(tool_calls=[call], model=self.model)]
        return []  # thinking and signature deltas are not part of the answer

    def on_message_delta(self, payload: dict[str, Any]) -> list[Delta]:
        reason = (payload.get("delta") or {}).get("stop_reason")
        output = int((payload.get("usage") or {}).get("output_tokens") or 0)
        return [
            Delta(
                finish_reason=STOP_REASONS.get(reason or "", reason),
                model=self.model,
                usage=TokenUsage(self.input_tokens, output),
            )
        ]

    def on_message_stop(self, payload: dict[str, Any]) -> list[Delta]:
        self.done = True
        return []


class AnthropicFormat:
    def url(self, endpoint: Endpoint) -> str:
        return endpoint.url.rstrip("/").removesuffix("/v1") + "/v1/messages"

    def headers(self, endpoint: Endpoint) -> dict[str, str]:
        found = {"Content-Type": "application/json", "anthropic-version": API_VERSION}
        if endpoint.api_key:
            found["x-api-key"] = endpoint.api_key
        return found

    def chat(self, endpoint: Endpoint, request: ChatRequest) -> HttpCall:
        system, messages = translate_messages(request.messages)
        body = (
            drop_none(
                {
                    "model": endpoint.model,
                    "system": system,
                    "messages": messages,
                    "stream": True,
                    "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
                    "temperature": request.temperature,
                    "stop_sequences": request.stop or None,
                    "tools": translate_tools(request.tools),
                }
            )
            | endpoint.extra_body
        )
        return HttpCall(
            "POST",
            self.url(endpoint),
            self.headers(endpoint),
            body,
            "sse",
            EventParser(endpoint.url),
        )

    def complete(self, endpoint: Endpoint, request: CompletionRequest) -> HttpCall:
        """No text-completion API: the prompt becomes one user turn (no suffix support)."""
        chat = ChatRequest(
            messages=[{"role": "user", "content": request.prompt}],
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            stop=request.stop,
        )
        return self.chat(endpoint, chat)

    def embed(self, endpoint: Endpoint, inputs: list[str]) -> HttpCall:
        raise ProviderError(
            "Anthropic has no embeddings API; use another alias for embeddings",
            provider=endpoint.provider,
            endpoint=endpoint.url,
        )
