"""Start the real daemon (`python -m zeke_ls`) over stdio with pytest-lsp, and talk to it.

`zeke_session()` writes a zeke.toml, starts the daemon with an isolated HOME, initializes a
session and shuts it down cleanly afterwards. `rpc()` sends any `zeke/*` request and returns
plain JSON; `collect()` records a custom notification's params as plain JSON.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient


def to_plain(value: Any) -> Any:
    """pygls hands custom results over as namedtuples; turn them back into JSON values."""
    if hasattr(value, "_asdict"):
        return {k: to_plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


def loopback_config(fake_url: str, extra: str = "") -> str:
    """A zeke.toml whose every alias goes straight to the fake provider (no gateway)."""
    return f"""
[aliases]
code-fast = "openai:fake-fast"
code-smart = "openai:fake-smart"
local = "openai:fake-local"

[providers.openai]
base_url = "{fake_url}/v1"
api_key = "env:ZEKE_TEST_KEY"
timeout_ms = 5000

[routing]
health_interval_ms = 600000
{extra}
"""


def daemon_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEKE_")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        ZEKE_TEST_KEY="sk-test-secret-value-123",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


@asynccontextmanager
async def zeke_session(
    tmp_path: Path,
    config_text: str | None = None,
    *,
    root: Path | None = None,
    init_options: Any = None,
    capabilities: types.ClientCapabilities | None = None,
    env: dict[str, str] | None = None,
    args: list[str] | None = None,
) -> AsyncIterator[LanguageClient]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    root = root or tmp_path / "workspace"
    root.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "zeke_ls"]
    if config_text is not None:
        config_file = tmp_path / "zeke.toml"
        config_file.write_text(config_text, encoding="utf-8")
        command += ["--config", str(config_file)]
    command += args or []
    config = ClientServerConfig(server_command=command, server_env=daemon_env(home, env))
    client = await config.start()
    assert isinstance(client, LanguageClient)
    client.zeke_init_result = await client.initialize_session(  # type: ignore[attr-defined]
        types.InitializeParams(
            capabilities=capabilities or types.ClientCapabilities(),
            root_uri=from_fs_path(str(root)),
            workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(root)) or "", name="ws")],
            initialization_options=init_options,
        )
    )
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


async def rpc(client: LanguageClient, method: str, params: Any = None) -> Any:
    result = await client.protocol.send_request_async(method, params if params is not None else {})
    return to_plain(result)


def collect(client: LanguageClient, method: str) -> list[dict[str, Any]]:
    """Record every `method` notification's params (as plain JSON) in the returned list."""
    received: list[dict[str, Any]] = []

    @client.feature(method)
    def _record(params: Any) -> None:
        received.append(to_plain(params))

    return received


def open_document(
    client: LanguageClient, path: Path, text: str, language: str = "python", version: int = 1
) -> str:
    uri = from_fs_path(str(path)) or ""
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=version, text=text
            )
        )
    )
    return uri


async def wait_for(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Poll `condition` until it is true; fail naming `what` after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_for_log(client: LanguageClient, text: str, timeout: float = 10.0) -> None:
    """Wait for a `window/logMessage` from the daemon containing `text`."""
    await wait_for(
        lambda: any(text in m.message for m in client.log_messages), f"log {text!r}", timeout
    )
