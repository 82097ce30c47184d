"""Ollama's native API: `/api/chat`, `/api/generate` (with `suffix` and `raw` for
fill-in-the-middle), `/api/embed`, streamed as newline-delimited JSON.

Tool calls arrive whole (arguments as an object), so each becomes one `ToolCallDelta` with
the arguments serialised; token counts come from the final `done` line.
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
from zeke_ls.providers.wire import Endpoint, HttpCall, drop_none, parse_json


def options(
    endpoint: Endpoint, max_tokens: int | None, temperature: float | None, stop: list[str] | None
) -> dict[str, Any]:
    """`num_ctx` only when the alias sets a context window: a larger one costs memory."""
    return drop_none(
        {
            "num_predict": max_tokens,
            "temperature": temperature,
            "stop": stop or None,
            "num_ctx": endpoint.context_window,
        }
    )


def native_message(message: dict[str, Any]) -> dict[str, Any]:
    """OpenAI-shaped message -> Ollama's: tool-call arguments are objects, not JSON text."""
    calls = message.get("tool_calls")
    if not calls:
        return {k: v for k, v in message.items() if k in ("role", "content", "images")}
    native = []
    for call in calls:
        function = call.get("function") or {}
        raw = function.get("arguments")
        args = json.loads(raw or "{}") if isinstance(raw, str) else raw
        native.append({"function": {"name": function.get("name"), "arguments": args}})
    return {
        "role": message.get("role"),
        "content": message.get("content") or "",
        "tool_calls": native,
    }


class LineParser:
    """NDJSON lines from /api/chat or /api/generate -> deltas."""

    def __init__(self, endpoint: str = "") -> None:
        self.done = False
        self.endpoint = endpoint
        self.calls = 0

    def feed(self, data: str, event: str = "message") -> list[Delta]:
        payload = parse_json(data, self.endpoint)
        if not isinstance(payload, dict):
            raise ProviderError(f"unexpected stream line: {data[:80]!r}", endpoint=self.endpoint)
        if "error" in payload:
            raise ProviderError(f"error in stream: {payload['error']}", endpoint=self.endpoint)
        message = payload.get("message") or {}
        text = message.get("content") or payload.get("response") or ""
        delta = Delta(text=text, tool_calls=self.tool_calls(message), model=payload.get("model"))
        if payload.get("done"):
            self.done = True
            delta.finish_reason = payload.get("done_reason") or "stop"
            if delta.finish_reason == "stop" and self.calls:
                delta.finish_reason = "tool_calls"
            delta.usage = TokenUsage(
                int(payload.get("prompt_eval_count") or 0), int(payload.get("eval_count") or 0)
            )
        return [delta]

    def tool_calls(self, message: dict[str, Any]) -> list[ToolCallDelta]:
        found = []
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            args = function.get("arguments")
            text = args if isinstance(args, str) else json.dumps(args)
            found.append(
                ToolCallDelta(
                    index=self.calls,
                    id=call.get("id") or f"call_{self.calls}",
                    name=function.get("name"),
                    arguments=text,
                )
            )
            self.calls += 1
        return found


def embeddings(payload: Any) -> list[list[float]]:
    vectors = payload.get("embeddings") if isinstance(payload, dict) else None
    if not isinstance(vectors, list):
        raise ProviderError(f"unexpected embeddings answer: {str(payload)[:80]}")
    return [[float(x) for x in vector] for vector in vectors]


class OllamaFormat:
    def url(self, endpoint: Endpoint, path: str) -> str:
        return endpoint.url.rstrip("/").removesuffix("/v1") + path

    def headers(self, endpoint: Endpoint) -> dict[str, str]:
        found = {"Content-Type": "application/json"}
        if endpoint.api_key:  # e.g. an Ollama behind an authenticating reverse proxy
            found["Authorization"] = f"Bearer {endpoint.api_key}"
        return found

    def chat(self, endpoint: Endpoint, request: ChatRequest) -> HttpCall:
        body = (
            drop_none(
                {
                    "model": endpoint.model,
                    "stream": True,
                    "messages": [native_message(m) for m in request.messages],
                    "tools": request.tools or None,
                    "options": options(
                        endpoint, request.max_tokens, request.temperature, request.stop
                    ),
                }
            )
            | endpoint.extra_body
        )
        return HttpCall(
            "POST",
            self.url(endpoint, "/api/chat"),
            self.headers(endpoint),
            body,
            "ndjson",
            LineParser(endpoint.url),
        )

    def complete(self, endpoint: Endpoint, request: CompletionRequest) -> HttpCall:
        body = (
            drop_none(
                {
                    "model": endpoint.model,
                    "prompt": request.prompt,
                    "suffix": request.suffix,
                    "raw": request.raw or None,
                    "stream": True,
                    "options": options(
                        endpoint, request.max_tokens, request.temperature, request.stop
                    ),
                }
            )
            | endpoint.extra_body
        )
        return HttpCall(
            "POST",
            self.url(endpoint, "/api/generate"),
            self.headers(endpoint),
            body,
            "ndjson",
            LineParser(endpoint.url),
        )

    def embed(self, endpoint: Endpoint, inputs: list[str]) -> HttpCall:
        body = {"model": endpoint.model, "input": inputs} | endpoint.extra_body
        return HttpCall(
            "POST",
            self.url(endpoint, "/api/embed"),
            self.headers(endpoint),
            body,
            "json",
            decode=embeddings,
        )
