"""The state every feature shares, owned by one server instance (no module globals)."""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zeke_ls.chat.store import ChatStore
from zeke_ls.config.problems import ConfigProblem
from zeke_ls.config.store import ConfigStore
from zeke_ls.context.tokens import TokenCounter, encoding
from zeke_ls.providers.health import HealthBook
from zeke_ls.services.workspace import WorkspaceService

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from zeke_ls.config.schema import ZekeConfig
    from zeke_ls.context.sets import ContextSet
    from zeke_ls.providers.router import Router
    from zeke_ls.services.documents import Documents
    from zeke_ls.services.edits import EditStore
    from zeke_ls.services.models import Models


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
    usage: dict[str, Usage] = field(default_factory=dict)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Run at shutdown, in order: close HTTP clients, stop child processes."""
    startup_problems: list[ConfigProblem] = field(default_factory=list)
    tokenizer_warm: bool = False
    chats: ChatStore = field(default_factory=ChatStore)  # zeke/chat conversations by id
    token_counter: TokenCounter = field(default_factory=TokenCounter)  # shared count cache
    completion_stats: dict[str, int] = field(default_factory=dict)  # shown/accepted counts
    next_edit_stats: dict[str, Any] = field(default_factory=dict)  # features.next_edit counts
    glyph: Any = None  # glyph.client.GlyphClient, created lazily by features.edits
    chat_runner: Callable[[Any], Awaitable[dict[str, Any]]] | None = None
    """Runs one chat turn from raw `zeke/chat` params (set by features.chat; actions use it)."""
    edit_proposer: Callable[..., Awaitable[dict[str, Any]]] | None = None
    """(uri, range, instruction, alias, on_progress) -> a `zeke/edit` result (features.edits)."""
    edit_acceptor: Callable[[str], Awaitable[dict[str, Any]]] | None = None
    """editId -> a `zeke/editAccept` result (features.edits; quick actions accept at once)."""
    pygls_workspace: Callable[[], Any] = field(default=lambda: None)
    """pygls's workspace of the server this session belongs to (see attach)."""
    status_sections: dict[str, Callable[[], Any]] = field(default_factory=dict)
    """Extra `zeke/status` blocks by name (a feature adds its own counters here)."""
    answers: Any = None  # services.answers.AnswerBook: explain answers shown again on hover
    document_listeners: list[Callable[[str, Any], None]] = field(default_factory=list)
    """Called with ("didOpen" | "didChange" | "didSave" | "didClose", params)."""
    index: Any = None  # index.service.IndexService, created by features.index once initialized
    on_initialized: list[Callable[[], None]] = field(default_factory=list)
    """Called once the client has sent `initialized` (roots and config are known)."""

    workspace: WorkspaceService = field(init=False)
    """Roots, confinement, file work off the event loop (needed from `initialize` on)."""

    def __post_init__(self) -> None:
        self.workspace = WorkspaceService(lambda: self.config.context)

    def attach(self, pygls_workspace: Callable[[], Any]) -> None:
        """Give the Documents service pygls's workspace (created at `initialize`)."""
        self.pygls_workspace = pygls_workspace

    @property
    def roots(self) -> list[Path]:
        """Workspace roots: file access never leaves them."""
        return self.workspace.roots

    # The other services are built on first use: each loads modules an idle daemon skips.

    @functools.cached_property
    def router(self) -> Router:
        """The provider layer: router.chat(alias, ChatRequest(...)); loads httpx and every
        wire format. Config from the store, health into the book, usage counted, closed at
        shutdown."""
        from zeke_ls.providers.router import Router

        router = Router(lambda: self.config, self.health, self.add_usage, self.spawn)
        self.closers.append(router.aclose)
        return router

    @functools.cached_property
    def documents(self) -> Documents:
        from zeke_ls.services.documents import Documents

        return Documents(lambda: self.pygls_workspace(), self.workspace)

    @functools.cached_property
    def models(self) -> Models:
        from zeke_ls.services.models import Models

        return Models(lambda: self.config, lambda: self.router)

    @functools.cached_property
    def edits(self) -> EditStore:
        from zeke_ls.services.edits import EditStore

        return EditStore(lambda: self.config.edit)

    @functools.cached_property
    def context_set(self) -> ContextSet:
        """What the user pinned for chat."""
        from zeke_ls.context.sets import ContextSet

        return ContextSet(
            lambda: self.roots,
            lambda: self.config.context.max_file_bytes,
            lambda: self.documents.codec,
        )

    @property
    def config(self) -> ZekeConfig:
        return self.settings.config

    def warm_up(self) -> None:
        """Load what a completion needs (config schema, providers, ~0.3 s; the tokenizer, ~0.4 s
        and ~40 MB) in the background, once, when the first document opens: an idle daemon
        stays small, and the first completion does not pay for it."""
        if self.tokenizer_warm:
            return
        self.tokenizer_warm = True
        threading.Thread(target=_warm_up, name="zeke-warmup", daemon=True).start()

    def model_for(self, feature: str) -> str:
        """The alias a feature uses now: a zeke/setModel choice, else the config's."""
        return self.models.for_feature(feature)

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


def _warm_up() -> None:
    for module in ("zeke_ls.config.schema", "zeke_ls.providers.router"):
        importlib.import_module(module)  # imports are thread-safe; objects are built on use
    encoding()
