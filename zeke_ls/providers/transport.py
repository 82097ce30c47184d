"""One HTTP exchange with a model server: timeouts, status errors, framing, and prompt release.

`stream_deltas` is an async generator whose `finally` (the `async with client.stream`) closes
the HTTP response, so closing the generator, or cancelling the task iterating it, hangs up on
the server at once and a local model stops generating. Every failure becomes a
`ProviderError` naming provider, endpoint and status; `retryable` says whether the router may
try elsewhere (only ever before the first delta).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

import httpx

from zeke_ls.providers.base import Delta, ProviderError
from zeke_ls.providers.sse import NDJSONDecoder, SSEDecoder
from zeke_ls.providers.wire import Endpoint, HttpCall, error_message, retry_after_s, scrub

DRAIN_S = 0.25
RETRYABLE_STATUS = {408, 409, 425, 429}
"""Plus every 5xx (529 is Anthropic's "overloaded")."""


@dataclass(frozen=True)
class Timeouts:
    connect_s: float
    first_token_s: float
    """From sending the request to the first delta (covers a hang before the first byte)."""
    idle_s: float
    """Longest gap between two deltas once streaming."""
    total_s: float
    """For non-streamed calls (embeddings)."""


class StatusError(ProviderError):
    """An HTTP error status; `retry_after_s` is set from a 429/503 `Retry-After` header."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after_s = retry_after


def where(endpoint: Endpoint) -> dict[str, Any]:
    return {"provider": endpoint.provider, "endpoint": endpoint.url}


def httpx_timeout(timeouts: Timeouts) -> httpx.Timeout:
    return httpx.Timeout(timeouts.total_s, connect=timeouts.connect_s)


async def status_error(response: httpx.Response, endpoint: Endpoint) -> StatusError:
    """Read (a bounded part of) the error body and name what went wrong, without the key."""
    raw = b""
    with contextlib.suppress(httpx.HTTPError):
        async for chunk in response.aiter_bytes():
            raw += chunk
            if len(raw) > 4096:
                break
    try:
        message = error_message(json.loads(raw))
    except ValueError:
        message = raw.decode("utf-8", "replace")[:300] or response.reason_phrase
    status = response.status_code
    return StatusError(
        scrub(message, endpoint.api_key),
        status=status,
        retryable=status in RETRYABLE_STATUS or status >= 500,
        retry_after=retry_after_s(response.headers.get("retry-after")),
        **where(endpoint),
    )


def network_error(exc: httpx.HTTPError, endpoint: Endpoint, phase: str) -> ProviderError:
    """Connect failures are retryable; a stream that breaks mid-way is a truncated stream."""
    if isinstance(exc, httpx.ConnectTimeout):
        return ProviderError("connect timeout", retryable=True, **where(endpoint))
    if isinstance(exc, httpx.ConnectError):
        return ProviderError(
            f"cannot connect ({exc or 'refused'})", retryable=True, **where(endpoint)
        )
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(
            f"timeout while {phase}", retryable=phase != "streaming", **where(endpoint)
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return ProviderError(
            f"stream truncated: connection closed while {phase}",
            retryable=phase != "streaming",
            **where(endpoint),
        )
    return ProviderError(
        f"{type(exc).__name__} while {phase}", retryable=phase != "streaming", **where(endpoint)
    )


async def frames(response: httpx.Response, call: HttpCall) -> AsyncGenerator[tuple[str, str], None]:
    """(event name, data) pairs from the body, whichever framing the format uses."""
    if call.framing == "ndjson":
        ndjson = NDJSONDecoder()
        async for chunk in response.aiter_raw():
            for line in ndjson.feed(chunk):
                yield "message", line
        for line in ndjson.flush():
            yield "message", line
        return
    decoder = SSEDecoder()
    async for chunk in response.aiter_raw():
        for event in decoder.feed(chunk):
            yield event.event, event.data
    for event in decoder.feed(b"\n\n"):  # a last event without its blank line still counts
        yield event.event, event.data


async def drain(source: AsyncGenerator[tuple[str, str], None]) -> None:
    """Read the rest of a finished body briefly, so that the connection goes back to the pool
    instead of being closed; a server that keeps the stream open is simply hung up on."""
    with contextlib.suppress(TimeoutError, httpx.HTTPError, ProviderError):
        async with asyncio.timeout(DRAIN_S):
            async for _ in source:
                pass


async def decode_deltas(
    response: httpx.Response, call: HttpCall, endpoint: Endpoint
) -> AsyncGenerator[Delta, None]:
    parser = call.parser
    assert parser is not None
    async with contextlib.aclosing(frames(response, call)) as source:
        async for event, data in source:
            for delta in parser.feed(data, event):
                yield delta
            if parser.done:
                await drain(source)
                return
    if not parser.done and not getattr(parser, "finished", False):
        raise ProviderError(
            "stream truncated: it ended with neither a finish reason nor the end-of-stream marker",
            **where(endpoint),
        )


async def stream_deltas(
    client: httpx.AsyncClient, call: HttpCall, endpoint: Endpoint, timeouts: Timeouts
) -> AsyncGenerator[Delta, None]:
    """Send `call` and yield its deltas; see the module docstring for the guarantees."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeouts.first_token_s
    phase = "connecting"
    try:
        async with contextlib.AsyncExitStack() as stack:
            async with asyncio.timeout_at(deadline):
                response = await stack.enter_async_context(
                    client.stream(
                        call.method,
                        call.url,
                        headers=call.headers,
                        json=call.body,
                        timeout=httpx_timeout(timeouts),
                    )
                )
                if response.status_code >= 400:
                    raise await status_error(response, endpoint)
            phase = "waiting for the first token"
            deltas = await stack.enter_async_context(
                contextlib.aclosing(decode_deltas(response, call, endpoint))
            )
            while True:
                limit = deadline if phase != "streaming" else loop.time() + timeouts.idle_s
                try:
                    async with asyncio.timeout_at(limit):
                        delta = await anext(deltas)
                except StopAsyncIteration:
                    return
                if is_token(delta):
                    phase = "streaming"
                yield delta
    except TimeoutError:
        raise timeout_error(phase, timeouts, endpoint) from None
    except httpx.HTTPError as exc:
        raise network_error(exc, endpoint, phase) from None
    except StatusError:
        raise
    except ProviderError as exc:
        raise stream_error(exc, endpoint, phase) from None


def is_token(delta: Delta) -> bool:
    """Whether a delta carries part of the answer (not just a role, model name or usage)."""
    return bool(delta.text or delta.tool_calls)


def stream_error(exc: ProviderError, endpoint: Endpoint, phase: str) -> ProviderError:
    """A broken body (not JSON, an HTML page, a malformed chunk, an in-stream error event):
    before the first token nothing reached the user, so the router may try elsewhere."""
    return ProviderError(
        exc.detail.removeprefix(f"{endpoint.url}: "),
        retryable=phase != "streaming",
        **where(endpoint),
    )


def timeout_error(phase: str, timeouts: Timeouts, endpoint: Endpoint) -> ProviderError:
    if phase == "streaming":
        return ProviderError(
            f"stream stalled: no data for {timeouts.idle_s:g} s", **where(endpoint)
        )
    return ProviderError(
        f"no first token within {timeouts.first_token_s:g} s ({phase})",
        retryable=True,
        **where(endpoint),
    )


async def request_json(
    client: httpx.AsyncClient, call: HttpCall, endpoint: Endpoint, timeouts: Timeouts
) -> Any:
    """A non-streamed call (embeddings): the decoded result, or a ProviderError."""
    try:
        async with asyncio.timeout(timeouts.total_s):
            response = await client.request(
                call.method,
                call.url,
                headers=call.headers,
                json=call.body,
                timeout=httpx_timeout(timeouts),
            )
    except TimeoutError:
        raise ProviderError(
            f"no answer within {timeouts.total_s:g} s", retryable=True, **where(endpoint)
        ) from None
    except httpx.HTTPError as exc:
        raise network_error(exc, endpoint, "connecting") from None
    if response.status_code >= 400:
        raise await status_error(response, endpoint)
    try:
        payload = response.json()
    except ValueError:
        raise ProviderError("answer is not JSON", **where(endpoint)) from None
    assert call.decode is not None
    try:
        return call.decode(payload)
    except ProviderError as exc:
        raise ProviderError(str(exc), **where(endpoint)) from None
