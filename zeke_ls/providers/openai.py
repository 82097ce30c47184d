"""The OpenAI-compatible wire format: OpenAI, Omen, LiteLLM, vLLM, llama.cpp, Ollama's /v1, Gemini.

Chat streams over SSE (`data: {...}`, ending with `data: [DONE]`); tool calls arrive as indexed
fragments and are passed through as `ToolCallDelta`s. Usage is requested with
`stream_options.include_usage` and arrives in a last chunk with empty `choices`.
"""

from __future__ import annotations

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


def headers(endpoint: Endpoint) -> dict[str, str]:
    found = {"Content-Type": "application/json"}
    if endpoint.api_key:
        found["Authorization"] = f"Bearer {endpoint.api_key}"
    return found


def usage_of(payload: dict[str, Any]) -> TokenUsage | None:
    usage = payload.get("usage")
    if not isinstance(usage, dict):
        return None
    return TokenUsage(
        int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    )


def tool_call_deltas(raw: list[dict[str, Any]]) -> list[ToolCallDelta]:
    calls = []
    for position, call in enumerate(raw):
        function = call.get("function") or {}
        calls.append(
            ToolCallDelta(
                index=int(call.get("index", position)),
                id=call.get("id"),
                name=function.get("name"),
                arguments=function.get("arguments") or "",
            )
        )
    return calls


class ChatParser:
    """`chat.completion.chunk` payloads -> deltas."""

    def __init__(self, endpoint: str = "") -> None:
        self.done = False
        self.finished = False
        """A choice carried a finish reason: the answer is complete even if `[DONE]` never
        comes (Omen ends its streams without it)."""
        self.endpoint = endpoint

    def feed(self, data: str, event: str = "message") -> list[Delta]:
        if data.strip() == "[DONE]":
            self.done = True
            return []
        payload = parse_json(data, self.endpoint)
        if not isinstance(payload, dict):
            raise ProviderError(f"unexpected stream chunk: {data[:80]!r}", endpoint=self.endpoint)
        if "error" in payload:
            raise ProviderError(
                f"error in stream: {error_message(payload)}", endpoint=self.endpoint
            )
        return [
            self.delta(payload, choice)
            for choice in payload.get("choices") or [{}]
            if choice or payload.get("usage")
        ]

    def delta(self, payload: dict[str, Any], choice: dict[str, Any]) -> Delta:
        raw = choice.get("delta") or choice.get("message") or {}
        if choice.get("finish_reason"):
            self.finished = True
        text = raw.get("content") or choice.get("text") or ""
        return Delta(
            text=text,
            tool_calls=tool_call_deltas(raw.get("tool_calls") or []),
            finish_reason=choice.get("finish_reason"),
            usage=usage_of(payload),
            model=payload.get("model"),
        )


def chat_body(endpoint: Endpoint, request: ChatRequest) -> dict[str, Any]:
    body = drop_none(
        {
            "model": endpoint.model,
            "messages": request.messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            "tools": request.tools or None,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stop": request.stop or None,
        }
    )
    return body | endpoint.extra_body


def completion_body(endpoint: Endpoint, request: CompletionRequest) -> dict[str, Any]:
    body = drop_none(
        {
            "model": endpoint.model,
            "prompt": request.prompt,
            "suffix": request.suffix,
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stop": request.stop or None,
        }
    )
    return body | endpoint.extra_body


def embeddings(payload: Any) -> list[list[float]]:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise ProviderError(f"unexpected embeddings answer: {str(payload)[:80]}")
    ordered = sorted(data, key=lambda item: int(item.get("index", 0)))
    return [[float(x) for x in item["embedding"]] for item in ordered]


class OpenAIFormat:
    """Paths relative to a base URL that already ends in `/v1` (or the provider's equivalent)."""

    def url(self, endpoint: Endpoint, path: str) -> str:
        return endpoint.url.rstrip("/") + path

    def headers(self, endpoint: Endpoint) -> dict[str, str]:
        return headers(endpoint)

    def chat(self, endpoint: Endpoint, request: ChatRequest) -> HttpCall:
        return HttpCall(
            "POST",
            self.url(endpoint, "/chat/completions"),
            self.headers(endpoint),
            chat_body(endpoint, request),
            "sse",
            ChatParser(endpoint.url),
        )

    def complete(self, endpoint: Endpoint, request: CompletionRequest) -> HttpCall:
        return HttpCall(
            "POST",
            self.url(endpoint, "/completions"),
            self.headers(endpoint),
            completion_body(endpoint, request),
            "sse",
            ChatParser(endpoint.url),
        )

    def embed(self, endpoint: Endpoint, inputs: list[str]) -> HttpCall:
        body = {"model": endpoint.model, "input": inputs} | endpoint.extra_body
        return HttpCall(
            "POST",
            self.url(endpoint, "/embeddings"),
            self.headers(endpoint),
            body,
            "json",
            decode=embeddings,
        )
