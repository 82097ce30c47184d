"""Where an alias goes: gateway or direct provider, which model id, which endpoints.

Pure functions over the config, shared by `doctor`, `models`, `zeke/status` and the provider
router. Precedence: with `[api] base_url` set, every alias goes to the gateway first (sending
the alias name, or the resolved model id when `send_model = "resolved"`); the alias's own
provider is the direct fallback when it has a `[providers.X]` section. Without a gateway, the
alias goes to its provider directly. With a gateway, a name that is no alias is sent to the
gateway as is (its own table decides). With neither aliases nor a gateway, `code-fast`,
`code-smart` and `local` go to the managed llama.cpp model so that a fresh install works.
`auto` without a gateway is decided per request by `choose_auto`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zeke_ls.config.schema import AliasConfig, ProviderConfig, ZekeConfig

LOCAL_DEFAULT_ROUTE = "llamacpp:smollm2-135m-instruct"
DEFAULT_ALIASES = ("code-fast", "code-smart", "local")

DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com/v1beta/openai",
    "ollama": "http://127.0.0.1:11434",
}


@dataclass(frozen=True)
class Target:
    """One place a request can be sent."""

    kind: str
    """Wire format: `openai`, `azure`, `anthropic`, `ollama`, `llamacpp`."""
    provider: str
    """Provider name as configured (`gateway` for `[api] base_url`)."""
    model: str
    """The `model` value sent (alias name through a LiteLLM gateway, model id otherwise)."""
    endpoints: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    """An alias's targets in the order they are tried, plus its fallback aliases."""

    alias: str
    route: str
    targets: tuple[Target, ...]
    fallbacks: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        parts = [
            f"{t.provider}({t.kind}) model={t.model} @ {', '.join(t.endpoints) or '-'}"
            for t in self.targets
        ]
        text = " -> ".join(parts) or "no target"
        return text + (f"; fallbacks: {', '.join(self.fallbacks)}" if self.fallbacks else "")

    def to_json(self) -> dict[str, object]:
        return {
            "alias": self.alias,
            "route": self.route,
            "targets": [
                {
                    "kind": t.kind,
                    "provider": t.provider,
                    "model": t.model,
                    "endpoints": list(t.endpoints),
                }
                for t in self.targets
            ],
            "fallbacks": list(self.fallbacks),
        }


def provider_kind(name: str, section: ProviderConfig | None) -> str:
    """The wire format of a provider: its own name, `kind` for custom ones; Gemini speaks OpenAI."""
    if section is not None and section.kind:
        return section.kind
    return "openai" if name == "gemini" else name


def provider_endpoints(name: str, section: ProviderConfig | None) -> tuple[str, ...]:
    """The URLs a provider is reached at, from its section or the provider's defaults."""
    section = section or ProviderConfig()
    if name == "ollama" or section.endpoints:
        return tuple(section.endpoint_list() or [DEFAULT_BASE_URLS["ollama"]])
    if name == "azure":
        return (section.endpoint.rstrip("/"),) if section.endpoint else ()
    if name == "llamacpp":
        return (section.base_url.rstrip("/"),) if section.base_url else ("managed",)
    url = section.base_url or DEFAULT_BASE_URLS.get(name)
    return (url.rstrip("/"),) if url else ()


def direct_target(config: ZekeConfig, alias: AliasConfig) -> Target:
    section = config.providers.get(alias.provider)
    return Target(
        kind=provider_kind(alias.provider, section),
        provider=alias.provider,
        model=alias.model,
        endpoints=provider_endpoints(alias.provider, section),
    )


def send_model(config: ZekeConfig) -> str:
    """What the gateway gets as `model`: the user's choice, else resolved ids for Omen (it
    knows no alias names), else alias names."""
    if config.api.send_model is not None:
        return config.api.send_model
    return "resolved" if config.api.kind == "omen" else "alias"


def gateway_target(config: ZekeConfig, name: str, alias: AliasConfig | None) -> Target:
    send_resolved = send_model(config) == "resolved" and alias is not None and alias.route != "auto"
    model = alias.model if send_resolved and alias is not None else name
    base = (config.api.base_url or "").rstrip("/")
    return Target(kind="openai", provider="gateway", model=model, endpoints=(base,))


def effective_config(config: ZekeConfig) -> ZekeConfig:
    """The config with the out-of-the-box local aliases when it defines no route at all."""
    if config.aliases or config.api.base_url:
        return config
    aliases = {name: AliasConfig(route=LOCAL_DEFAULT_ROUTE) for name in DEFAULT_ALIASES}
    return config.model_copy(update={"aliases": aliases})


def choose_auto(config: ZekeConfig, intent: str, prompt_tokens: int) -> str:
    """`auto` without a gateway: the local alias for short tasks named in `prefer_local_for`,
    the cloud alias otherwise; either one when the other is not defined."""
    config = effective_config(config)
    rules = config.routing
    local = intent in rules.prefer_local_for and prompt_tokens <= rules.escalation_threshold
    order = (rules.local_alias, rules.cloud_alias)
    if not local:
        order = order[::-1]
    for name in order:
        alias = config.aliases.get(name)
        if alias is not None and alias.route != "auto":
            return name
    raise KeyError("auto")


def resolve(config: ZekeConfig, name: str) -> Route:
    """The route of an alias (any name with a gateway). Raises KeyError for unknown names."""
    config = effective_config(config)
    alias = config.aliases.get(name)
    if alias is None and not config.api.base_url:
        raise KeyError(name)
    fallbacks = tuple((alias.fallbacks if alias else []) or config.routing.fallbacks.get(name, []))
    targets: list[Target] = []
    if config.api.base_url:
        targets.append(gateway_target(config, name, alias))
        if alias is not None and alias.route != "auto" and alias.provider in config.providers:
            targets.append(direct_target(config, alias))
    elif alias is not None and alias.route != "auto":
        targets.append(direct_target(config, alias))
    route = alias.route if alias else ("auto" if name == "auto" else f"gateway:{name}")
    return Route(alias=name, route=route, targets=tuple(targets), fallbacks=fallbacks)


def all_routes(config: ZekeConfig) -> list[Route]:
    return [resolve(config, name) for name in effective_config(config).aliases]


def all_endpoints(config: ZekeConfig) -> list[tuple[str, str]]:
    """Every (kind, url) that the config names: the gateway, each alias's targets, and each
    `[providers.X]` section, without duplicates, in config order."""
    seen: dict[tuple[str, str], None] = {}
    if config.api.base_url:
        seen[("openai", config.api.base_url.rstrip("/"))] = None
    targets = [t for route in all_routes(config) for t in route.targets]
    for name, section in config.providers.items():
        kind = provider_kind(name, section)
        targets.append(Target(kind, name, "", provider_endpoints(name, section)))
    for target in targets:
        for url in target.endpoints:
            if url != "managed":
                seen[(target.kind, url)] = None
    return list(seen)
