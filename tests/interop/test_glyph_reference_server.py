"""zeke_ls with the reference MCP filesystem server as its external Glyph (tool-name mapping).

Setup (CI): `npm install --prefix .cache/npm @modelcontextprotocol/server-filesystem`
(~15 s). Override the location with ZEKE_MCP_FILESYSTEM=/path/to/mcp-server-filesystem.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from pygls.uris import from_fs_path

from tests.e2e.test_edits import EXPECTED, FIX, SOURCE, capture_apply_edit, edit_params
from tests.fakes.provider import Reply
from tests.harness import loopback_config, rpc, zeke_session

DEFAULT_BIN = (
    Path(__file__).parents[2] / ".cache" / "npm" / "node_modules" / ".bin" / "mcp-server-filesystem"
)
SERVER = Path(os.environ.get("ZEKE_MCP_FILESYSTEM", DEFAULT_BIN))

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
    pytest.mark.skipif(
        not SERVER.exists(),
        reason=f"{SERVER} missing: npm install --prefix .cache/npm "
        "@modelcontextprotocol/server-filesystem",
    ),
]


def glyph_config(root: Path) -> str:
    return f"""
[services.glyph]
mcp_transport = "stdio"
mcp_command = ["{SERVER}", "{root}"]
timeout_ms = 20000

[services.glyph.tool_names]
read_file = "read_text_file"
write_file = "write_file"
"""


async def test_closed_file_edit_goes_through_the_reference_server(tmp_path, fake):
    root = (tmp_path / "workspace").resolve()
    root.mkdir()
    (root / "a.py").write_text(SOURCE)
    fake.queue(Reply(chunks=[FIX]))
    async with zeke_session(
        tmp_path, loopback_config(fake.url, glyph_config(root)), root=root
    ) as client:
        seen = capture_apply_edit(client)
        proposal = await rpc(client, "zeke/edit", edit_params(from_fs_path(str(root / "a.py"))))
        assert [h["status"] for h in proposal["hunks"]] == ["applied"]
        await rpc(client, "zeke/editAccept", {"editId": proposal["editId"]})
    assert seen == []
    assert (root / "a.py").read_text() == EXPECTED


async def test_reference_server_refusal_is_a_tool_failed(tmp_path, fake):
    root = (tmp_path / "workspace").resolve()
    root.mkdir()
    (root / "a.py").write_text(SOURCE)
    config = glyph_config(root).replace(
        'read_file = "read_text_file"', 'read_file = "no_such_tool"'
    )
    async with zeke_session(tmp_path, loopback_config(fake.url, config), root=root) as client:
        with pytest.raises(Exception, match="no tool 'no_such_tool'") as failure:
            await rpc(client, "zeke/edit", edit_params(from_fs_path(str(root / "a.py"))))
    assert getattr(failure.value, "code", None) == -32006
    assert fake.calls("/chat/completions") == []
