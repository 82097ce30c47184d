"""What the daemon assumes about a model it cannot ask: context window and suffix support.

Providers rarely report a model's context window over HTTP, so a small table by model family
gives sane defaults; an alias's `context_window` always wins. Suffix (fill-in-the-middle)
support is a property of the route's completion endpoint, not of the model alone.
"""

from __future__ import annotations

import dataclasses

from zeke_ls.config.schema import AliasConfig, ZekeConfig
from zeke_ls.providers.base import ModelInfo
from zeke_ls.providers.routing import Route, provider_kind

# (substring of the model id, context window); first match wins, so specific names come first.
FAMILY_WINDOWS: tuple[tuple[str, int], ...] = (
    ("gpt-4.1", 1_000_000),
    ("gpt-5", 400_000),
    ("gpt-4o", 128_000),
    ("o3", 200_000),
    ("o4", 200_000),
    ("gpt-4", 128_000),
    ("gpt-3.5", 16_385),
    ("claude", 200_000),
    ("gemini", 1_000_000),
    ("deepseek-coder-v2", 131_072),
    ("deepseek-coder", 16_384),
    ("qwen2.5-coder", 32_768),
    ("qwen", 32_768),
    ("codestral", 32_768),
    ("starcoder", 16_384),
    ("codellama", 16_384),
    ("llama3", 131_072),
    ("smollm", 2_048),
)
OLLAMA_DEFAULT_CTX = 4_096
"""Ollama serves `num_ctx` tokens (4096 by default) whatever the model could do."""
LLAMACPP_CTX = 2_048
"""The managed llama.cpp server is started with `--n_ctx 2048`."""
NO_SUFFIX_KINDS = {"anthropic", "azure", "llamacpp"}


def family_window(model: str, default: int) -> int:
    lowered = model.lower()
    return next((window for key, window in FAMILY_WINDOWS if key in lowered), default)


def context_window(config: ZekeConfig, alias: AliasConfig | None, kind: str, model: str) -> int:
    if alias is not None and alias.context_window:
        return alias.context_window
    window = family_window(model, config.context.default_context_window)
    if kind == "ollama":
        return min(window, OLLAMA_DEFAULT_CTX)
    if kind == "llamacpp":
        return min(window, LLAMACPP_CTX)
    return window


def supports_suffix(alias: AliasConfig | None, provider: str, kind: str) -> bool:
    """Ollama's generate and OpenAI-style /completions honour `suffix`; chat-only routes do not."""
    if alias is not None and alias.fim_template == "none":
        return False
    return kind not in NO_SUFFIX_KINDS and provider != "gemini"


def model_info(config: ZekeConfig, route: Route, alias: AliasConfig | None) -> ModelInfo:
    """Describe an alias by its own provider (not the gateway), since that is the model served.
    Through Omen, whose `/v1/completions` drops `suffix` and wraps the prompt as a chat
    message, completion goes through chat unless the alias forces a FIM template."""
    info = _model_info(config, route, alias)
    through_omen = config.api.kind == "omen" and any(
        t.provider == "gateway" for t in route.targets[:1]
    )
    if through_omen:
        forced = alias.fim_template if alias is not None and alias.fim_template else "none"
        return dataclasses.replace(info, supports_suffix=False, fim_template=forced)
    return info


def _model_info(config: ZekeConfig, route: Route, alias: AliasConfig | None) -> ModelInfo:
    if alias is not None and alias.route != "auto":
        provider = alias.provider
        kind = provider_kind(provider, config.providers.get(provider))
        model = alias.model
    else:
        first = route.targets[0] if route.targets else None
        provider = first.provider if first else "gateway"
        kind, model = (first.kind, first.model) if first else ("openai", route.alias)
    return ModelInfo(
        alias=route.alias,
        provider=provider,
        kind=kind,
        model=model,
        context_window=context_window(config, alias, kind, model),
        fim_template=alias.fim_template if alias else None,
        supports_suffix=supports_suffix(alias, provider, kind),
    )
