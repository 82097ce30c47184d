"""Pure parts of chat and context sets: slash commands, diagnostics, spans, store, confinement."""

from __future__ import annotations

import pytest

from zeke_ls.chat.prompts import UnknownCommand, format_diagnostics, parse_slash, user_prompt
from zeke_ls.chat.store import ChatStore
from zeke_ls.chat.tools import Workspace
from zeke_ls.context.sets import Span, confine, read_text, slice_span
from zeke_ls.core.rpc import NotFound, Refused


def test_parse_slash():
    assert parse_slash("/fix  it please") == ("fix", "it please")
    assert parse_slash("/EXPLAIN") == ("explain", "")
    assert parse_slash("/etc/hosts is odd") == (None, "/etc/hosts is odd")
    assert parse_slash("  plain text ") == (None, "plain text")
    with pytest.raises(UnknownCommand, match="/nope"):
        parse_slash("/nope x")


def test_diagnostics_in_fix_prompt_only():
    diags = [
        {
            "range": {"start": {"line": 4, "character": 0}},
            "severity": 2,
            "message": "unused",
            "source": "ruff",
            "code": "F401",
        }
    ]
    assert format_diagnostics(diags) == "- line 5: warning [F401]: unused (ruff)"
    assert "unused (ruff)" in user_prompt("fix", "", None, diags)
    assert "Diagnostics" not in user_prompt("explain", "", None, diags)
    assert "- none reported" in user_prompt("fix", "", None, [])


def test_slice_span_clips_to_the_text():
    text = "zero\none\ntwo\n"
    assert slice_span(text, Span(1, 0, 2, 0)) == "one\n"
    assert slice_span(text, Span(0, 2, 1, 2)) == "ro\non"
    assert slice_span(text, Span(1, 1, 1, 99)) == "ne"
    assert slice_span(text, Span(2, 0, 50, 0)) == "two\n"
    assert slice_span(text, Span(9, 0, 10, 0)) == ""
    assert slice_span("a\U0001f600b = 1\n", Span(0, 3, 0, 4)) == "b"  # UTF-16 columns


def test_store_ids_history_and_eviction():
    store = ChatStore(max_chats=2)
    first, second, third = store.create(), store.create(), store.create()
    assert [first.id, second.id, third.id] == ["chat-1", "chat-2", "chat-3"]
    with pytest.raises(NotFound):
        store.get(first.id)
    assert store.clear(second.id) == [second.id] and store.ids() == [third.id]
    with pytest.raises(NotFound, match="unknown chat id"):
        store.clear("chat-9")


def test_confine_and_read_refusals(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "ok.py").write_text("x = 1\n")
    (root / "bin").write_bytes(b"a\x00b")
    (root / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    assert confine(root / "sub" / ".." / "ok.py", [root]) == root / "ok.py"
    with pytest.raises(Refused, match="outside"):
        confine(root / ".." / "x", [root])
    with pytest.raises(Refused, match="no workspace roots"):
        confine(root / "ok.py", [])
    assert read_text(root / "ok.py", 100) == "x = 1\n"
    with pytest.raises(Refused, match="over the limit"):
        read_text(root / "ok.py", 3)
    with pytest.raises(Refused, match="binary"):
        read_text(root / "bin", 100)
    with pytest.raises(Refused, match="not UTF-8"):
        read_text(root / "latin.txt", 100)
    with pytest.raises(NotFound):
        read_text(root / "gone", 100)


def test_workspace_tools_stay_inside_and_report_errors_as_text(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("def hello():\n    return 'world'\n")
    tools = Workspace([tmp_path], 10_000)
    assert tools.call("read_file", '{"path": "pkg/m.py", "start_line": 2}') == (
        True,
        "    return 'world'\n",
    )
    assert tools.call("list_files", "{}") == (True, "pkg/m.py")
    assert tools.call("search", '{"pattern": "wor.d"}') == (True, "pkg/m.py:2: return 'world'")
    ok, text = tools.call("read_file", '{"path": "../../etc/passwd"}')
    assert not ok and "outside the workspace" in text
    assert tools.call("write_file", "{}")[0] is False
    assert "bad arguments" in tools.call("read_file", "{not json")[1]
    assert "bad regular expression" in tools.call("search", '{"pattern": "("}')[1]
