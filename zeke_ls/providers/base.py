"""The one small interface every feature uses to reach a model, whatever the wire format.

Features build a `ChatRequest` or `CompletionRequest`, call the router with an alias, and
iterate `Delta`s. Closing the iterator (or cancelling the task that iterates it) closes the
upstream HTTP stream at once. Errors are `ProviderError`s that name provider, endpoint and
HTTP status, never a key.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, Protocol

from zeke_ls.providers.scrub import scrub


@dataclass
class ToolCallDelta:
    """A fragment of one tool call; fragments with the same `index` concatenate."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""
    """A fragment of the JSON arguments text."""


@dataclass
class TokenUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class Delta:
    """One streamed step: text and/or tool-call fragments; the last one has a finish reason."""

    text: str = ""
    tool_calls: list[ToolCallDelta] = field(default_factory=list)
    finish_reason: str | None = None
    usage: TokenUsage | None = None
    model: str | None = None


@dataclass
class ChatRequest:
    """OpenAI-shaped messages (`role`, `content`, `tool_calls`, `tool_call_id`) and tools
    (`{"type": "function", "function": {name, description, parameters}}`)."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    stop: list[str] | None = None
    intent: str | None = None
    """What the request is for (`chat`, `explain`, `fix`, ...): lets `model = "auto"` choose a
    local alias for the intents in `[routing] prefer_local_for`. None means `chat`."""


@dataclass
class CompletionRequest:
    """Plain text completion; `suffix` asks for fill-in-the-middle where the server supports it."""

    prompt: str
    suffix: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    stop: list[str] | None = None
    raw: bool = False
    """The prompt already carries FIM tokens: send it untemplated (Ollama `raw: true`)."""


@dataclass(frozen=True)
class ModelInfo:
    """What a feature may need to know about an alias without seeing the wire format."""

    alias: str
    provider: str
    kind: str
    model: str
    """The provider's model id behind the alias (`deepseek-coder:14b`)."""
    context_window: int
    fim_template: str | None
    """Configured override (`deepseek`, `qwen`, ..., `none`), or None to choose by model name."""
    supports_suffix: bool
    """Whether the route's completion endpoint honours `suffix` (Ollama generate, OpenAI
    /completions on servers that support it). False for chat-only models."""


class ProviderError(Exception):
    """A failed model call. `str()` is safe to show and log: every key in effect is scrubbed
    from the message when the error is built (`detail` is the message without its origin)."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        endpoint: str = "",
        status: int | None = None,
        retryable: bool = False,
    ):
        self.provider, self.endpoint, self.status = provider, endpoint, status
        self.retryable = retryable
        message = self.detail = scrub(message)
        where = " ".join(part for part in (provider, endpoint) if part)
        code = f" HTTP {status}" if status is not None else ""
        super().__init__(f"{where}{code}: {message}" if where or code else message)

    def data(self) -> dict[str, Any]:
        """The JSON-RPC error `data` of `ProviderFailed` (-32001)."""
        return {"provider": self.provider, "endpoint": self.endpoint, "status": self.status}


class ProviderConfigError(ProviderError):
    """The config in effect cannot serve the request (an unset `env:VAR`, no local-model extra):
    maps to `ConfigInvalid` (-32002)."""


class UnknownAlias(ProviderConfigError):
    """No such alias (and no gateway to pass the name to): maps to `NotFound` (-32003)."""


class ModelRouter(Protocol):
    """What features call. Implemented by `providers.router.Router`."""

    def info(self, alias: str) -> ModelInfo: ...

    def chat(self, alias: str, request: ChatRequest) -> AsyncGenerator[Delta, None]: ...

    def complete(self, alias: str, request: CompletionRequest) -> AsyncGenerator[Delta, None]: ...

    async def embed(self, alias: str, inputs: list[str]) -> list[list[float]]: ...
