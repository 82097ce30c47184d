"""Reaching the user through standard LSP alone, chosen by what the client declared.

Clients without a Zeke plugin (eglot, Helix, Grim, generic LSP clients) never display the
result of `workspace/executeCommand`, so quick actions end in something the client does show:
- progress: `$/progress` after `window/workDoneProgress/create` when the client declares
  `window.workDoneProgress`; otherwise one `window/showMessage` says the work started;
- answers: a short one (a few lines) as `window/showMessage`; a longer one as a read-only
  Markdown file opened with `window/showDocument` when the client declares
  `window.showDocument.support`, else as `window/showMessage` in full.

A request to the client is never awaited without a deadline: some clients (Grim) leave
server requests unanswered forever.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer

log = logging.getLogger(__name__)

CLIENT_REQUEST_TIMEOUT_S = 10.0
SHORT_ANSWER_CHARS = 300
SHORT_ANSWER_LINES = 4
KEEP_ANSWER_FILES = 20


def window_caps(server: ZekeServer) -> types.WindowClientCapabilities | None:
    return server.client_capabilities.window


def supports_progress(server: ZekeServer) -> bool:
    window = window_caps(server)
    return bool(window and window.work_done_progress)


def supports_show_document(server: ZekeServer) -> bool:
    window = window_caps(server)
    return bool(window and window.show_document and window.show_document.support)


def edit_caps(server: ZekeServer) -> types.WorkspaceEditClientCapabilities | None:
    workspace = server.client_capabilities.workspace
    return workspace.workspace_edit if workspace else None


def supports_create_file(server: ZekeServer) -> bool:
    """`CreateFile` inside a WorkspaceEdit needs documentChanges and the `create` operation."""
    caps = edit_caps(server)
    operations = (
        [str(getattr(op, "value", op)) for op in (caps.resource_operations or [])] if caps else []
    )
    return bool(caps and caps.document_changes and "create" in operations)


def supports_apply_edit(server: ZekeServer) -> bool:
    workspace = server.client_capabilities.workspace
    return bool(workspace and workspace.apply_edit)


async def client_request(coro: Any, what: str) -> Any:
    """Await a server-to-client request, giving up (None) after a deadline."""
    try:
        return await asyncio.wait_for(coro, CLIENT_REQUEST_TIMEOUT_S)
    except TimeoutError:
        log.warning("the client did not answer %s within %gs", what, CLIENT_REQUEST_TIMEOUT_S)
    except Exception as exc:  # a client error must not fail the action whose work is done
        log.warning("the client refused %s: %s", what, exc)
    return None


def show_message(server: ZekeServer, text: str, kind: types.MessageType) -> None:
    server.window_show_message(types.ShowMessageParams(type=kind, message=text))


class Progress:
    """Work-done progress for one action, or a single start message where unsupported."""

    def __init__(self, server: ZekeServer, title: str):
        self.server = server
        self.title = title
        self.token: str | None = None

    async def __aenter__(self) -> Progress:
        if not supports_progress(self.server):
            show_message(self.server, f"{self.title}…", types.MessageType.Info)
            return self
        token = f"zeke-{uuid.uuid4().hex[:12]}"
        await client_request(
            self.server.work_done_progress.create_async(token), "window/workDoneProgress/create"
        )
        if token not in self.server.work_done_progress.tokens:
            return self  # the client did not accept the token: report nothing under it
        self.token = token
        self.server.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=self.title, cancellable=False)
        )
        return self

    def report(self, message: str) -> None:
        if self.token is not None:
            self.server.work_done_progress.report(
                self.token, types.WorkDoneProgressReport(message=message)
            )

    async def __aexit__(self, *exc: object) -> None:
        if self.token is not None:
            outcome = "failed" if exc[0] is not None else "done"
            self.server.work_done_progress.end(
                self.token, types.WorkDoneProgressEnd(message=outcome)
            )
            self.server.work_done_progress.tokens.pop(self.token, None)


def is_short(text: str) -> bool:
    return len(text) <= SHORT_ANSWER_CHARS and text.strip().count("\n") < SHORT_ANSWER_LINES


async def show_answer(server: ZekeServer, title: str, text: str) -> str:
    """Show a model's answer where this client shows text; returns how it was shown."""
    if is_short(text) or not supports_show_document(server):
        show_message(server, f"{title}:\n{text}", types.MessageType.Info)
        return "showMessage"
    path = write_answer(title, text)
    result = await client_request(
        server.window_show_document_async(
            types.ShowDocumentParams(uri=from_fs_path(str(path)) or "", take_focus=True)
        ),
        "window/showDocument",
    )
    if result is not None and getattr(result, "success", False):
        return "showDocument"
    show_message(server, f"{title}:\n{text}", types.MessageType.Info)
    return "showMessage"


def answers_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "zeke-ls" / "answers"


def write_answer(title: str, text: str) -> Path:
    """A read-only Markdown file holding the answer (the newest few are kept)."""
    folder = answers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "answer"
    path = folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}-{uuid.uuid4().hex[:6]}.md"
    path.write_text(f"# {title}\n\n{text.rstrip()}\n", encoding="utf-8")
    path.chmod(0o444)
    for old in sorted(folder.glob("*.md"))[:-KEEP_ANSWER_FILES]:
        try:
            old.chmod(0o644)
            old.unlink()
        except OSError:
            pass
    return path
