"""Read the Zeke CLI's own config formats: take what maps cleanly, leave the rest alone.

Zeke CLI users share `~/.config/zeke/zeke.toml` with other Zeke tools, in formats that have
changed several times. A file is never rejected because another tool owns part of it:
- its sections (`[lsp]`, `[cache]`, `[ui]`, `[keybindings]`, `[storage]`, `[daemon]`,
  `[[mcp_servers]]`, `[performance]`, `[security]`) are left alone, with a note;
- scalars under `[providers]` (`default_provider`, `default_model`, `enabled_providers`,
  `fallback_enabled`) are taken out of the provider table;
- `[providers.endpoints]` becomes each provider's base URL (Ollama: its endpoints);
- `[model_aliases]` and `[[models]]` become aliases, the provider inferred from the model;
- `default_model`/`default_provider` become the alias `default`, and the standard aliases
  (`code-fast`, `code-smart`, `local`) that the file does not define route to it;
- Zeke CLI provider names map to zeke_ls's: `claude` -> anthropic, `google` -> gemini, `xai`
  -> an OpenAI-compatible provider at api.x.ai; `copilot` is not supported (a note);
- a top-level `[ollama]` table gives the Ollama endpoint; `escalation_threshold = "low" |
  "medium" | "high"` becomes a token count.
Everything zeke_ls owns still goes through the schema, so its errors stay errors. `adapt()`
returns the translated data and notes saying what was taken from where and what was left.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

OTHER_TOOLS = (
    "lsp",
    "cache",
    "ui",
    "keybindings",
    "storage",
    "daemon",
    "mcp_servers",
    "performance",
    "security",
)
PROVIDER_NAMES = {"claude": "anthropic", "google": "gemini"}
XAI = {"kind": "openai", "base_url": "https://api.x.ai/v1", "api_key": "env:XAI_API_KEY"}
GEMINI_OPENAI_URL = "https://generativelanguage.googleapis.com/v1beta/openai"
UNSUPPORTED = {"copilot"}
ZEKE_PROVIDERS = {"openai", "anthropic", "ollama", "azure", "gemini", "llamacpp", "xai"}
PROVIDER_SCALARS = ("default_provider", "default_model", "enabled_providers", "fallback_enabled")
THRESHOLDS = {"low": 1000, "medium": 2000, "high": 4000}
STANDARD_ALIASES = ("code-fast", "code-smart", "local")
# (pattern on the model id, provider); first match wins.
MODEL_FAMILIES = (
    (r"^claude", "anthropic"),
    (r"^(gpt-|o\d|chatgpt|text-embedding|davinci)", "openai"),
    (r"^gemini", "gemini"),
    (r"^grok", "xai"),
    (
        r"(llama|qwen|deepseek|mistral|mixtral|phi|gemma|codellama|starcoder|codestral|smollm)",
        "ollama",
    ),
)


@dataclass(frozen=True)
class Note:
    """`took`: used by zeke_ls (key -> what it became); `left`: another tool's, untouched."""

    kind: str
    source: str
    key: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.source}: {self.key}: {self.detail}"

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "source": self.source, "key": self.key, "detail": self.detail}


