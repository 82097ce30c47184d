"""zeke-ls connects to Glyph v0.1.0-rc1 as it really behaves (tests/fakes/glyph_rc1.py):
banner lines on stdout, `protocolVersion: ""`, text-only tool results."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from zeke_ls.config.schema import GlyphConfig
from zeke_ls.glyph.client import GlyphClient

FAKE = Path(__file__).parents[1] / "fakes" / "glyph_rc1.py"


async def test_glyph_rc1_reads_and_writes_despite_its_quirks(tmp_path, caplog):
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.py").write_text("print('hi')\n")
    config = GlyphConfig(
        mcp_transport="stdio", mcp_command=[sys.executable, str(FAKE)], timeout_ms=5000
    )
    client = GlyphClient(config, [root])
    caplog.set_level(logging.INFO)
    try:
        text = await client.read_file(root / "a.py")
        await client.write_file(root / "b.py", "x = 1\n")
        listing = await client.call("list_directory", {"path": str(root)})
    finally:
        await client.close()
    assert text == "print('hi')\n"
    assert (root / "b.py").read_text() == "x = 1\n"
    assert "a.py\nb.py" in listing.content[0].text
    assert client.tools == ["read_file", "write_file", "list_directory"]
    banners = [r for r in caplog.records if "non-JSON lines" in r.getMessage()]
    tracebacks = [r for r in caplog.records if "Failed to parse JSONRPC" in r.getMessage()]
    assert len(banners) == 1 and tracebacks == []  # said once, not once per banner line
