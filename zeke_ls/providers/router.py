"""The router: alias -> ordered attempts (gateway, direct, endpoints, fallbacks) -> deltas.

Features call `chat`, `complete` and `embed` with an alias. The router reads the config in
effect at each call (so a hot reload applies to the next request), builds the list of attempts
(see `zeke_ls.providers.routing` for the precedence), and streams from the first attempt that produces a
delta. A failure before the first token (text or tool call) moves on to the next attempt,
whatever broke (status, connection, timeout, a body that is not the stream); after it, the stream
ends with the `ProviderError`, because silently restarting would duplicate text in the editor.
One shared `httpx.AsyncClient` keeps connections alive between requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Callable, Coroutine
from typing import TYPE_CHECKING, Any

import httpx

from zeke_ls.config.schema import ProviderConfig, SecretError, ZekeConfig, resolve_secret
from zeke_ls.providers import formats, scrub
from zeke_ls.providers.base import (
    ChatRequest,
    CompletionRequest,
    Delta,
    ModelInfo,
    ProviderConfigError,
    ProviderError,
    TokenUsage,
    UnknownAlias,
)
from zeke_ls.providers.catalog import model_info
from zeke_ls.providers.health import HealthBook
from zeke_ls.providers.routing import Target, choose_auto, effective_config, resolve
from zeke_ls.providers.transport import (
    StatusError,
    Timeouts,
    is_token,
    request_json,
    stream_deltas,
)
from zeke_ls.providers.wire import Endpoint, HttpCall, WireFormat

if TYPE_CHECKING:
    from zeke_ls.providers.llamacpp import LlamaCppManager

log = logging.getLogger(__name__)

DETECT_TIMEOUT_S = 2.0
UsageSink = Callable[[str, int, int], None]
Build = Callable[[WireFormat, Endpoint], HttpCall]
Attempt = tuple[str, Target, str]
"""(alias that serves, target, endpoint URL)."""


class Router:
    """Implements `ModelRouter` over every configured wire format."""

    def __init__(
        self,
        config: Callable[[], ZekeConfig],
        health: HealthBook | None = None,
        on_usage: UsageSink | None = None,
        spawn: Callable[[Coroutine[Any, Any, Any]], Any] | None = None,
    ):
        self._config = config
        self.health = health or HealthBook()
        self._on_usage = on_usage
        self._spawn = spawn
        self._client: httpx.AsyncClient | None = None
        self._local: LlamaCppManager | None = None
        self.cooldown_until: dict[str, float] = {}
        """Endpoint URL -> monotonic time before which it is tried last (429 Retry-After)."""
        self._probing = False
        self._secrets_learnt_from: ZekeConfig | None = None
        self.gateway_kind: str | None = None
        """Detected `[api]` gateway kind (`omen`), when the config does not say."""
        self._detected: str | None = None

    @property
    def config(self) -> ZekeConfig:
        raw = self._config()
        if raw is not self._secrets_learnt_from:
            learn_secrets(raw)
            self._secrets_learnt_from = raw
        config = effective_config(raw)
        if config.api.base_url and config.api.kind is None and self.gateway_kind:
            api = config.api.model_copy(update={"kind": self.gateway_kind})
            return config.model_copy(update={"api": api})
        return config

    async def detect_gateway(self) -> None:
        """Ask an `[api]` gateway of unknown kind what it is, once per base URL: Omen answers
        `GET /health` (beside `/v1`) with `service: OMEN`."""
        api = self._config().api
        if not api.base_url or api.kind is not None or self._detected == api.base_url:
            return
        self._detected = api.base_url
        self.gateway_kind = await detect_kind(self.client, api.base_url)
        if self.gateway_kind:
            log.info("the gateway at %s is %s", api.base_url, self.gateway_kind)

    @property
    def client(self) -> httpx.AsyncClient:
        """Created on first use, inside the event loop that will use it."""
        if self._client is None:
            limits = httpx.Limits(
                max_connections=64, max_keepalive_connections=16, keepalive_expiry=30
            )
            self._client = httpx.AsyncClient(limits=limits, follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        """Close pooled connections and stop the managed local model, if started."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._local is not None:
            await self._local.stop()
            self._local = None

    # --- the ModelRouter interface ------------------------------------------------------------

    def info(self, alias: str) -> ModelInfo:
        config = self.config
        if alias == "auto" and not config.api.base_url:
            alias = choose_auto(config, "chat", 0)
        try:
            route = resolve(config, alias)
        except KeyError:
            raise UnknownAlias(f'unknown alias "{alias}"') from None
        return model_info(config, route, config.aliases.get(alias))

    def chat(self, alias: str, request: ChatRequest) -> AsyncGenerator[Delta, None]:
        intent = request.intent or "chat"
        return self._stream(
            alias, intent, lambda: message_text(request), lambda fmt, ep: fmt.chat(ep, request)
        )

    def complete(self, alias: str, request: CompletionRequest) -> AsyncGenerator[Delta, None]:
        text = request.prompt + (request.suffix or "")
        return self._stream(
            alias, "completion", lambda: text, lambda fmt, ep: fmt.complete(ep, request)
        )

    async def embed(self, alias: str, inputs: list[str]) -> list[list[float]]:
        errors: list[ProviderError] = []
        for attempt in self._attempts(alias, "embed", lambda: ""):
            try:
                endpoint = await self._endpoint(*attempt)
                call = formats.get(endpoint.kind).embed(endpoint, inputs)
                result: list[list[float]] = await request_json(
                    self.client, call, endpoint, self._timeouts(endpoint)
                )
            except ProviderError as exc:
                self._note_failure(attempt, exc)
                if not exc.retryable:
                    raise
                errors.append(exc)
                continue
            self._note_success(attempt, None, endpoint.url)
            return result
        raise all_failed(alias, errors)

    # --- attempts -----------------------------------------------------------------------------

    def _attempts(self, alias: str, intent: str, prompt: Callable[[], str]) -> list[Attempt]:
        """Every (alias, target, url) to try: the alias's targets and endpoints, then each
        fallback alias's; endpoints known to be down or cooling down after a 429 go last
        (tried rather than never, so that a recovered endpoint is found again)."""
        config = self.config
        ready: list[Attempt] = []
        later: list[Attempt] = []
        for name in self._alias_chain(config, alias, intent, prompt):
            try:
                route = resolve(config, name)
            except KeyError:
                raise UnknownAlias(f'unknown alias "{name}"') from None
            for target in route.targets:
                for url in self._ordered(target):
                    (later if self._rank(url)[0] >= 2 else ready).append((name, target, url))
        return ready + later

    def _alias_chain(
        self, config: ZekeConfig, alias: str, intent: str, prompt: Callable[[], str]
    ) -> list[str]:
        first = self._concrete(config, alias, intent, prompt)
        route = resolve(config, first) if first in config.aliases or config.api.base_url else None
        chain = [first, *(route.fallbacks if route else ())]
        return list(dict.fromkeys(chain))

    def _concrete(
        self, config: ZekeConfig, alias: str, intent: str, prompt: Callable[[], str]
    ) -> str:
        """`auto` (or an alias routed to `auto`) without a gateway picks a real alias."""
        entry = config.aliases.get(alias)
        is_auto = alias == "auto" or (entry is not None and entry.route == "auto")
        if not is_auto or config.api.base_url:
            return alias
        try:
            return choose_auto(config, intent, len(prompt()) // 4)
        except KeyError:
            raise ProviderConfigError(
                '"auto" needs [routing] local_alias or cloud_alias defined under [aliases]'
            ) from None

    def _ordered(self, target: Target) -> list[str]:
        """Healthy endpoints by recent latency first, then unknown ones, then the rest."""
        return sorted(target.endpoints, key=self._rank)

    def _rank(self, url: str) -> tuple[int, float]:
        """0 healthy (by latency), 1 unknown, 2 unreachable at last check, 3 cooling down."""
        if self.cooldown_until.get(url, 0) > time.monotonic():
            return 3, 0.0
        entry = self.health.entries.get(url)
        if entry is None or entry.reachable is None:
            return 1, 0.0
        if not entry.reachable:
            return 2, 0.0
        return 0, entry.latency_ms or 0.0

    async def _endpoint(self, alias: str, target: Target, url: str) -> Endpoint:
        config = self.config
        entry = config.aliases.get(alias)
        if target.provider == "gateway":
            section = ProviderConfig(api_key=config.api.api_key, timeout_ms=config.api.timeout_ms)
        else:
            section = config.providers.get(target.provider) or ProviderConfig()
        try:
            api_key = resolve_secret(section.api_key)
        except SecretError as exc:
            raise ProviderConfigError(
                str(exc), provider=target.provider, endpoint=url, retryable=True
            ) from None
        if target.kind == "llamacpp" and url == "managed":
            url = await self._managed_url(section, target.model)
        return Endpoint(
            kind=target.kind,
            provider=target.provider,
            url=url,
            model=target.model,
            api_key=api_key,
            section=section,
            extra_body=dict(entry.extra_body) if entry else {},
            context_window=entry.context_window if entry else None,
        )

    async def _managed_url(self, section: ProviderConfig, model: str) -> str:
        """The managed local server's URL, starting it on first use."""
        from zeke_ls.providers.llamacpp import LlamaCppManager

        if self._local is None:
            self._local = LlamaCppManager(section.model_path, self.client, name=model)
        return await self._local.url()

    def _timeouts(self, endpoint: Endpoint) -> Timeouts:
        rules = self.config.routing
        limit = endpoint.section.timeout_ms / 1000
        if endpoint.kind == "llamacpp":
            limit = max(limit, 120.0)  # a cold local model may take a while to load
        return Timeouts(
            connect_s=rules.connect_timeout_ms / 1000,
            first_token_s=min(rules.first_token_timeout_ms / 1000, limit),
            idle_s=min(rules.idle_timeout_ms / 1000, limit),
            total_s=limit,
        )

    # --- streaming ----------------------------------------------------------------------------

    async def _stream(
        self, alias: str, intent: str, prompt: Callable[[], str], build: Build
    ) -> AsyncGenerator[Delta, None]:
        """Try attempts until one yields a delta; then stream it to the end."""
        self._start_probes()
        await self.detect_gateway()
        errors: list[ProviderError] = []
        waited = False
        attempts = self._attempts(alias, intent, prompt)
        while attempts:
            attempt = attempts.pop(0)
            started = False
            try:
                async with contextlib.aclosing(self._one(attempt, build, prompt)) as deltas:
                    async for delta in deltas:
                        started = started or is_token(delta)
                        yield delta
                return
            except ProviderError as exc:
                self._note_failure(attempt, exc)
                if started:
                    raise
                errors.append(exc)
                if not exc.retryable:
                    raise all_failed(alias, errors) from None
                if not attempts and not waited and await self._wait_retry_after(exc):
                    waited = True
                    attempts.append(attempt)
        raise all_failed(alias, errors)

    async def _wait_retry_after(self, exc: ProviderError) -> bool:
        """Nothing else left after a 429: wait its Retry-After once, if that is short enough."""
        delay = exc.retry_after_s if isinstance(exc, StatusError) else None
        if delay is None or delay > self.config.routing.first_token_timeout_ms / 1000:
            return False
        await asyncio.sleep(delay)
        return True

    async def _one(
        self, attempt: Attempt, build: Build, prompt: Callable[[], str]
    ) -> AsyncGenerator[Delta, None]:
        endpoint = await self._endpoint(*attempt)
        call = build(formats.get(endpoint.kind), endpoint)
        started = time.perf_counter()
        usage: TokenUsage | None = None
        streamed: list[str] = []
        try:
            async with contextlib.aclosing(
                stream_deltas(self.client, call, endpoint, self._timeouts(endpoint))
            ) as deltas:
                async for delta in deltas:
                    if not streamed:
                        latency = (time.perf_counter() - started) * 1000
                        self._note_success(attempt, latency, endpoint.url)
                    delta.text = scrub.scrub_known(delta.text) if delta.text else delta.text
                    streamed.append(delta.text)
                    usage = delta.usage or usage
                    yield delta
        finally:
            if streamed and self._on_usage is not None:
                usage = usage or estimate_usage(prompt(), "".join(streamed))
                self._on_usage(attempt[0], usage.prompt_tokens, usage.completion_tokens)

    def _note_success(
        self, attempt: Attempt, latency_ms: float | None, actual_url: str | None = None
    ) -> None:
        """`actual_url` names the managed local server's real address in the health book.
        A probe's latency is kept: time to first token includes generation, and ranking
        endpoints by two different measures would flip between them."""
        _, target, url = attempt
        entry = self.health.entries.get(actual_url or url)
        if entry is not None and entry.latency_ms is not None:
            latency_ms = entry.latency_ms
        self.health.record(
            target.kind, actual_url or url, ok=True, latency_ms=latency_ms, status=200
        )
        self.cooldown_until.pop(url, None)

    def _note_failure(self, attempt: Attempt, exc: ProviderError) -> None:
        _, target, url = attempt
        log.warning("provider attempt failed: %s", exc)
        if isinstance(exc, StatusError) and exc.status == 429:
            self.cooldown_until[url] = time.monotonic() + (exc.retry_after_s or 5.0)
        if url != "managed" and exc.retryable:
            reachable = exc.status is not None
            self.health.record(target.kind, url, ok=reachable, status=exc.status, error=str(exc))

    # --- background health --------------------------------------------------------------------

    def _start_probes(self) -> None:
        if self._probing or self._spawn is None:
            return
        self._probing = True
        from zeke_ls.providers.probes import probe_loop

        self._spawn(probe_loop(self))


def learn_secrets(config: ZekeConfig) -> None:
    """Every key the config puts in effect, so that any provider's echo of any of them is
    scrubbed, even before that key was ever sent."""
    references = [config.api.api_key, *(p.api_key for p in config.providers.values())]
    for reference in references:
        try:
            scrub.remember(resolve_secret(reference))
        except SecretError:
            continue


async def detect_kind(client: httpx.AsyncClient, base_url: str) -> str | None:
    """`omen` when `{base without /v1}/health` says so; None for anything else or no answer."""
    root = base_url.rstrip("/").removesuffix("/v1")
    try:
        response = await client.get(root + "/health", timeout=DETECT_TIMEOUT_S)
        service = response.json().get("service") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return "omen" if isinstance(service, str) and service.lower() == "omen" else None


def message_text(request: ChatRequest) -> str:
    return "\n".join(str(message.get("content") or "") for message in request.messages)


def estimate_usage(prompt: str, answer: str) -> TokenUsage:
    """For servers that do not report usage in streams (llama.cpp's Python server): count
    with the offline tokenizer, which is close enough for a session's accounting."""
    from zeke_ls.context.tokens import encode

    return TokenUsage(len(encode(prompt)), len(encode(answer)))


def all_failed(alias: str, errors: list[ProviderError]) -> ProviderError:
    """One error that lists every attempt, keeping the last attempt's details."""
    if not errors:
        return ProviderError(f'alias "{alias}" has no endpoint to try')
    if len(errors) == 1:
        return errors[0]
    last = errors[-1]
    summary = "; ".join(str(e) for e in errors)
    combined = ProviderError(f'every route for "{alias}" failed: {summary}')
    combined.provider, combined.endpoint, combined.status = (
        last.provider,
        last.endpoint,
        last.status,
    )
    return combined
