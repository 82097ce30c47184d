"""The repository index over LSP: `zeke/indexStatus`, `zeke/search`, `zeke/repoMap`.

The build starts once the client has sent `initialized` (when there are workspace roots and
`[index] enabled` is true), reports `$/progress` work-done progress when the client supports
it, and then follows the workspace: saves and file changes on disk (watchfiles, `.gitignore`
honoured) re-index the changed files; every edit of an open document queues a precompute of
the definitions near the cursor, which completion picks up without doing index work itself.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from zeke_ls.core.rpc import Refused, parse_params

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer
    from zeke_ls.index.service import IndexService

log = logging.getLogger(__name__)

STATUS, SEARCH, REPO_MAP = "zeke/indexStatus", "zeke/search", "zeke/repoMap"


class LspProgress:
    """`window/workDoneProgress/create` then `$/progress` begin/report/end, if supported."""

    def __init__(self, server: ZekeServer):
        self.server = server
        self.token = ""
        self.ready = False
        self.ended: dict[str, Any] | None = None

    def supported(self) -> bool:
        window = self.server.client_capabilities.window
        return bool(window and window.work_done_progress)

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        if not self.supported():
            return
        progress = self.server.work_done_progress
        if kind == "begin":
            self.token = f"zeke-index-{uuid.uuid4().hex[:8]}"
            self.server.session.spawn(self._begin(data))
        elif kind == "report" and self.ready:
            progress.report(
                self.token,
                types.WorkDoneProgressReport(
                    message=data.get("message"), percentage=data.get("percentage")
                ),
            )
        elif kind == "end":
            if self.ready:
                progress.end(self.token, types.WorkDoneProgressEnd(message=data.get("message")))
                self.ready = False
            else:
                self.ended = data

    async def _begin(self, data: dict[str, Any]) -> None:
        try:
            await self.server.work_done_progress.create_async(self.token)
        except Exception as exc:  # the client refused: index silently
            log.info("no progress shown: %s", exc)
            return
        self.server.work_done_progress.begin(
            self.token,
            types.WorkDoneProgressBegin(
                title=data.get("title", "zeke: indexing"), message=data.get("message"), percentage=0
            ),
        )
        self.ready = True
        if self.ended is not None:
            self("end", self.ended)


def create_service(server: ZekeServer) -> IndexService:
    # The index (SQLite, tree-sitter, worker processes) loads once there is a workspace.
    from zeke_ls.index.build import Limits
    from zeke_ls.index.service import IndexService, Options

    session = server.session
    config = session.config
    limits = Limits(
        config.index.max_files,
        config.index.max_file_bytes,
        config.index.max_total_bytes,
        config.index.workers,
    )
    alias = config.context.embeddings

    async def embed(texts: list[str]) -> list[list[float]]:
        assert alias is not None
        return await session.router.embed(alias, texts)

    return IndexService(
        list(session.roots),
        Options(limits),
        session.token_counter,
        LspProgress(server),
        embed if alias else None,
        alias or "",
    )


def start(server: ZekeServer) -> None:
    session = server.session
    if not session.roots or not session.config.index.enabled:  # roots first: no config load
        return
    service = session.index = create_service(server)
    session.closers.append(service.close)
    session.spawn(build(server, service))
    if session.config.index.watch:
        session.spawn(watch(service))


async def build(server: ZekeServer, service: IndexService) -> None:
    """Build, then precompute completion context for the documents opened meanwhile."""
    await service.start()
    for uri, document in list(server.workspace.text_documents.items()):
        path = Path(p) if (p := to_fs_path(uri)) else None
        service.note_document(unquote(uri), path, document.source, None, document.version, 0.0)


async def watch(service: IndexService) -> None:
    from zeke_ls.index.languages import language_for

    """Re-index files that change on disk; the walk's rules decide what is indexed."""
    import watchfiles

    def wanted(change: watchfiles.Change, path: str) -> bool:
        return language_for(path) is not None and "/.git/" not in path

    await service.built.wait()
    roots = [entry.root for entry in service.roots]
    # The folders the one walker enters, each watched on its own: a recursive watch would
    # also cover ignored trees (.venv, node_modules) and follow symlinks out of the roots.
    folders = await asyncio.to_thread(watched_folders, roots)
    async for changes in watchfiles.awatch(
        *folders, watch_filter=wanted, debounce=300, recursive=False
    ):
        await service.refresh(sorted({Path(path) for _, path in changes}))


