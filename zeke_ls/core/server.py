"""The language server: one `ZekeServer` per connection, wired by `create_server()`.

Core LSP lifecycle lives here (initialize, configuration overlays, reload notices, shutdown);
every capability is a module in `features/` with a `register(server)` function.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
import stat
import sys
import threading
from collections.abc import Generator
from typing import Any

from cattrs import ClassValidationError, transform_error
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from zeke_ls import __version__
from zeke_ls.config.problems import ConfigProblem
from zeke_ls.config.store import ConfigStore
from zeke_ls.core import framing
from zeke_ls.core.envelope import parse_body
from zeke_ls.core.lazy import register_lazily
from zeke_ls.core.rpc import converter_factory
from zeke_ls.core.session import Session
from zeke_ls.core.shutdown import close_session
from zeke_ls.core.surface import experimental_capability

log = logging.getLogger(__name__)

# One module per capability under zeke_ls/features, each exposing register(server).
# Standard LSP features load at start-up: `initialize` advertises their options.
FEATURE_MODULES = [
    "completion",
    "actions",
    "hover",
    "next_edit",
    "index",
]
# zeke/* features load on their first request (core/lazy.py), so only their client -> server
# methods are named here; tests/unit/test_lazy_features.py checks them against register().
LAZY_FEATURES = {
    "status": ("zeke/status", "zeke/documentState"),
    "models": ("zeke/models", "zeke/setModel"),
    "context": ("zeke/contextAdd", "zeke/contextRemove", "zeke/contextList", "zeke/contextClear"),
    "chat": ("zeke/chat", "zeke/chatHistory", "zeke/chatClear"),
    "edits": ("zeke/edit", "zeke/editAccept", "zeke/editReject"),
}


class ZekeProtocol(LanguageServerProtocol):
    """pygls's protocol, but malformed messages get a JSON-RPC error instead of silence."""

    _initialize_seen = False

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, Any]:
        """pygls's initialize, plus the custom surface as `experimental.zeke`."""
        result = yield from super().lsp_initialize(params)
        zeke = experimental_capability(__version__, self.fm.features)
        result.capabilities.experimental = {"zeke": zeke}
        return result

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            exc = name_bad_fields(exc)
            if "method" in data and data.get("id") is not None:
                self._send_response(data["id"], error=exc.to_response_error())
            raise

    def handle_message(self, message: Any) -> None:
        if not hasattr(message, "jsonrpc"):
            self.send_error_without_id(
                JsonRpcInvalidRequest(message="not a JSON-RPC message object")
            )
            return
        if self._refuse_out_of_lifecycle(message):
            return
        super().handle_message(message)

    def _refuse_out_of_lifecycle(self, message: Any) -> bool:
        """LSP: a second `initialize` and any request after `shutdown` are InvalidRequest
        (pygls would re-initialize, dropping every open document, or stay silent)."""
        method, msg_id = getattr(message, "method", None), getattr(message, "id", None)
        if method is None or msg_id is None:
            return False
        if self._shutdown and method != types.EXIT:
            reason = f"{method}: the server is shut down; only `exit` is accepted now"
        elif method == types.INITIALIZE and self._initialize_seen:
            reason = "initialize: the server is already initialized"
        else:
            self._initialize_seen = self._initialize_seen or method == types.INITIALIZE
            return False
        self._send_response(msg_id, error=JsonRpcInvalidRequest(message=reason).to_response_error())
        return True

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        """Cancel on the next loop turn: a cancel read together with its request would
        otherwise cancel the handler's task before it ever ran, so the handler could not
        answer with its documented partial result (`zeke/chat`: `cancelled: true`)."""
        asyncio.get_running_loop().call_soon(super()._handle_cancel_notification, msg_id)

    def handle_body(self, body: bytes) -> None:
        """One framed body from our own reader: checked (see core/envelope.py), then
        structured and handled as pygls would."""
        message, error = parse_body(body)
        if message is None:
            assert error is not None
            log.warning("rejected a message: %s", error["error"]["message"][:200])
            self._send_data(error)
            return
        try:
            self.handle_message(self.structure_message(message))
        except JsonRpcException as exc:  # structure_message has answered the request
            log.warning("rejected a message: %s", exc.message)
        except Exception:
            log.exception("cannot handle a message")

    def send_error_without_id(self, error: JsonRpcException) -> None:
        """JSON-RPC wants `"id": null` when the request's id could not be read."""
        self._send_data(
            {"jsonrpc": "2.0", "id": None, "error": {"code": error.code, "message": error.message}}
        )


def name_bad_fields(exc: JsonRpcException) -> JsonRpcException:
    """pygls answers a standard method's bad params with a bare "Invalid Params"; name each
    bad field the way `zeke/*` methods do (`params.position.line: expected int`)."""
    cause = exc.__cause__
    if not isinstance(exc, JsonRpcInvalidParams) or not isinstance(cause, ClassValidationError):
        return exc
    details = "; ".join(transform_error(cause, path="params"))
    renamed = JsonRpcInvalidParams(message=f"invalid params: {details}")
    renamed.__cause__ = cause
    return renamed


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
        self.lazy_features: dict[str, Any] = {}
        """Feature name -> its loader (core/lazy.py), for require_feature()."""
        self.session.attach(lambda: self.workspace)

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
        except KeyboardInterrupt:
            pass  # SystemExit passes through: `exit` without `shutdown` must exit 1

    async def _serve_pipe(self) -> None:
        """Read stdin with our own framer until EOF or SIGTERM, then close the session
        either way (child processes, their log files, HTTP connections)."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=2 * framing.READ_CHUNK)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
        serving = asyncio.current_task()
        assert serving is not None and isinstance(self.protocol, ZekeProtocol)
        loop.add_signal_handler(signal.SIGTERM, serving.cancel)
        try:
            await framing.serve(
                reader,
                self.protocol.handle_body,
                lambda problem: log.warning("framing: %s", problem),
            )
            log.info("stdin closed: shutting down")
        except asyncio.CancelledError:
            log.info("SIGTERM: shutting down")
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
            await close_session(self.session)

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
    from zeke_ls.core.lifecycle import register_lifecycle

    server = ZekeServer(settings or ConfigStore())
    register_lifecycle(server)
    for name in FEATURE_MODULES:
        importlib.import_module(f"zeke_ls.features.{name}").register(server)
    for name, methods in LAZY_FEATURES.items():
        register_lazily(server, f"zeke_ls.features.{name}", methods)
    return server
