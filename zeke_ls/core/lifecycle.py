"""The LSP lifecycle: initialize (roots, config layers), initialized, configuration overlays,
config reload notices, shutdown and exit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from zeke_ls.config.problems import ConfigProblem
from zeke_ls.workspace.tmpfiles import remove_stale

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer

log = logging.getLogger(__name__)


def workspace_roots(params: types.InitializeParams) -> list[Path]:
    uris = [folder.uri for folder in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    if not uris and params.root_path:
        return [Path(params.root_path).resolve()]
    paths = [to_fs_path(uri) for uri in uris]
    return [Path(p).resolve() for p in paths if p]


def zeke_overlay(options: Any) -> Any:
    """The `zeke` table of initializationOptions or settings; None when absent."""
    if isinstance(options, dict):
        return options.get("zeke", None)
    return None


def register_lifecycle(server: ZekeServer) -> None:
    session = server.session
    settings = session.settings

    @server.feature(types.INITIALIZE)
    def on_initialize(params: types.InitializeParams) -> None:
        session.workspace.set_roots(workspace_roots(params))
        settings.set_workspace_root(session.roots[0] if session.roots else None)
        options = params.initialization_options
        problems = [] if options is None else _overlay_problems(options, "initializationOptions")
        problems += settings.set_overlay("initializationOptions", zeke_overlay(options))
        session.startup_problems = problems + settings.reload()

    @server.feature(types.INITIALIZED)
    def on_initialized(params: types.InitializedParams) -> None:
        server.show_problems(session.startup_problems)
        session.spawn(settings.watch(_on_file_change(server)))
        session.spawn(asyncio.to_thread(remove_stale, session.roots))  # a killed writer's litter
        for hook in session.on_initialized:
            hook()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def on_did_open(params: types.DidOpenTextDocumentParams) -> None:
        session.warm_up()
        session.document_event("didOpen", params)

    # pygls has already updated its copy of the document when these run; features that follow
    # documents (edit history, the repository index) subscribe with session.on_document().
    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def on_did_change(params: types.DidChangeTextDocumentParams) -> None:
        session.document_event("didChange", params)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def on_did_save(params: types.DidSaveTextDocumentParams) -> None:
        session.document_event("didSave", params)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def on_did_close(params: types.DidCloseTextDocumentParams) -> None:
        session.document_event("didClose", params)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def on_configuration(params: types.DidChangeConfigurationParams) -> None:
        settings_value = params.settings
        problems = _overlay_problems(settings_value, "didChangeConfiguration")
        problems += settings.set_overlay("didChangeConfiguration", zeke_overlay(settings_value))
        server.show_problems(problems + settings.reload())

    @server.feature(types.SHUTDOWN)
    async def on_shutdown(params: None) -> None:
        for task in list(session.tasks):
            task.cancel()
        await asyncio.gather(*session.tasks, return_exceptions=True)
        for closer in session.closers:
            await closer()


def _overlay_problems(options: Any, source: str) -> list[ConfigProblem]:
    if options is not None and not isinstance(options, dict):
        return [
            ConfigProblem(
                "error",
                source,
                "",
                f"expected an object, got {type(options).__name__}",
                'send {"zeke": {...}}',
            )
        ]
    return []


def _on_file_change(server: ZekeServer) -> Callable[[list[ConfigProblem]], None]:
    def notify(problems: list[ConfigProblem]) -> None:
        log.info("config reloaded from %s", ", ".join(server.session.settings.sources))
        server.show_problems(problems)

    return notify