def watched_folders(roots: list[Path]) -> list[str]:
    from zeke_ls.workspace.files import walk

    return sorted({str(root) for root in roots} | {str(path.parent) for path in walk(roots)})


def follow(server: ZekeServer, event: str, params: Any) -> None:
    service: IndexService | None = server.session.index
    if service is None:
        return
    uri = unquote(params.text_document.uri)
    path = Path(p) if (p := to_fs_path(uri)) else None
    if event == "didClose":
        service.forget(uri)
        return
    if event == "didSave":
        if path is not None:
            server.session.spawn(service.refresh([path]))
        return
    document = server.workspace.text_documents.get(uri)
    if document is None:
        return
    service.note_document(
        uri,
        path,
        document.source,
        edit_position(params),
        document.version,
        0.0 if event == "didOpen" else None,
    )


def edit_position(params: Any) -> tuple[int, int] | None:
    """Where the cursor most likely is: just after the last change (None on open). The text
    is not searched here: the helper process turns the position into an offset."""
    changes = getattr(params, "content_changes", None) or [None]
    rng = getattr(changes[-1], "range", None)
    if rng is None:
        return None
    inserted = str(changes[-1].text)
    lines = inserted.split("\n")
    if len(lines) == 1:
        return rng.start.line, rng.start.character + len(inserted)
    return rng.start.line + len(lines) - 1, len(lines[-1])


def service_of(server: ZekeServer) -> IndexService:
    service: IndexService | None = server.session.index
    if service is None:
        reason = (
            "[index] enabled = false"
            if not server.session.config.index.enabled
            else "there is no workspace root"
        )
        raise Refused(f"the repository index is off: {reason}")
    return service


def search_json(service: IndexService, hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for hit in hits:
        path = Path(hit["root"]) / hit["path"]
        out.append(
            {
                "uri": from_fs_path(str(path)),
                "path": hit["path"],
                "name": hit["name"],
                "score": hit["score"],
                "text": hit["text"],
                "range": {
                    "start": {"line": hit["startLine"], "character": 0},
                    "end": {"line": hit["endLine"] + 1, "character": 0},
                },
            }
        )
    return out


def register(server: ZekeServer) -> None:
    session = server.session
    session.on_initialized.append(lambda: start(server))
    session.on_document(lambda event, params: follow(server, event, params))

    @server.feature(STATUS)
    def index_status(params: Any) -> dict[str, Any]:
        if session.index is None:
            return {
                "state": "off",
                "enabled": session.config.index.enabled,
                "roots": [str(root) for root in session.roots],
            }
        return dict(session.index.status())

    @server.feature(SEARCH)
    async def search(params: Any) -> dict[str, Any]:
        from zeke_ls.protocol.index import SearchParams

        args = parse_params(SearchParams, params)
        service = service_of(server)
        hits = await service.search(args.query, args.limit)
        service.note_use("search", {"query": args.query[:80], "results": len(hits)})
        return {"state": service.state, "results": search_json(service, hits)}

    @server.feature(REPO_MAP)
    async def repo_map(params: Any) -> dict[str, Any]:
        from zeke_ls.protocol.index import RepoMapParams

        args = parse_params(RepoMapParams, params)
        service = service_of(server)
        focus = [Path(p) for uri in args.focus if (p := to_fs_path(uri))]
        text, files = await service.repo_map(args.budget, focus)
        service.note_use("repoMap", {"files": len(files)})
        return {
            "state": service.state,
            "text": text,
            "files": files,
            "tokens": session.token_counter.count(text),
        }
