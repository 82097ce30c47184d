"""One inline-completion request from packed context to cleaned suggestions.

The engine picks the prompt shape for the alias (raw FIM template, `/completions` with
`suffix`, or a chat prompt), streams the answer through `session.router`, and cleans it.

Clients ask on every keystroke, so a new request for a document supersedes the one still in
flight: the older task is cancelled, which closes its upstream stream at once (the router's
iterators close their HTTP response when cancelled), and its LSP request resolves empty. A
`$/cancelRequest` cancels the handler's task, and through it the same upstream task.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zeke_ls.completion.cache import CompletionCache
from zeke_ls.completion.postprocess import is_multiline_position, postprocess
from zeke_ls.context.packer import ContextPacker, CursorResolver, PackedContext
from zeke_ls.prompts import inline_chat
from zeke_ls.prompts.fim import with_snippets
from zeke_ls.prompts.styles import (
    Healed,
    Style,
    choose_style,
    heal_answer,
    heal_prefix,
    local_window,
)
from zeke_ls.providers.base import ChatRequest, CompletionRequest, Delta, ModelInfo, ModelRouter

if TYPE_CHECKING:
    from zeke_ls.core.session import Session

log = logging.getLogger(__name__)

Extract = Callable[[str, PackedContext], str]
SINGLE_SLOT_KINDS = {"llamacpp"}
"""Local servers that run one request at a time (llama-cpp-python even interrupts the older
one): asking them for several suggestions at once would only slow down the first."""
RAW_STOPS = ("\n\n\n", "<|endoftext|>", "<|im_end|>", "<|im_start|>", "```")
"""A raw continuation has no sentinel to end the middle: stop at what ends a chunk of code."""
SPREAD_TEMPERATURE = 0.6
"""Extra suggestions (explicit invocation) need some randomness to differ from the first."""


@dataclass
class Plan:
    """How to ask one alias for one suggestion."""

    mode: str
    """`fim` (raw template), `suffix` (the server's own FIM) or `chat`."""
    open_stream: Callable[[float], AsyncGenerator[Delta, None]]
    extract: Extract
    cache_model: str


def _plain(answer: str, ctx: PackedContext) -> str:
    return answer


def make_plan(
    router: ModelRouter,
    alias: str,
    info: ModelInfo,
    ctx: PackedContext,
    max_tokens: int,
    style: Style | None = None,
) -> Plan:
    """The request for one style (see `prompts.styles`; default: chosen by model name)."""
    style = style or choose_style("auto", info.model, info.fim_template, info.supports_suffix)
    cache_model = f"{alias}|{info.model}|{style.name}"
    local = info.kind in SINGLE_SLOT_KINDS
    prefix, suffix = local_window(ctx) if local else (ctx.prefix, ctx.suffix)
    prefix = with_snippets(prefix, ctx.snippets, ctx.language)
    healed = heal_prefix(prefix) if style.heal else Healed(prefix, "")

    def healed_answer(answer: str, ctx: PackedContext) -> str:
        return heal_answer(answer, healed.cut)

    if style.name == "fim" and style.template is not None:
        template = style.template
        prompt = template.render(healed.prefix, suffix)
        return Plan(
            f"fim:{template.name}",
            lambda t: router.complete(
                alias,
                CompletionRequest(
                    prompt=prompt,
                    raw=True,
                    stop=list(template.stop),
                    max_tokens=max_tokens,
                    temperature=t,
                ),
            ),
            healed_answer,
            cache_model,
        )
    if style.name == "raw":
        return Plan(
            "raw",
            lambda t: router.complete(
                alias,
                CompletionRequest(
                    prompt=healed.prefix,
                    raw=True,
                    stop=list(RAW_STOPS),
                    max_tokens=max_tokens,
                    temperature=t,
                ),
            ),
            healed_answer,
            cache_model,
        )
    if style.name == "suffix":
        return Plan(
            "suffix",
            lambda t: router.complete(
                alias,
                CompletionRequest(
                    prompt=prefix, suffix=suffix, max_tokens=max_tokens, temperature=t
                ),
            ),
            _plain,
            cache_model,
        )
    messages = inline_chat.build_messages(ctx)
    return Plan(
        "chat",
        lambda t: router.chat(
            alias, ChatRequest(messages=messages, max_tokens=max_tokens, temperature=t)
        ),
        inline_chat.extract,
        cache_model,
    )


def style_for(session: Session, alias: str, info: ModelInfo) -> Style:
    """The alias's configured style, `auto` resolved with the local GGUF's metadata."""
    entry = session.config.aliases.get(alias)
    requested = entry.completion_style if entry is not None else "auto"
    gguf = None
    if info.kind == "llamacpp":
        section = session.config.providers.get(info.provider)
        from zeke_ls.providers.llamacpp import local_gguf_info  # httpx: on first use

        gguf = local_gguf_info(section.model_path if section else None)
    return choose_style(requested, info.model, info.fim_template, info.supports_suffix, gguf)


class CompletionEngine:
    """Per-server state of inline completion: packer, cache, in-flight tasks per document."""

    def __init__(self, session: Session):
        self.session = session
        self.packer = ContextPacker(session.token_counter)
        self.cursors = CursorResolver()
        self._inflight: dict[str, asyncio.Task[list[str]]] = {}

    @functools.cached_property
    def cache(self) -> CompletionCache:
        # On first use: reading the config at start-up would load pydantic and the schema.
        return CompletionCache(self.session.config.completion.cache_size)

    async def suggest(self, key: str, ctx: PackedContext, count: int) -> list[str]:
        """Up to `count` suggestions; [] when superseded by a newer request for `key`."""
        config = self.session.config.completion
        alias = self.session.model_for("completion")
        router: ModelRouter = self.session.router
        detect = getattr(router, "detect_gateway", None)
        if detect is not None:
            await detect()  # once: Omen's /v1/completions drops suffix (see catalog)
        info = router.info(alias)
        plan = make_plan(
            router, alias, info, ctx, config.max_tokens, style_for(self.session, alias, info)
        )
        count = 1 if info.kind in SINGLE_SLOT_KINDS else count
        self._supersede(key)
        cached = self.cache.get(plan.cache_model, ctx.prefix, ctx.suffix)
        if cached is not None and len(cached) >= min(count, 2):
            return cached[:count]
        task = asyncio.get_running_loop().create_task(self._fetch(plan, ctx, count))
        self._inflight[key] = task
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and current is not None and not current.cancelling():
                return []
            raise
        finally:
            if self._inflight.get(key) is task:
                del self._inflight[key]

    def _supersede(self, key: str) -> None:
        previous = self._inflight.pop(key, None)
        if previous is not None and not previous.done():
            previous.cancel()

    async def _fetch(self, plan: Plan, ctx: PackedContext, count: int) -> list[str]:
        temperature = self.session.config.completion.temperature
        temps = [temperature] + [max(temperature, SPREAD_TEMPERATURE)] * (count - 1)
        outcomes = await asyncio.gather(
            *(self._one(plan, ctx, t) for t in temps), return_exceptions=True
        )
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        if errors and len(errors) == len(outcomes):
            raise errors[0]  # every attempt failed: the caller reports it
        suggestions = list(dict.fromkeys(o for o in outcomes if isinstance(o, str) and o))
        self.cache.put(plan.cache_model, ctx.prefix, ctx.suffix, suggestions)
        return suggestions

    async def _one(self, plan: Plan, ctx: PackedContext, temperature: float) -> str | None:
        """Stream one answer, stopping early once a single-line answer is complete."""
        single = not is_multiline_position(ctx)
        text = ""
        # aclosing: the HTTP stream closes now on break, error or cancellation, not at GC time.
        async with contextlib.aclosing(plan.open_stream(temperature)) as stream:
            async for delta in stream:
                text += delta.text
                if single and _single_line_done(text, plan.mode):
                    break
        return postprocess(plan.extract(text, ctx), ctx)


def _single_line_done(text: str, mode: str) -> bool:
    """Enough of the answer is there to fill one line; the rest would be thrown away."""
    if mode == "chat":
        return text.count("```") >= 2
    return "\n" in text.lstrip("\n")
