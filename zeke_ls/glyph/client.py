"""The daemon's MCP client of Glyph: embedded child, external stdio command, or WebSocket.

One long-lived `ClientSession`, started lazily on the first file operation (so start-up
stays fast and `mcp` is imported only when needed). The session lives in its own task, which
owns the `AsyncExitStack`: anyio's transports must be entered and exited by the same task,
and shutdown (a different task) only signals it and waits, under a lock. Daemon operations
are mapped to the server's tool names (`[services.glyph] tool_names`), and paths are always
sent absolute, which the embedded server, Glyph and the reference filesystem server all
accept. A server that dies mid-call gives `GlyphError` and is restarted on the next call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shlex
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from zeke_ls.config.schema import GlyphConfig

log = logging.getLogger(__name__)


class GlyphError(Exception):
    """Glyph failed, is unreachable, or refused a call (`refused`: it answered with an error,
    e.g. a path outside its roots). The services layer maps it to a JSON-RPC error."""

    def __init__(self, message: str, *, refused: bool = False):
        super().__init__(message)
        self.message = message
        self.refused = refused


GLYPH_PROTOCOL = "2025-06-18"
"""The newest MCP version Glyph v0.1.0-rc1 accepts (the SDK would offer 2025-11-25 first)."""


class GlyphClient:
    def __init__(self, config: GlyphConfig, roots: list[Path], max_bytes: int = 2_000_000):
        self.config = config
        self.roots = roots
        self.max_bytes = max_bytes
        self.tools: list[str] = []
        self._session: Any = None
        self._runner: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()

    def tool_name(self, operation: str) -> str:
        return self.config.tool_names.get(operation, operation)

    async def read_file(self, path: Path) -> str:
        return _text(await self.call("read_file", {"path": str(path)}))

    async def write_file(self, path: Path, content: str) -> None:
        await self.call("write_file", {"path": str(path), "content": content})

    async def delete_file(self, path: Path) -> None:
        await self.call("delete_file", {"path": str(path)})

    async def ready(self) -> None:
        """Connect now (a preflight before the first write of an accept)."""
        await self._ensure()

    async def call(self, operation: str, arguments: dict[str, Any]) -> Any:
        """Call the tool mapped to `operation`; GlyphError on any failure, with the reason."""
        name = self.tool_name(operation)
        session = await self._ensure()
        if self.tools and name not in self.tools:
            raise GlyphError(
                f"Glyph has no tool {name!r} for {operation} (it offers: "
                f"{', '.join(self.tools)}); set [services.glyph] tool_names"
            )
        try:
            result = await session.call_tool(
                name, arguments, read_timeout_seconds=self.config.timeout_ms / 1000
            )
        except Exception as exc:
            await self.close()
            raise GlyphError(f"Glyph failed during {name}: {_describe(exc)}") from None
        if getattr(result, "is_error", False):
            raise GlyphError(f"Glyph {name} refused: {_text(result)}", refused=True)
        return result

    async def _ensure(self) -> Any:
        async with self._lock:
            if self._session is not None and self._runner is not None and not self._runner.done():
                return self._session
            await self._close_locked()
            ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._stop = asyncio.Event()
            self._runner = asyncio.get_running_loop().create_task(self._run(ready))
            try:
                self._session = await asyncio.wait_for(ready, self.config.timeout_ms / 1000 + 10)
            except Exception as exc:
                await self._close_locked()
                raise GlyphError(
                    f"cannot start Glyph ({self.describe()}): {_describe(exc)}"
                ) from None
            return self._session

    async def _run(self, ready: asyncio.Future[Any]) -> None:
        """Own the transport and session for their whole life, in this one task."""
        from mcp.client.session import ClientSession

        async with AsyncExitStack() as stack:
            try:
                read, write = await stack.enter_async_context(self._transport())
                session = await stack.enter_async_context(ClientSession(read, write))
                await session.initialize()
                self.tools = [tool.name for tool in (await session.list_tools()).tools]
            except BaseException as exc:
                if not ready.done():
                    ready.set_exception(
                        exc if isinstance(exc, Exception) else RuntimeError(str(exc))
                    )
                return
            ready.set_result(session)
            await self._stop.wait()

    def _transport(self) -> Any:
        transport = self.config.mcp_transport
        if transport == "websocket":
            if not self.config.mcp_url:
                raise GlyphError("[services.glyph] mcp_transport = 'websocket' needs mcp_url")
            return tolerant(websocket_transport(self.config.mcp_url))
        from mcp.client.stdio import StdioServerParameters, stdio_client

        command = self.command()
        quiet_banner_errors()
        return tolerant(stdio_client(StdioServerParameters(command=command[0], args=command[1:])))

    def command(self) -> list[str]:
        """The command line of a stdio Glyph: the configured one, or the embedded server."""
        if self.config.mcp_transport == "stdio":
            configured = self.config.mcp_command
            if not configured:
                raise GlyphError("[services.glyph] mcp_transport = 'stdio' needs mcp_command")
            return shlex.split(configured) if isinstance(configured, str) else list(configured)
        roots = [arg for root in self.roots for arg in ("--root", str(root))]
        return [
            sys.executable,
            "-m",
            "zeke_ls",
            "glyph",
            *roots,
            "--max-bytes",
            str(self.max_bytes),
        ]

    def describe(self) -> str:
        if self.config.mcp_transport == "websocket":
            return f"websocket {self.config.mcp_url}"
        try:
            return " ".join(self.command())
        except GlyphError as exc:
            return str(exc)

    async def close(self) -> None:
        """Stop the session and its server (registered in session.closers)."""
        async with self._lock:
            await self._close_locked()

    async def _close_locked(self) -> None:
        runner, self._runner, self._session = self._runner, None, None
        if runner is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(runner, 10)
        except (TimeoutError, Exception, asyncio.CancelledError) as exc:
            log.debug("Glyph runner ended with %r", exc)


def _text(result: Any) -> str:
    """A tool result's text: the structured `result`/`content` if any, else the text parts."""
    structured = getattr(result, "structured_content", None)
    if isinstance(structured, dict):
        for key in ("result", "content", "text"):
            if isinstance(structured.get(key), str):
                return str(structured[key])
    parts = [getattr(c, "text", "") for c in getattr(result, "content", None) or []]
    return "".join(p for p in parts if isinstance(p, str))


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, BaseExceptionGroup):
        text = "; ".join(_describe(e) for e in exc.exceptions)
    return text if "closed" not in text.lower() else f"the server stopped ({text})"


