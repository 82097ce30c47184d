"""Workspace confinement for every path-taking method and tool.

The tree: a workspace with an ordinary file, a symlink to a secret outside, a symlinked
directory pointing outside, and a directory of its own; the outside holds TOPSECRET. No
answer, tool result, or request sent to the model may ever carry the secret or an outside
name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path

from tests.e2e.test_glyph import call, glyph
from tests.fakes.provider import Reply
from tests.harness import loopback_config, rpc, zeke_session
from zeke_ls.chat.tools import Workspace

SECRET = "TOPSECRET-4f1c"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    ws = tmp_path / "workspace"
    outside = tmp_path / "outside"
    (ws / "src").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{SECRET} aws_secret_access_key\n")
    (outside / "more.txt").write_text(f"{SECRET} more\n")
    (ws / "src" / "app.py").write_text("print('inside')\n")
    os.symlink(outside / "secret.txt", ws / "link_out.txt")
    os.symlink(outside, ws / "linkdir")
    os.symlink(outside, ws / "src" / "deeplink")
    return ws


def leaks(text: str, tree: Path) -> bool:
    """The secret's content, or the name of an outside file nobody asked for by name (a
    refusal may repeat the path the caller gave)."""
    return SECRET in text or "more.txt" in text


# --- chat tools, in-process (the exact code the model's tool calls run) -----------------------

TOOL_CALLS = [
    ("search", {"pattern": "TOPSECRET"}),
    ("search", {"pattern": "TOPSECRET", "glob": "*.txt"}),
    ("search", {"pattern": "TOPSECRET", "glob": "linkdir/*"}),
    ("list_files", {}),
    ("list_files", {"glob": "../outside/*"}),
    ("list_files", {"glob": "**/*"}),
    ("list_files", {"glob": "linkdir/*"}),
    ("list_files", {"glob": "src/deeplink/*"}),
    ("list_files", {"glob": "**/*.txt"}),
    ("list_files", {"glob": "../*/*.txt"}),
    ("read_file", {"path": "link_out.txt"}),
    ("read_file", {"path": "linkdir/secret.txt"}),
    ("read_file", {"path": "../outside/secret.txt"}),
]


def test_chat_tools_never_leave_the_roots(tree, tally):
    workspace = Workspace([tree.resolve()], 100_000)
    calls = [
        *TOOL_CALLS,
        ("list_files", {"glob": str(tree.parent / "outside" / "*")}),
        ("read_file", {"path": str(tree.parent / "outside" / "secret.txt")}),
    ]
    for name, args in calls:
        _ok, output = workspace.call(name, json.dumps(args))
        tally.check(f"tool {name} {args}", not leaks(output, tree), output[:200])
    _ok, inside = workspace.call("search", json.dumps({"pattern": "inside"}))
    tally.check("search still finds inside text", "src/app.py:1" in inside, inside)
    _ok, listed = workspace.call("list_files", "{}")
    tally.check("list_files still lists inside files", "src/app.py" in listed, listed)
    tally.check("list_files skips a symlink out of the roots", "link_out" not in listed, listed)


def test_search_skips_a_file_swapped_for_a_symlink_after_the_walk(tree, tally, monkeypatch):
    """The walk saw a regular file; by the time it is read it points outside."""
    import zeke_ls.chat.tools as tools

    victim = tree / "src" / "late.txt"
    victim.write_text("harmless\n")
    real_walk = tools.files_under

    def walk_then_swap(roots):
        for path in real_walk(roots):
            if path == victim:
                victim.unlink()
                os.symlink(tree.parent / "outside" / "secret.txt", victim)
            yield path

    monkeypatch.setattr(tools, "files_under", walk_then_swap)
    _ok, output = Workspace([tree.resolve()], 100_000).call("search", '{"pattern": "TOPSECRET"}')
    tally.check("search after a swap to a symlink", not leaks(output, tree), output)


# --- chat tools through the daemon: nothing outside reaches the model --------------------------


async def test_chat_tool_results_sent_to_the_model_hold_no_outside_data(
    tmp_path, tree, fake, tally
):
    calls = [
        {"id": f"call-{i}", "name": name, "arguments": json.dumps(args)}
        for i, (name, args) in enumerate(TOOL_CALLS[:10])
    ]
    fake.queue(Reply(chunks=["Looking."], tool_calls=calls), Reply(chunks=["Done."]))
    config = loopback_config(fake.url, "[chat]\nmax_tool_steps = 2\n")
    async with zeke_session(tmp_path, config, root=tree) as client:
        result = await rpc(client, "zeke/chat", {"message": "find the secret"})
    sent = json.dumps([c.json for c in fake.calls("/chat/completions")])
    tally.check("tool results sent upstream", not leaks(sent, tree), sent[-600:])
    tally.check("chat result", not leaks(json.dumps(result), tree), result)


# --- LSP methods that take a path ----------------------------------------------------------------


async def expect_refusal(client, tally, name, method, params, codes=(-32005, -32003, -32602)):
    try:
        result = await rpc(client, method, params)
    except JsonRpcException as exc:
        tally.check(
            name, exc.code in codes and SECRET not in exc.message, f"{exc.code} {exc.message}"
        )
        return
    tally.check(name, False, f"answered {str(result)[:300]}")


async def test_path_taking_methods_refuse_outside_paths(tmp_path, tree, fake, tally):
    outside_file = tree.parent / "outside" / "secret.txt"
    out_uri = from_fs_path(str(outside_file))
    link_uri = from_fs_path(str(tree / "link_out.txt"))
    config = loopback_config(fake.url)
    async with zeke_session(tmp_path, config, root=tree) as client:
        for label, uri in (
            ("absolute", out_uri),
            ("symlink", link_uri),
            ("dotdot", from_fs_path(str(tree)) + "/../outside/secret.txt"),
        ):
            await expect_refusal(
                client, tally, f"contextAdd {label}", "zeke/contextAdd", {"uri": uri}
            )
            await expect_refusal(
                client,
                tally,
                f"chat textDocument {label}",
                "zeke/chat",
                {"message": "explain", "textDocument": {"uri": uri}},
            )
            await expect_refusal(
                client,
                tally,
                f"edit {label}",
                "zeke/edit",
                {"textDocument": {"uri": uri}, "instruction": "leak it"},
            )
        listed = await rpc(client, "zeke/contextList", {})
        tally.check(
            "context set holds nothing outside", not leaks(json.dumps(listed), tree), listed
        )
    sent = json.dumps([c.json for c in fake.requests])
    tally.check("nothing outside was sent to the model", not leaks(sent, tree), sent[-400:])


async def test_context_add_range_and_globs_reveal_nothing_outside(tmp_path, tree, fake):
    outside_file = tree.parent / "outside" / "secret.txt"
    rng = {"start": {"line": 0, "character": 0}, "end": {"line": 900, "character": 0}}
    texts = []
    async with zeke_session(tmp_path, loopback_config(fake.url), root=tree) as client:
        for params in (
            {"uri": from_fs_path(str(outside_file)), "range": rng},
            {"glob": "../outside/*"},
            {"glob": str(tree.parent / "outside" / "*")},
            {"glob": "linkdir/*"},
        ):
            try:
                texts.append(json.dumps(await rpc(client, "zeke/contextAdd", params)))
            except JsonRpcException as exc:
                texts.append(exc.message)
    assert not any(leaks(text, tree) or "length" in text or "line" in text for text in texts), texts


# --- the embedded Glyph's tools, Python and ripgrep paths -----------------------------------------


@pytest.mark.parametrize("ripgrep", ["0", "1"])
async def test_glyph_tools_never_leave_the_roots(tree, tally, monkeypatch, ripgrep):
    monkeypatch.setenv("ZEKE_GLYPH_RIPGREP", ripgrep)
    for i in range(320):  # more than the Python head start, so ripgrep searches the rest
        (tree / "src" / f"f{i:03}.txt").write_text("filler\n")
    async with glyph(tree, max_bytes=100_000) as session:
        attacks = [
            ("read_file", {"path": "link_out.txt"}),
            ("read_file", {"path": "linkdir/secret.txt"}),
            ("write_file", {"path": "linkdir/new.txt", "content": "x"}),
            ("delete_file", {"path": "link_out.txt"}),
            ("list_directory", {"path": "linkdir"}),
            ("list_directory", {"path": ".."}),
            ("scan", {"path": "."}),
            ("scan", {"path": ".", "globs": ["**/*.txt"]}),
            ("scan", {"path": "linkdir"}),
            ("search", {"query": "TOPSECRET"}),
            ("search", {"query": "TOPSECRET", "path": "src"}),
            ("search", {"query": "TOPSECRET", "path": "linkdir"}),
        ]
        for tool, args in attacks:
            _error, result = await call(session, tool, **args)
            text = json.dumps(result)
            tally.check(f"glyph {tool} {args} rg={ripgrep}", not leaks(text, tree), text[:200])
    tally.check(
        "outside left alone",
        (tree.parent / "outside" / "secret.txt").exists()
        and not (tree.parent / "outside" / "new.txt").exists(),
    )
