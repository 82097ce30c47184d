"""What a wire format hands the router: an HTTP call to make and a parser for its answer.

Wire-format modules (openai, azure, anthropic, ollama) are pure translators: they never touch
the network, so the router alone owns timeouts, retries, cancellation and usage accounting,
and a format can be unit-tested on recorded bytes.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from zeke_ls.config.schema import ProviderConfig
from zeke_ls.providers import scrub as secrets
from zeke_ls.providers.base import ChatRequest, CompletionRequest, Delta, ProviderError


@dataclass(frozen=True)
class Endpoint:
    """One concrete place to send a request, with its secret already resolved."""

    kind: str
    provider: str
    url: str
    """Base URL (OpenAI-style ones include `/v1`)."""
    model: str
    api_key: str | None = field(default=None, repr=False)  # never in logs or tracebacks
    section: ProviderConfig = field(default_factory=ProviderConfig)
    extra_body: dict[str, Any] = field(default_factory=dict)
    context_window: int | None = None


class StreamParser(Protocol):
    """Turns one framed payload (an SSE `data` or an NDJSON line) into deltas."""

    done: bool
    """True once the format's end marker arrived; EOF before it means a truncated stream."""

    def feed(self, data: str, event: str = "message") -> list[Delta]: ...


@dataclass
class HttpCall:
    method: str
    url: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    framing: Literal["sse", "ndjson", "json"] = "sse"
    parser: StreamParser | None = None
    decode: Callable[[Any], Any] | None = None
    """For non-streamed calls (embeddings): the JSON body -> the result."""


class WireFormat(Protocol):
    def chat(self, endpoint: Endpoint, request: ChatRequest) -> HttpCall: ...

    def complete(self, endpoint: Endpoint, request: CompletionRequest) -> HttpCall: ...

    def embed(self, endpoint: Endpoint, inputs: list[str]) -> HttpCall: ...


def drop_none(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def parse_json(data: str, endpoint: str = "") -> Any:
    """A malformed chunk is a clear error, never a silent skip."""
    try:
        return json.loads(data)
    except ValueError:
        raise ProviderError(f"malformed stream chunk: {data[:80]!r}", endpoint=endpoint) from None


def error_message(payload: Any) -> str:
    """The human part of an error body, whatever its shape."""
    if isinstance(payload, dict):
        error = payload.get("error", payload)
        if isinstance(error, dict):
            return str(error.get("message") or error.get("type") or error)
        return str(error)
    return str(payload)[:300]


def scrub(text: str, secret: str | None) -> str:
    """Remove this key, every other key in effect, and anything that looks like one."""
    secrets.remember(secret)
    return secrets.scrub(text)


def retry_after_s(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
