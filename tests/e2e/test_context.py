"""Context sets end to end: add/list/remove with tiktoken counts, budget, watching, refusals."""

from __future__ import annotations

import asyncio

import pytest

from tests.fakes.provider import Reply
from tests.harness import (
    collect,
    loopback_config,
    open_document,
    rpc,
    wait_for_log,
    zeke_session,
)
from zeke_ls.context.tokens import encode


def tokens(text: str) -> int:
    return len(encode(text))


def workspace(tmp_path):
    root = tmp_path / "workspace"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.py").write_text("def a():\n    return 'alpha'\n" * 5)
    (root / "src" / "b.py").write_text("def b():\n    return 'beta'\n" * 7)
    (root / "README.md").write_text("# Project\n\nSome words about it.\n")
    return root


async def until(predicate, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_add_list_remove_with_tiktoken_counts(tmp_path, fake):
    root = workspace(tmp_path)
    async with zeke_session(tmp_path, loopback_config(fake.url), root=root) as client:
        added = await rpc(client, "zeke/contextAdd", {"uri": (root / "README.md").as_uri()})
        globbed = await rpc(client, "zeke/contextAdd", {"glob": "src/*.py"})
        ranged = await rpc(
            client,
            "zeke/contextAdd",
            {
                "uri": (root / "src" / "b.py").as_uri(),
                "range": {"start": {"line": 2, "character": 0}, "end": {"line": 4, "character": 0}},
            },
        )
        listing = await rpc(client, "zeke/contextList")
        removed = await rpc(client, "zeke/contextRemove", {"id": added["added"][0]["id"]})
        cleared = await rpc(client, "zeke/contextClear")
        empty = await rpc(client, "zeke/contextList")
    assert [i["label"] for i in globbed["added"]] == ["src/a.py", "src/b.py"]
    assert ranged["added"][0]["kind"] == "range"
    assert ranged["added"][0]["label"] == "src/b.py lines 3-5"
    by_label = {i["label"]: i for i in listing["items"]}
    assert by_label["README.md"]["tokens"] == tokens((root / "README.md").read_text())
    assert by_label["src/a.py"]["tokens"] == tokens((root / "src" / "a.py").read_text())
    assert by_label["src/b.py lines 3-5"]["tokens"] == tokens("def b():\n    return 'beta'\n")
    assert all(i["fits"] for i in listing["items"]) and listing["fits"] is True
    assert listing["total"] == sum(i["tokens"] for i in listing["items"])
    assert listing["alias"] == "code-smart"
    assert listing["budget"] > listing["used"] > listing["total"]
    assert [i["label"] for i in removed["items"]] == ["src/a.py", "src/b.py", "src/b.py lines 3-5"]
    assert cleared == {"removed": 3} and empty["items"] == [] and empty["total"] == 0


async def test_budget_drops_lower_priority_whole_then_trims(tmp_path, fake):
    root = workspace(tmp_path)
    big = "".join(f"line_{i} = {i} * {i}\n" for i in range(400))
    (root / "big.py").write_text(big)
    config = loopback_config(
        fake.url,
        """
[aliases.tiny]
route = "openai:fake-tiny"
context_window = 1500
[context]
reserve_output_tokens = 500
""",
    )
    async with zeke_session(tmp_path, config, root=root) as client:
        await rpc(
            client,
            "zeke/contextAdd",
            {
                "uri": (root / "src" / "a.py").as_uri(),
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}},
            },
        )
        await rpc(client, "zeke/contextAdd", {"uri": (root / "big.py").as_uri()})
        await rpc(client, "zeke/contextAdd", {"uri": (root / "README.md").as_uri()})
        listing = await rpc(client, "zeke/contextList", {"model": "tiny"})
        await rpc(client, "zeke/setModel", {"alias": "tiny", "feature": "chat"})
        fake.queue(Reply(chunks=["ok"]))
        result = await rpc(client, "zeke/chat", {"message": "summarise"})
    assert listing["budget"] == 1000 and listing["fits"] is False
    items = {i["label"]: i for i in listing["items"]}
    assert items["src/a.py lines 1-3"]["fits"] is True  # pinned range: highest priority
    assert items["big.py"]["trimmed"] is True and items["big.py"]["included"] is True
    assert items["README.md"]["included"] is False  # lower priority, dropped whole
    assert [d["label"] for d in listing["dropped"]] == ["README.md"]
    assert listing["used"] <= listing["budget"]
    system = fake.calls("/chat/completions")[0].json["messages"][0]["content"]
    assert "zeke: trimmed here" in system and "line_0 = 0" in system and "line_399" not in system
    assert "Some words about it" not in system
    assert [d["label"] for d in result["context"]["dropped"]] == ["README.md"]


