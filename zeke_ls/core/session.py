"""The state every feature shares, owned by one server instance (no module globals)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zeke_ls.chat.store import ChatStore
from zeke_ls.config.schema import FEATURES, ConfigProblem, ZekeConfig
from zeke_ls.context.sets import ContextSet
from zeke_ls.context.tokens import TokenCounter, encoding
from zeke_ls.providers.health import HealthBook
from zeke_ls.config.store import ConfigStore

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from zeke_ls.providers.router import Router


@dataclass
class Usage:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "promptTokens": self.prompt_tokens,
            "completionTokens": self.completion_tokens,
        }


@dataclass
class Session:
    settings: ConfigStore
    health: HealthBook = field(default_factory=HealthBook)
    roots: list[Path] = field(default_factory=list)
    """Workspace roots: file access never leaves them."""
    model_overrides: dict[str, str] = field(default_factory=dict)
    """Feature -> alias chosen at run time by zeke/setModel; wins over the config."""
    usage: dict[str, Usage] = field(default_factory=dict)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Run at shutdown, in order: close HTTP clients, stop child processes."""
    startup_problems: list[ConfigProblem] = field(default_factory=list)
    tokenizer_warm: bool = False
    chats: ChatStore = field(default_factory=ChatStore)  # zeke/chat conversations by id
    context_set: ContextSet | None = None  # pinned context; created by features.context
    token_counter: TokenCounter = field(default_factory=TokenCounter)  # shared count cache
    completion_stats: dict[str, int] = field(default_factory=dict)  # shown/accepted counts
    edit_proposals: dict[str, Any] = field(default_factory=dict)  # zeke/edit proposals by editId
    glyph: Any = None  # glyph.client.GlyphClient, created lazily by features.edits
    document_listeners: list[Callable[[str, Any], None]] = field(default_factory=list)
    """Called with ("didOpen" | "didChange" | "didSave" | "didClose", params)."""
    index: Any = None  # index.service.IndexService, created by features.index once initialized
    on_initialized: list[Callable[[], None]] = field(default_factory=list)
    """Called once the client has sent `initialized` (roots and config are known)."""
    router: Router = field(init=False)  # provider layer: router.chat(alias, ChatRequest(...))

    def __post_init__(self) -> None:
        from zeke_ls.providers.router import Router  # late: providers import session's types

        self.router = Router.for_session(self)  # also registers its close in self.closers

    @property
    def config(self) -> ZekeConfig:
        return self.settings.config

    def warm_up(self) -> None:
        """Load the tokenizer (~0.4 s, ~40 MB) in the background, once, when the first document
        opens: an idle daemon stays small, and the first completion does not pay for it."""
        if self.tokenizer_warm:
            return
        self.tokenizer_warm = True
        threading.Thread(target=encoding, name="zeke-tokenizer-warmup", daemon=True).start()

    def model_for(self, feature: str) -> str:
        """The alias a feature uses now: a zeke/setModel choice, else the config's."""
        if feature not in FEATURES:
            raise ValueError(f"unknown feature {feature!r}")
        return self.model_overrides.get(feature) or self.settings.config.feature_model(feature)

    def add_usage(self, alias: str, prompt_tokens: int, completion_tokens: int) -> None:
        usage = self.usage.setdefault(alias, Usage())
        usage.requests += 1
        usage.prompt_tokens += prompt_tokens
        usage.completion_tokens += completion_tokens

    def on_document(self, listener: Callable[[str, Any], None]) -> None:
        """Follow document events after pygls has applied them to its copy."""
        self.document_listeners.append(listener)

    def document_event(self, event: str, params: Any) -> None:
        for listener in self.document_listeners:
            try:
                listener(event, params)
            except Exception:
                log.exception("document listener failed on %s", event)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a background task, keeping a strong reference until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task