class Adapter:
    def __init__(self, data: dict[str, Any], source: str):
        self.data = copy.deepcopy(data)
        self.source = source
        self.notes: list[Note] = []
        self.defaults: dict[str, Any] = {}
        self.cli_aliases = False
        """The file has Zeke CLI aliases ([model_aliases], [[models]])."""

    def took(self, key: str, detail: str) -> None:
        self.notes.append(Note("took", self.source, key, detail))

    def left(self, key: str, detail: str) -> None:
        self.notes.append(Note("left", self.source, key, detail))

    def run(self) -> dict[str, Any]:
        for name in OTHER_TOOLS:
            if name in self.data:
                self.data.pop(name)
                self.left(name, "another Zeke tool's section, left alone")
        self.provider_scalars()
        self.provider_names()
        self.endpoints()
        self.ollama_table()
        self.aliases_from("model_aliases")
        self.models()
        self.default_alias()
        self.thresholds()
        return self.data

    # --- providers ------------------------------------------------------------------------

    def providers(self) -> dict[str, Any]:
        table = self.data.get("providers")
        if not isinstance(table, dict):
            return {}
        return table

    def provider_scalars(self) -> None:
        table = self.providers()
        for key in [k for k, v in table.items() if not isinstance(v, dict)]:
            value = table.pop(key)
            if key in ("default_provider", "default_model"):
                self.defaults[key] = value
            elif key in PROVIDER_SCALARS:
                self.left(f"providers.{key}", "Zeke CLI setting, not used by zeke_ls")
            else:
                self.left(f"providers.{key}", "not a provider table, left alone")
        if "default_model" in self.data and not isinstance(self.data["default_model"], dict):
            self.defaults.setdefault("default_model", self.data.pop("default_model"))
        if "default_provider" in self.data and not isinstance(self.data["default_provider"], dict):
            self.defaults.setdefault("default_provider", self.data.pop("default_provider"))

    def provider_names(self) -> None:
        table = self.providers()
        for cli_name in [n for n in table if n in PROVIDER_NAMES or n in UNSUPPORTED or n == "xai"]:
            if cli_name in UNSUPPORTED:
                table.pop(cli_name)
                self.left(f"providers.{cli_name}", "provider not supported by zeke_ls")
                continue
            section = table.pop(cli_name)
            if cli_name == "xai":
                table["xai"] = XAI | section
                self.took("providers.xai", "OpenAI-compatible provider xai (api.x.ai)")
                continue
            name = PROVIDER_NAMES[cli_name]
            table[name] = {**section, **table.get(name, {})}
            self.took(f"providers.{cli_name}", f"providers.{name}")

    def endpoints(self) -> None:
        table = self.providers()
        urls = table.get("endpoints")
        if not isinstance(urls, dict) or not all(isinstance(v, str) for v in urls.values()):
            return
        table.pop("endpoints")
        for cli_name, url in urls.items():
            key = f"providers.endpoints.{cli_name}"
            name = self.provider_name(cli_name)
            if name is None:
                self.left(key, "provider not supported by zeke_ls")
                continue
            section = table.setdefault(name, {})
            if name == "xai":
                section.update({k: v for k, v in XAI.items() if k not in section})
            field, value = self.endpoint_field(name, url)
            if field in section and not (name == "xai" and section[field] == XAI["base_url"]):
                self.left(key, f"providers.{name}.{field} is already set")
                continue
            section[field] = value
            self.took(key, f"providers.{name}.{field} = {value!r}")

    def provider_name(self, cli_name: str) -> str | None:
        if cli_name in UNSUPPORTED:
            return None
        name = PROVIDER_NAMES.get(cli_name, cli_name)
        return name if name in ZEKE_PROVIDERS else None

    @staticmethod
    def endpoint_field(name: str, url: str) -> tuple[str, str]:
        url = url.rstrip("/")
        if name == "ollama":
            return "endpoints", url
        if name == "azure":
            return "endpoint", url
        if name == "gemini" and "generativelanguage.googleapis.com" in url and "openai" not in url:
            return "base_url", GEMINI_OPENAI_URL  # zeke_ls speaks Gemini's OpenAI endpoint
        return "base_url", url

    def ollama_table(self) -> None:
        table = self.data.get("ollama")
        if not isinstance(table, dict):
            return
        self.data.pop("ollama")
        url = next(
            (
                table[k]
                for k in ("host", "url", "endpoint", "base_url")
                if isinstance(table.get(k), str)
            ),
            None,
        )
        section = self.providers().setdefault("ollama", {}) if url else {}
        if url and "endpoints" not in section:
            section["endpoints"] = url.rstrip("/")
            self.took("ollama", f"providers.ollama.endpoints = {url!r}")
        if isinstance(table.get("model"), str):
            self.defaults.setdefault("ollama_model", table["model"])
        rest = [k for k in table if k not in ("host", "url", "endpoint", "base_url", "model")]
        if rest:
            self.left("ollama", f"{', '.join(rest)}: Zeke CLI settings, not used by zeke_ls")
        if "providers" not in self.data and section:
            self.data["providers"] = {"ollama": section}

    # --- aliases --------------------------------------------------------------------------

    def aliases(self) -> dict[str, Any]:
        table = self.data.setdefault("aliases", {})
        return table if isinstance(table, dict) else {}

    def infer_route(self, model: str, provider: str | None = None) -> str | None:
        """`provider:model` for a Zeke CLI model id (None when the provider is unknowable)."""
        prefix, sep, rest = model.partition(":")
        if sep and (self.provider_name(prefix) or prefix in PROVIDER_NAMES):
            return f"{self.provider_name(prefix)}:{rest}" if self.provider_name(prefix) else None
        if provider:
            name = self.provider_name(provider)
            return f"{name}:{model}" if name else None
        lowered = model.lower()
        for pattern, family in MODEL_FAMILIES:
            if re.search(pattern, lowered):
                return f"{family}:{model}"
        default = self.defaults.get("default_provider")
        name = self.provider_name(default) if isinstance(default, str) else None
        return f"{name}:{model}" if name else None

    def aliases_from(self, key: str) -> None:
        table = self.data.get(key)
        if not isinstance(table, dict):
            return
        self.data.pop(key)
        for alias, model in table.items():
            self.add_alias(f"{key}.{alias}", alias, model if isinstance(model, str) else None)

    def add_alias(
        self, key: str, alias: str, model: str | None, provider: str | None = None
    ) -> None:
        route = self.infer_route(model, provider) if model else None
        if route is None:
            self.left(
                key,
                "cannot tell which provider serves this model; define it under "
                "[aliases] as provider:model",
            )
        elif alias in self.aliases():
            self.left(key, f"aliases.{alias} is already defined")
        else:
            self.aliases()[alias] = route
            self.cli_aliases = True
            self.took(key, f"aliases.{alias} = {route!r}")
            if route.startswith("xai:") and "xai" not in self.providers():
                self.data.setdefault("providers", {})["xai"] = dict(XAI)
                self.took(key, "providers.xai (OpenAI-compatible, api.x.ai)")

    def models(self) -> None:
        entries = self.data.get("models")
        if not isinstance(entries, list):
            return
        self.data.pop("models")
        for index, entry in enumerate(entries):
            name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(name, str):
                self.left(f"models.{index}", "no model name")
                continue
            self.add_alias(f"models.{index}", name, name, entry.get("provider"))
            unused = [k for k in entry if k not in ("name", "provider")]
            if unused:
                self.left(
                    f"models.{index}",
                    f"{', '.join(unused)}: not per-alias in zeke_ls "
                    "(see [completion]/[chat] temperature and max_tokens)",
                )

    def default_alias(self) -> None:
        model = self.defaults.get("default_model") or self.defaults.get("ollama_model")
        provider = self.defaults.get("default_provider")
        if model is None:
            if provider is not None:
                self.left(
                    "providers.default_provider",
                    "no default_model to route with it; "
                    "used to infer the provider of model_aliases",
                )
            if self.cli_aliases:
                self.fill_standard("model_aliases", None)
            return
        key = "providers.default_model"
        route = self.infer_route(str(model), provider if isinstance(provider, str) else None)
        if route is None:
            self.left(key, "cannot tell which provider serves the default model")
            return
        self.add_alias(key, "default", str(model), provider if isinstance(provider, str) else None)
        self.fill_standard(key, route)

    def fill_standard(self, key: str, default_route: str | None) -> None:
        """The aliases the features use by default (`code-fast` for completion, `code-smart`
        for chat and edits, `local`), when the file does not define them: from the Zeke CLI's
        `fast`/`smart` aliases, else the default model."""
        aliases = self.data.get("aliases")
        if not isinstance(aliases, dict) or not aliases:
            return
        sources = {"code-fast": "fast", "code-smart": "smart", "local": "fast"}
        for standard in STANDARD_ALIASES:
            if standard in aliases:
                continue
            named = aliases.get(sources[standard])
            route = named if isinstance(named, str) else default_route
            if route is not None:
                aliases[standard] = route
                self.took(key, f"aliases.{standard} = {route!r}")

    def thresholds(self) -> None:
        for table, prefix in ((self.data.get("routing"), "routing."), (self.data, "")):
            if not isinstance(table, dict):
                continue
            value = table.get("escalation_threshold")
            if isinstance(value, str) and value.lower() in THRESHOLDS:
                tokens = THRESHOLDS[value.lower()]
                table.pop("escalation_threshold")
                self.data.setdefault("routing", {})["escalation_threshold"] = tokens
                self.took(
                    f"{prefix}escalation_threshold",
                    f"routing.escalation_threshold = {tokens} (tokens)",
                )


def adapt(data: dict[str, Any], source: str) -> tuple[dict[str, Any], list[Note]]:
    """The file's data in zeke_ls's schema, plus what was taken and what was left alone."""
    adapter = Adapter(data, source)
    result = adapter.run()
    if result.get("aliases") == {} and "aliases" not in data:
        result.pop("aliases")
    return result, adapter.notes
