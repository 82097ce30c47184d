"""Start-up stays light: heavy modules load on first use, and the lazily loaded features declare
exactly the methods their register() installs."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from zeke_ls.config.store import ConfigStore
from zeke_ls.core.server import LAZY_FEATURES, ZekeServer

# Each costs megabytes or tenths of a second that an idle daemon does not need.
HEAVY = [
    "pydantic",
    "httpx",
    "tiktoken",
    "watchfiles",
    "mcp",
    "zeke_ls.config.schema",
    "zeke_ls.providers.router",
    "zeke_ls.chat.engine",
    "zeke_ls.patch.apply",
    "zeke_ls.context.sets",
]

START_UP = """
import json, sys
from lsprotocol import types
from zeke_ls.config.store import ConfigStore
from zeke_ls.core.server import create_server
settings = ConfigStore(sys.argv[1])
settings.reload()
server = create_server(settings)
init = server.protocol.fm.features[types.INITIALIZE]
init(types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=None))
print(json.dumps(sorted(m for m in sys.modules if m in json.loads(sys.argv[2]))))
"""


def test_start_up_to_initialize_loads_no_heavy_module(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", START_UP, str(tmp_path / "zeke.toml"), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize("name", sorted(LAZY_FEATURES))
def test_lazy_feature_declares_what_register_installs(name: str, tmp_path: Path) -> None:
    server = ZekeServer(ConfigStore(str(tmp_path / "zeke.toml")))
    manager = server.protocol.fm
    importlib.import_module(f"zeke_ls.features.{name}").register(server)
    assert sorted(manager.features) == sorted(LAZY_FEATURES[name])
    # Capabilities are computed at initialize, before a lazy feature loads.
    assert manager.feature_options == {}
    assert manager.commands == {}