@asynccontextmanager
async def websocket_transport(url: str) -> AsyncIterator[tuple[Any, Any]]:
    """MCP over WebSocket (subprotocol `mcp`, one JSON-RPC message per text frame), as Glyph
    serves it; the installed SDK has no WebSocket client of its own."""
    import anyio
    from mcp import types
    from mcp.shared.message import SessionMessage
    from websockets.asyncio.client import connect

    read_writer, read_stream = anyio.create_memory_object_stream[Any](0)
    write_stream, write_reader = anyio.create_memory_object_stream[Any](0)

    async with connect(url, subprotocols=["mcp"]) as socket:  # type: ignore[list-item]

        async def reader() -> None:
            async with read_writer:
                async for frame in socket:
                    try:
                        message = types.jsonrpc_message_adapter.validate_json(frame, by_name=False)
                        await read_writer.send(SessionMessage(message))
                    except ValueError as exc:
                        await read_writer.send(exc)

        async def writer() -> None:
            async with write_reader:
                async for item in write_reader:
                    payload = item.message.model_dump(
                        by_alias=True, mode="json", exclude_unset=True
                    )
                    await socket.send(json.dumps(payload))

        async with anyio.create_task_group() as group:
            group.start_soon(reader)
            group.start_soon(writer)
            try:
                yield read_stream, write_stream
            finally:
                group.cancel_scope.cancel()
                with contextlib.suppress(Exception):
                    await socket.close()


# --- Glyph v0.1.0-rc1's quirks ----------------------------------------------------------------


class _BannerFilter(logging.Filter):
    """The SDK logs a traceback per non-JSON stdout line; Glyph prints banners there, so say
    it once instead."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        if "Failed to parse JSONRPC message" not in record.getMessage():
            return True
        if not self.seen:
            self.seen = True
            log.info("the MCP server wrote non-JSON lines to stdout (a banner?): skipping them")
        return False


_BANNERS = _BannerFilter()


def quiet_banner_errors() -> None:
    logger = logging.getLogger("mcp.client.stdio")
    if _BANNERS not in logger.filters:
        logger.addFilter(_BANNERS)


@asynccontextmanager
async def tolerant(transport: Any) -> AsyncIterator[tuple[Any, Any]]:
    """Wrap an MCP transport so that Glyph v0.1.0-rc1 connects: non-JSON lines are skipped
    (the stdio reader hands them over as exceptions), `initialize` offers the newest version
    Glyph accepts, and its answer's `protocolVersion: ""` is read as that version."""
    import anyio
    from mcp import types

    async with transport as (read, write):
        inbound_writer, inbound = anyio.create_memory_object_stream[Any](0)
        outbound, outbound_reader = anyio.create_memory_object_stream[Any](0)
        pending: set[Any] = set()

        async def relay_in() -> None:
            async with inbound_writer:
                async for item in read:
                    if isinstance(item, Exception):
                        continue  # a banner or other non-JSON line
                    message = item.message
                    if isinstance(message, types.JSONRPCResponse) and message.id in pending:
                        pending.discard(message.id)
                        if isinstance(message.result, dict) and not message.result.get(
                            "protocolVersion"
                        ):
                            message.result["protocolVersion"] = GLYPH_PROTOCOL
                    await inbound_writer.send(item)

        async def relay_out() -> None:
            async with outbound_reader:
                async for item in outbound_reader:
                    message = item.message
                    if isinstance(message, types.JSONRPCRequest) and message.method == "initialize":
                        pending.add(message.id)
                        if isinstance(message.params, dict):
                            message.params["protocolVersion"] = GLYPH_PROTOCOL
                    await write.send(item)

        async with anyio.create_task_group() as group:
            group.start_soon(relay_in)
            group.start_soon(relay_out)
            try:
                yield inbound, outbound
            finally:
                group.cancel_scope.cancel()
