"""The language server: one `ZekeServer` per connection, wired by `create_server()`.

Core LSP lifecycle lives here (initialize, configuration overlays, reload notices, shutdown);
every capability is a module in `features/` with a `register(server)` function.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from zeke_ls import __version__
from zeke_ls.config import ConfigProblem
from zeke_ls.rpc import converter_factory
from zeke_ls.session import Session
from zeke_ls.settings import ConfigStore

log = logging.getLogger(__name__)

# One module per capability under zeke_ls/features, each exposing register(server).
FEATURE_MODULES = [
    "status",
    "completion",
    "models",
    "context",
    "chat",
    "actions",
    "edits",
]


class ZekeProtocol(LanguageServerProtocol):
    """pygls's protocol, but malformed messages get a JSON-RPC error instead of silence."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "method" in data and data.get("id") is not None:
                self._send_response(data["id"], error=exc.to_response_error())
            raise

    def handle_message(self, message: Any) -> None:
        if not hasattr(message, "jsonrpc"):
            self.send_error_without_id(
                JsonRpcInvalidRequest(message="not a JSON-RPC message object")
            )
            return
        super().handle_message(message)

    def send_error_without_id(self, error: JsonRpcException) -> None:
        """JSON-RPC wants `"id": null` when the request's id could not be read."""
        self._send_data(
            {"jsonrpc": "2.0", "id": None, "error": {"code": error.code, "message": error.message}}
        )


class ZekeServer(LanguageServer):
    """A pygls server that owns one Session."""

    def __init__(self, settings: ConfigStore):
        super().__init__(
            "zeke-ls",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            converter_factory=converter_factory,
            protocol_cls=ZekeProtocol,
        )
        self.session = Session(settings=settings)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Answer a body that is not JSON with ParseError (id null); log everything else."""
        if isinstance(error, ValueError) and type(error).__name__ == "JSONDecodeError":
            assert isinstance(self.protocol, ZekeProtocol)
            self.protocol.send_error_without_id(JsonRpcParseError(message=f"Parse error: {error}"))
            return
        log.error("%s: %s", type(error).__name__, error)

    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        """Serve over stdio. When stdin is a pipe (as editors start us), read it with asyncio
        directly: pygls's reader hands every line to a worker thread, which costs latency on
        each message (measured by bench/bench_completion.py)."""
        if stdin is not None or stdout is not None or not stdin_is_pipe():
            super().start_io(stdin, stdout)
            return
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
        try:
            asyncio.run(self._serve_pipe())
        except BrokenPipeError:
            log.error("connection to the client is lost, shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass

    async def _serve_pipe(self) -> None:
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
        assert self._stop_event is not None
        await run_async(stop_event=self._stop_event, reader=reader, protocol=self.protocol,
                        logger=log, error_handler=self.report_server_error)

    def notify(self, method: str, params: Any) -> None:
        """Send a custom notification (e.g. `zeke/chatDelta`) to the client."""
        self.protocol.notify(method, params)

    def show_problems(self, problems: list[ConfigProblem]) -> None:
        """Show config errors as one `window/showMessage`; warnings go to the log."""
        for problem in problems:
            if problem.severity == "warning":
                log.warning("config %s", problem)
        errors = [str(p) for p in problems if p.severity == "error"]
        if errors:
            text = "zeke_ls: config not applied, still using the last good config:\n"
            self.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Error, message=text + "\n".join(errors)
                )
            )


def stdin_is_pipe() -> bool:
    try:
        return stat.S_ISFIFO(os.fstat(sys.stdin.fileno()).st_mode)
    except (OSError, ValueError):
        return False


def create_server(settings: ConfigStore | None = None) -> ZekeServer:
    server = ZekeServer(settings or ConfigStore())
    register_lifecycle(server)
    for name in FEATURE_MODULES:
        importlib.import_module(f"zeke_ls.features.{name}").register(server)
    return server


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
        session.roots = workspace_roots(params)
        settings.set_workspace_root(session.roots[0] if session.roots else None)
        options = params.initialization_options
        problems = [] if options is None else _overlay_problems(options, "initializationOptions")
        problems += settings.set_overlay("initializationOptions", zeke_overlay(options))
        session.startup_problems = problems + settings.reload()

    @server.feature(types.INITIALIZED)
    def on_initialized(params: types.InitializedParams) -> None:
        server.show_problems(session.startup_problems)
        session.spawn(settings.watch(_on_file_change(server)))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def on_did_open(params: types.DidOpenTextDocumentParams) -> None:
        session.warm_up()

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
