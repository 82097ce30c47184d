"""The embedded Glyph (`zeke-ls glyph`) through the MCP SDK's own client over stdio.

Every escape route is tried: `..`, a symlink pointing out, an absolute path outside, a
binary file, an oversized file, bad arguments. Each must be an MCP tool error naming the
reason, and nothing outside the root may be read or written.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client


@asynccontextmanager
async def glyph(root: Path, max_bytes: int = 1000) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "zeke_ls", "glyph", "--root", str(root), "--max-bytes", str(max_bytes)],
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> tuple[bool, Any]:
    result: Any = await session.call_tool(tool, arguments)
    text = "".join(getattr(c, "text", "") for c in result.content)
    if result.is_error:
        return True, text
    return False, result.structured_content if result.structured_content is not None else text


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "build").mkdir()
    (root / "src" / "main.py").write_text("import os\nprint('hello')\n")
    (root / "src" / "pkg" / "util.py").write_text("def helper():\n    return 'Hello'\n")
    (root / "build" / "out.py").write_text("print('hello')\n")
    (root / "notes.log").write_text("hello log\n")
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "blob.bin").write_bytes(b"\x00\x01binary")
    (root / "big.txt").write_text("x" * 5000)
    (tmp_path / "outside.txt").write_text("secret\n")
    os.symlink(tmp_path / "outside.txt", root / "link.txt")
    os.symlink(tmp_path, root / "escape")
    return root


async def test_tools_are_listed_with_glyph_names(tree):
    async with glyph(tree) as session:
        names = {tool.name for tool in (await session.list_tools()).tools}
    assert {"read_file", "write_file", "list_directory", "scan", "search", "delete_file"} <= names


async def test_read_write_keeps_mode_and_is_atomic(tree):
    target = tree / "src" / "main.py"
    os.chmod(target, 0o600)
    async with glyph(tree) as session:
        assert await call(session, "read_file", path="src/main.py") == (
            False,
            {"result": "import os\nprint('hello')\n"},
        )
        error, _ = await call(session, "write_file", path="src/main.py", content="print('bye')\n")
        assert not error
        error, _ = await call(session, "write_file", path=str(tree / "new.txt"), content="new\n")
        assert not error
    assert target.read_text() == "print('bye')\n" and target.stat().st_mode & 0o777 == 0o600
    assert (tree / "new.txt").read_text() == "new\n"
    assert not [p for p in (tree / "src").iterdir() if p.name.endswith(".zeke-tmp")]


@pytest.mark.parametrize(
    ("tool", "path", "reason"),
    [
        ("read_file", "../outside.txt", "outside the workspace roots"),
        ("read_file", "link.txt", "outside the workspace roots"),
        ("read_file", "escape/outside.txt", "outside the workspace roots"),
        ("read_file", "/etc/hostname", "outside the workspace roots"),
        ("write_file", "../outside.txt", "outside the workspace roots"),
        ("write_file", "link.txt", "outside the workspace roots"),
        ("write_file", "escape/evil.txt", "outside the workspace roots"),
        ("read_file", "blob.bin", "binary file refused"),
        ("write_file", "blob.bin", "binary file refused"),
        ("read_file", "big.txt", "file too large"),
        ("read_file", "missing.txt", "not a file"),
        ("write_file", "nodir/x.txt", "directory does not exist"),
        ("list_directory", "../", "outside the workspace roots"),
    ],
)
async def test_escapes_and_bad_files_are_tool_errors(tree, tool, path, reason):
    arguments: dict[str, Any] = {"path": path}
    if tool == "write_file":
        arguments["content"] = "pwned\n"
    async with glyph(tree) as session:
        error, message = await call(session, tool, **arguments)
    assert error and reason in message
    assert (tree.parent / "outside.txt").read_text() == "secret\n"
    assert not (tree.parent / "evil.txt").exists()
    assert (tree / "blob.bin").read_bytes() == b"\x00\x01binary"


async def test_bad_arguments_are_tool_errors(tree):
    async with glyph(tree) as session:
        missing = await call(session, "read_file")
        wrong_type = await call(session, "scan", limit="many")
        bad_regex = await call(session, "search", query="(", regex=True)
        huge = await call(session, "scan", limit=10**9)
        oversized = await call(session, "write_file", path="w.txt", content="y" * 2000)
    assert missing[0] and "path" in missing[1]
    assert wrong_type[0] and "limit" in wrong_type[1]
    assert bad_regex[0] and "invalid regex" in bad_regex[1]
    assert huge[0] and "limit must be between" in huge[1]
    assert oversized[0] and "content too large" in oversized[1]
    assert not (tree / "w.txt").exists()


@pytest.mark.parametrize("ripgrep", ["0", "1"])
async def test_scan_and_search_honour_gitignore_globs_and_limits(tree, ripgrep, monkeypatch):
    if ripgrep == "1" and not any((Path(p) / "rg").exists() for p in os.environ["PATH"].split(":")):
        pytest.skip("ripgrep (Debian package ripgrep) is not installed")
    monkeypatch.setenv("ZEKE_GLYPH_RIPGREP", ripgrep)
    async with glyph(tree, max_bytes=100_000) as session:
        _, everything = await call(session, "scan")
        _, python = await call(session, "scan", globs=["**/*.py"])
        _, limited = await call(session, "scan", globs=["*.py"], limit=1)
        _, hits = await call(session, "search", query="hello", case_sensitive=False)
        _, regex = await call(session, "search", query=r"def \w+", regex=True, path="src")
        _, one = await call(session, "search", query="hello", limit=1, case_sensitive=False)
    assert python == {"files": ["src/main.py", "src/pkg/util.py"], "truncated": False}
    assert "build/out.py" not in everything["files"] and "notes.log" not in everything["files"]
    assert limited == {"files": ["src/main.py"], "truncated": True}
    assert [(m["path"], m["line"], m["column"]) for m in hits["matches"]] == [
        ("src/main.py", 2, 8),
        ("src/pkg/util.py", 2, 13),
    ]
    assert regex["matches"] == [
        {"path": "src/pkg/util.py", "line": 1, "column": 1, "text": "def helper():"}
    ]
    assert one["truncated"] is True and len(one["matches"]) == 1
    json.dumps(hits)


async def test_list_directory(tree):
    async with glyph(tree) as session:
        _, listing = await call(session, "list_directory", path="src")
    assert listing["entries"] == [
        {"name": "main.py", "type": "file"},
        {"name": "pkg", "type": "directory"},
    ]
