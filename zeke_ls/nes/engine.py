"""One next-edit request: excerpt and history to a prompt, the model's answer to one edit.

Like inline completion, a newer request for the same document supersedes the one in flight:
the older task is cancelled (closing its upstream stream) and resolves quiet. The document
is read again when the answer arrives, so text typed meanwhile moves the edit or, when it
conflicts, silences it (see `extract`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zeke_ls.nes import prompt
from zeke_ls.nes.extract import Quiet, Suggestion, suggest
from zeke_ls.nes.history import EditHistory
from zeke_ls.providers.base import ChatRequest, CompletionRequest, Delta

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from zeke_ls.core.session import Session


@dataclass(frozen=True)
class NesRequest:
    uri: str
    path: str
    language: str
    lines: list[str]
    """The document's lines when the request was made."""
    line: int
    index: int
    current_text: Callable[[], str | None]
    """The document's text when the answer arrives (None: closed meanwhile)."""


@dataclass
class NesStats:
    requests: int = 0
    suggested: int = 0
    superseded: int = 0
    quiet: Counter[str] = field(default_factory=Counter)
    last_ms: float = 0.0


class NextEditEngine:
    def __init__(self, session: Session):
        self.session = session
        self.history = EditHistory()
        self.stats = NesStats()
        self._inflight: dict[str, asyncio.Task[str]] = {}

    def alias(self) -> str:
        return self.session.config.next_edit.model or self.session.model_for("edit")

    def template(self, alias: str) -> str:
        section = self.session.config.aliases.get(alias)
        return (section.nes_template if section is not None else None) or "chat"

    async def predict(self, request: NesRequest) -> Suggestion | Quiet:
        """The suggestion for `request`, or Quiet (superseded ones say so)."""
        config = self.session.config.next_edit
        self.stats.requests += 1
        self.history.moved(request.uri, request.line, request.index)
        alias = self.alias()
        template = self.template(alias)
        excerpt = prompt.excerpt_around(
            request.lines,
            request.line,
            request.index,
            config.window_lines,
            request.path,
            request.language,
        )
        recent = self.history.recent(config.history_edits)
        started = time.perf_counter()
        answer = await self._ask(
            request.uri, self._open(alias, template, excerpt, recent), template == "chat"
        )
        if answer is None:
            self.stats.superseded += 1
            return self._quiet("superseded")
        current = request.current_text()
        if current is None:
            return self._quiet("closed")
        result = suggest(
            excerpt, prompt.read_answer(template, answer), request.lines, current, recent
        )
        self.stats.last_ms = (time.perf_counter() - started) * 1000
        if isinstance(result, Quiet):
            return self._quiet(result.reason)
        self.stats.suggested += 1
        return result

    def _quiet(self, reason: str) -> Quiet:
        self.stats.quiet[reason] += 1
        return Quiet(reason)

    def _open(
        self, alias: str, template: str, excerpt: prompt.Excerpt, recent: list
    ) -> Callable[[], AsyncGenerator[Delta, None]]:
        config = self.session.config.next_edit
        router = self.session.router
        if template == "chat":
            messages = prompt.chat_messages(excerpt, recent)
            return lambda: router.chat(
                alias,
                ChatRequest(
                    messages=messages, max_tokens=config.max_tokens, temperature=config.temperature
                ),
            )
        text, stop = prompt.raw_prompt(template, excerpt, recent)
        return lambda: router.complete(
            alias,
            CompletionRequest(
                prompt=text,
                raw=True,
                stop=stop,
                max_tokens=config.max_tokens,
                temperature=config.temperature,
            ),
        )

    async def _ask(
        self, key: str, open_stream: Callable[[], AsyncGenerator[Delta, None]], fenced: bool
    ) -> str | None:
        """The whole answer; None when a newer request for `key` superseded this one."""
        previous = self._inflight.pop(key, None)
        if previous is not None and not previous.done():
            previous.cancel()
        task = asyncio.get_running_loop().create_task(_collect(open_stream, fenced))
        self._inflight[key] = task
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and current is not None and not current.cancelling():
                return None
            raise
        finally:
            if self._inflight.get(key) is task:
                del self._inflight[key]


async def _collect(open_stream: Callable[[], AsyncGenerator[Delta, None]], fenced: bool) -> str:
    """The answer; a chat answer stops at the end of its first code block (the rest would be
    thrown away, and waiting for it is latency)."""
    text = ""
    # aclosing: the HTTP stream closes on cancellation at once, not at garbage collection.
    async with contextlib.aclosing(open_stream()) as stream:
        async for delta in stream:
            text += delta.text
            if fenced and text.count("```") >= 2:
                break
    return text
