"""The repository index end to end: the real daemon over stdio, a real workspace on disk."""

from __future__ import annotations

import asyncio
import fcntl
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path

from tests.fakes.provider import Reply
from tests.harness import loopback_config, open_document, rpc, zeke_session
from zeke_ls.index.store import db_path_for

AUTO = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic)
GEOMETRY = '''"""Shapes."""


def scale_polygon(points, factor):
    """Multiply every coordinate of every point by factor."""
    return [(x * factor, y * factor) for x, y in points]


class Canvas:
    def draw(self, shape):
        return shape
'''
MAIN = "from lib.geometry import scale_polygon\n\n\ndef grow(poly):\n    return scale_polygon(\n"
PROGRESS = types.ClientCapabilities(window=types.WindowClientCapabilities(work_done_progress=True))


def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "geometry.py").write_text(GEOMETRY)
    (root / "main.py").write_text(MAIN)
    (root / "ignored").mkdir()
    (root / "ignored" / "secret.py").write_text("def hidden_thing():\n    pass\n")
    (root / ".gitignore").write_text("ignored/\n")
    (root / "blob.py").write_bytes(b"\0\1\2" * 100)
    return root


def env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "home" / ".cache")}


def fim_config(fake_url: str) -> str:
    return loopback_config(fake_url).replace(
        'code-fast = "openai:fake-fast"', 'code-fast = "openai:deepseek-coder"'
    )