async def test_file_changed_on_disk_updates_the_set_and_deleted_file_leaves(tmp_path, fake):
    root = workspace(tmp_path)
    target = root / "src" / "a.py"
    async with zeke_session(tmp_path, loopback_config(fake.url), root=root) as client:
        changes = collect(client, "zeke/contextChanged")
        added = await rpc(client, "zeke/contextAdd", {"uri": target.as_uri()})
        item_id = added["added"][0]["id"]
        await wait_for_log(client, f"context watcher started: [{str(target.parent.resolve())!r}]")
        new_text = "def a():\n    return 'a much longer alpha value than before'\n" * 9
        target.write_text(new_text)
        await until(lambda: any(c["changed"] for c in changes))
        listing = await rpc(client, "zeke/contextList")
        target.unlink()
        await until(lambda: any(c["removed"] for c in changes))
        after = await rpc(client, "zeke/contextList")
    changed = next(c for c in changes if c["changed"])["changed"][0]
    assert changed["id"] == item_id and changed["tokens"] == tokens(new_text)
    assert listing["items"][0]["tokens"] == tokens(new_text)
    removed = next(c for c in changes if c["removed"])["removed"][0]
    assert removed["id"] == item_id and "deleted" in removed["reason"]
    assert after["items"] == []


async def test_refusals(tmp_path, fake):
    root = workspace(tmp_path)
    (root / "blob.bin").write_bytes(b"\x00\x01\x02binary")
    (root / "huge.txt").write_text("x" * 5000)
    outside = tmp_path / "outside.py"
    outside.write_text("secret = 1\n")
    (root / "link.py").symlink_to(outside)
    config = loopback_config(fake.url, "[context]\nmax_file_bytes = 4000\n")
    async with zeke_session(tmp_path, config, root=root) as client:
        for path, reason in [
            (outside, "outside the workspace"),
            (root / "link.py", "outside"),
            (root / "blob.bin", "binary"),
            (root / "huge.txt", "over the limit"),
            (root / "missing.py", "does not exist"),
        ]:
            with pytest.raises(Exception, match=reason):
                await rpc(client, "zeke/contextAdd", {"uri": path.as_uri()})
        with pytest.raises(Exception, match="outside"):
            await rpc(
                client,
                "zeke/contextAdd",
                {
                    "uri": (root / "README.md").as_uri(),
                    "range": {
                        "start": {"line": 10, "character": 0},
                        "end": {"line": 12, "character": 0},
                    },
                },
            )
        globbed = await rpc(client, "zeke/contextAdd", {"glob": "*"})
        with pytest.raises(Exception, match="matched no files"):
            await rpc(client, "zeke/contextAdd", {"glob": "*.nothing"})
        with pytest.raises(Exception, match="either uri"):
            await rpc(client, "zeke/contextAdd", {})
        with pytest.raises(Exception, match="no context item"):
            await rpc(client, "zeke/contextRemove", {"id": "ctx-999"})
    reasons = {s["path"].rsplit("/", 1)[-1]: s["reason"] for s in globbed["skipped"]}
    assert "binary" in reasons["blob.bin"] and "over the limit" in reasons["huge.txt"]
    assert "outside" in reasons["link.py"]
    assert [i["label"] for i in globbed["added"]] == ["README.md"]


async def test_open_buffer_wins_over_disk_and_vanished_file_is_reported(tmp_path, fake):
    root = workspace(tmp_path)
    path = root / "src" / "a.py"
    async with zeke_session(tmp_path, loopback_config(fake.url), root=root) as client:
        await rpc(client, "zeke/contextAdd", {"uri": path.as_uri()})
        open_document(client, path, "unsaved = 'edit in the editor'\n")
        listing = await rpc(client, "zeke/contextList")
        gone = root / "src" / "b.py"
        await rpc(client, "zeke/contextAdd", {"uri": gone.as_uri()})
        gone.unlink()
        after = await rpc(client, "zeke/contextList")
    assert listing["items"][0]["tokens"] == tokens("unsaved = 'edit in the editor'\n")
    assert [v["uri"] for v in after["vanished"]] == [gone.as_uri()] or all(
        i["label"] != "src/b.py" for i in after["items"]
    )