async def until(client, check, timeout: float = 20.0):
    """Poll zeke/indexStatus until `check(status)` holds (bounded)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = await rpc(client, "zeke/indexStatus")
        if check(status):
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"index never got there: {status}")
        await asyncio.sleep(0.05)


def ready(status) -> bool:
    return status["state"] == "ready"


async def test_completion_prompt_gets_definition_from_another_file(tmp_path, fake):
    root = workspace(tmp_path)
    fake.default = Reply(chunks=["poly, 2)"])
    async with zeke_session(
        tmp_path, fim_config(fake.url), root=root, env=env(tmp_path), capabilities=PROGRESS
    ) as client:
        status = await until(client, ready)
        uri = open_document(client, root / "main.py", MAIN.replace("scale_polygon(", ""))
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(  # typing the call
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(types.Position(4, 11), types.Position(4, 11)),
                        text="scale_polygon(",
                    )
                ],
            )
        )
        await until(
            client,
            lambda s: (
                {"uri": uri, "version": 2}
                in [{"uri": p["uri"], "version": p["version"]} for p in s["precomputed"]]
            ),
        )
        result = await client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=4, character=25),  # after "scale_polygon("
                context=AUTO,
            )
        )
        zeke_status = await rpc(client, "zeke/status")
        progress = dict(client.progress_reports)
    assert [item.insert_text for item in result.items] == ["poly, 2)"]
    prompt = fake.calls("/completions")[-1].json["prompt"]
    assert "def scale_polygon(points, factor):" in prompt
    assert "Multiply every coordinate" in prompt
    assert "lib/geometry.py" in prompt
    [counts] = [r["counts"] for r in status["roots"]]
    assert counts["files"] == 2 and counts["skipped"] == 1  # blob.py: binary; ignored/ unseen
    index = zeke_status["index"]
    assert index["uses"]["completion"] >= 1
    assert "symbol scale_polygon" in index["lastUse"]["completion"]["reasons"]
    [reports] = progress.values()
    assert reports[0].kind == "begin" and reports[-1].kind == "end"


async def test_restart_reuses_the_database_without_parsing(tmp_path, fake):
    root = workspace(tmp_path)
    async with zeke_session(
        tmp_path, loopback_config(fake.url), root=root, env=env(tmp_path)
    ) as client:
        first = await until(client, ready)
    async with zeke_session(
        tmp_path, loopback_config(fake.url), root=root, env=env(tmp_path)
    ) as client:
        second = await until(client, ready)
        found = await rpc(client, "zeke/search", {"query": "scale polygon"})
    assert first["roots"][0]["lastBuild"]["parsed"] == 3
    assert second["roots"][0]["lastBuild"]["parsed"] == 0
    assert second["roots"][0]["lastBuild"]["seen"] == 3
    assert found["results"][0]["path"] == "lib/geometry.py"


async def test_saved_and_disk_changes_are_indexed(tmp_path, fake):
    root = workspace(tmp_path)
    async with zeke_session(
        tmp_path, loopback_config(fake.url), root=root, env=env(tmp_path)
    ) as client:
        await until(client, ready)
        path = root / "lib" / "geometry.py"
        path.write_text(GEOMETRY + "\n\ndef rotate_polygon(points, angle):\n    return points\n")
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=from_fs_path(str(path)) or "")
            )
        )
        await until(client, lambda s: s["roots"][0]["counts"]["symbols"] == 5)
        (root / "ignored" / "more.py").write_text("def also_hidden():\n    pass\n")
        (root / "extra.py").write_text("def brand_new_helper():\n    return 1\n")  # no save
        await until(client, lambda s: s["roots"][0]["counts"]["files"] == 3)
        rotated = await rpc(client, "zeke/search", {"query": "rotate polygon angle"})
        helper = await rpc(client, "zeke/search", {"query": "brand_new_helper"})
        hidden = await rpc(client, "zeke/search", {"query": "hidden thing also hidden"})
    assert rotated["results"][0]["name"] == "rotate_polygon"
    assert rotated["results"][0]["range"]["start"] == {"line": 13, "character": 0}
    assert helper["results"][0]["uri"] == from_fs_path(str(root / "extra.py"))
    assert hidden["results"] == []


async def test_repo_map_outlines_signatures_within_budget(tmp_path, fake):
    root = workspace(tmp_path)
    async with zeke_session(
        tmp_path, loopback_config(fake.url), root=root, env=env(tmp_path)
    ) as client:
        await until(client, ready)
        found = await rpc(client, "zeke/repoMap", {"budget": 200})
        tiny = await rpc(client, "zeke/repoMap", {"budget": 16})
    assert "lib/geometry.py:\n│def scale_polygon(points, factor):\n" in found["text"]
    assert "│class Canvas:\n│    def draw(self, shape):" in found["text"]
    assert found["files"][0] == "lib/geometry.py"  # main.py references it
    assert found["tokens"] <= 200
    assert tiny["text"] == ""


async def test_chat_at_workspace_gets_search_results_and_repo_map(tmp_path, fake):
    root = workspace(tmp_path)
    fake.default = Reply(chunks=["It scales."])
    async with zeke_session(
        tmp_path, loopback_config(fake.url), root=root, env=env(tmp_path)
    ) as client:
        await until(client, ready)
        result = await rpc(client, "zeke/chat", {"message": "@workspace how is a polygon scaled?"})
        plain = await rpc(client, "zeke/chat", {"message": "how is a polygon scaled?"})
        status = await rpc(client, "zeke/status")
    system = fake.calls("/chat/completions")[0].json["messages"][0]["content"]
    assert "Multiply every coordinate of every point by factor." in system
    assert "repository map" in system
    kinds = [(p["kind"], p["label"]) for p in result["context"]["included"]]
    assert ("index", "lib/geometry.py lines 4-6 (workspace search)") in kinds
    assert ("index", "repository map (files ranked by references)") in kinds
    assert all(p["kind"] != "index" for p in plain["context"]["included"])
    assert status["index"]["uses"]["chat"] == 1


async def test_corrupt_database_is_rebuilt_with_a_message(tmp_path, fake):
    root = workspace(tmp_path)
    database = db_path_for(root.resolve(), tmp_path / "home" / ".cache" / "zeke-ls" / "index")
    database.parent.mkdir(parents=True)
    database.write_bytes(b"this is not an SQLite database at all" * 100)
    async with zeke_session(
        tmp_path, loopback_config(fake.url), root=root, env=env(tmp_path)
    ) as client:
        status = await until(client, ready)
        found = await rpc(client, "zeke/search", {"query": "scale polygon"})
    assert any("rebuilt" in m and "unreadable" in m for m in status["messages"])
    assert found["results"][0]["name"] == "scale_polygon"


async def test_database_locked_by_another_daemon_is_used_read_only(tmp_path, fake):
    root = workspace(tmp_path)
    async with zeke_session(
        tmp_path, loopback_config(fake.url), root=root, env=env(tmp_path)
    ) as client:
        await until(client, ready)
    database = db_path_for(root.resolve(), tmp_path / "home" / ".cache" / "zeke-ls" / "index")
    with open(database.with_suffix(".lock"), "a+") as lock:  # what a running daemon holds
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.truncate(0)
        lock.write("4242")
        lock.flush()
        async with zeke_session(
            tmp_path, loopback_config(fake.url), root=root, env=env(tmp_path)
        ) as client:
            status = await until(client, ready)
            found = await rpc(client, "zeke/search", {"query": "scale polygon"})
    assert status["roots"][0]["readOnly"] is True
    assert any("another zeke-ls (pid 4242)" in m for m in status["messages"])
    assert found["results"][0]["name"] == "scale_polygon"


async def test_locked_and_never_built_index_is_unavailable_not_fatal(tmp_path, fake):
    root = workspace(tmp_path)
    database = db_path_for(root.resolve(), tmp_path / "home" / ".cache" / "zeke-ls" / "index")
    database.parent.mkdir(parents=True)
    with open(database.with_suffix(".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        async with zeke_session(
            tmp_path, loopback_config(fake.url), root=root, env=env(tmp_path)
        ) as client:
            status = await until(client, lambda s: s["state"] == "unavailable")
            models = await rpc(client, "zeke/status")
    assert "has not built an index yet" in status["roots"][0]["error"]
    assert models["index"]["state"] == "unavailable"


async def test_index_disabled_by_config(tmp_path, fake):
    root = workspace(tmp_path)
    config = loopback_config(fake.url) + "\n[index]\nenabled = false\n"
    async with zeke_session(tmp_path, config, root=root, env=env(tmp_path)) as client:
        status = await rpc(client, "zeke/indexStatus")
        try:
            await rpc(client, "zeke/search", {"query": "x"})
        except Exception as exc:
            error = str(exc)
    assert status["state"] == "off"
    assert "enabled = false" in error
    assert not (tmp_path / "home" / ".cache" / "zeke-ls").exists()


def test_cli_builds_queries_and_maps(tmp_path):
    import json
    import os
    import subprocess
    import sys

    root = workspace(tmp_path)
    run_env = {**os.environ, **env(tmp_path), "HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "zeke_ls", "index", str(root), "--json"]
    first = subprocess.run(
        [*command, "--query", "scale polygon", "--repo-map"],
        capture_output=True,
        text=True,
        env=run_env,
        timeout=60,
        check=True,
    )
    second = subprocess.run(
        command, capture_output=True, text=True, env=run_env, timeout=60, check=True
    )
    built, again = json.loads(first.stdout), json.loads(second.stdout)
    assert built["build"]["parsed"] == 3 and again["build"]["parsed"] == 0
    assert built["results"][0]["name"] == "scale_polygon"
    assert "│def scale_polygon(points, factor):" in built["repoMap"]
    assert built["database"].startswith(str(tmp_path / "home" / ".cache"))
