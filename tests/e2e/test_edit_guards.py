"""Edit guards against a scripted bad model: every wrecked answer is refused with its reason
and leaves the file alone; a bare snippet is spliced over its definition, never a rewrite."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.provider import Reply
from tests.harness import loopback_config, open_document, rpc, zeke_session

SOURCE = (
    '"""Inventory helpers."""\n\n\ndef total_price(items):\n    total = 0\n'
    "    for item in items:\n        total += item['price']\n    return total\n\n\n"
    "def cheapest(items):\n    return min(items, key=lambda item: item['price'])\n\n\n"
    "def describe(item):\n    return item['name']\n"
)
SNIPPET = (
    '```python\ndef cheapest(items):\n    """The item with the lowest price."""\n'
    "    return min(items, key=lambda item: item['price'])\n```\n"
)


def params(uri: str, instruction: str = "add a docstring to cheapest") -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "instruction": instruction}


def whole(text: str) -> Reply:
    return Reply(chunks=[f"```python inv.py\n{text}```\n"])


async def refused(client: Any, uri: str, match: str, instruction: str | None = None) -> None:
    with pytest.raises(Exception, match=match) as failure:
        await rpc(client, "zeke/edit", params(uri, instruction or "add a docstring to cheapest"))
    assert getattr(failure.value, "code", None) == -32005


async def test_bare_snippet_is_spliced_over_its_definition(tmp_path, fake):
    root = tmp_path / "workspace"
    root.mkdir()
    fake.queue(
        Reply(chunks=[SNIPPET]), Reply(chunks=["```python\ndef unknown():\n    pass\n```\n"])
    )
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = open_document(client, root / "inv.py", SOURCE)
        proposal = await rpc(client, "zeke/edit", params(uri))
        assert [h["status"] for h in proposal["hunks"]] == ["applied"]
        diff = proposal["diff"]
        assert '+    """The item with the lowest price."""' in diff
        assert "-def total_price" not in diff and "-def describe" not in diff
        # SEARCH/REPLACE asked (the default) and the snippet names no definition: refused
        await refused(client, uri, "bare code block")
    prompt = fake.calls("/chat/completions")[0].json["messages"][0]["content"]
    assert "inv.py\n<<<<<<< SEARCH" in prompt and "path/of/file.ext" not in prompt


async def test_wrecked_results_are_refused_with_their_reason(tmp_path, fake):
    root = tmp_path / "workspace"
    root.mkdir()
    broken = SOURCE.replace("def describe(item):", "def describe(item:")
    dropped = SOURCE.split("\n\n\ndef describe")[0] + "\n"
    elided = SOURCE.replace("    total = 0\n", "    # ... rest of the function unchanged ...\n")
    rewritten = "".join(
        f"def {name}(x):\n    return {i}\n"
        for i, name in enumerate(["total_price", "cheapest", "describe"])
    )
    fake.queue(
        whole(broken),
        whole(dropped),
        whole(elided),
        whole(rewritten),
        whole(SOURCE.replace("    total = 0\n", "    total = 0.0\n")),
    )
    whole_format = loopback_config(fake.url) + '\n[edit]\nformat = "whole"\n'
    async with zeke_session(tmp_path, whole_format) as client:
        uri = open_document(client, root / "inv.py", SOURCE)
        await refused(client, uri, "would no longer parse")
        await refused(client, uri, "delete definitions .*describe")
        await refused(client, uri, "elides code")
        await refused(client, uri, r"rewrite most of inv.py .*similar")
        ok = await rpc(client, "zeke/edit", params(uri, "start total at 0.0"))
        assert [h["status"] for h in ok["hunks"]] == ["applied"]


async def test_a_named_definition_may_be_deleted(tmp_path, fake):
    root = tmp_path / "workspace"
    root.mkdir()
    fake.queue(whole(SOURCE.split("\n\n\ndef describe")[0] + "\n"))
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = open_document(client, root / "inv.py", SOURCE)
        proposal = await rpc(client, "zeke/edit", params(uri, "delete describe"))
    assert [h["status"] for h in proposal["hunks"]] == ["applied"]


@pytest.mark.parametrize("finish", [None, "length"])
async def test_stream_without_a_normal_finish_is_refused(tmp_path, fake, finish):
    """llama.cpp's interrupted request: `[DONE]` with no finish reason, half an answer."""
    root = tmp_path / "workspace"
    root.mkdir()
    half = "inv.py\n<<<<<<< SEARCH\ndef cheapest(items):\n=======\ndef cheapest(items):\n"
    fake.queue(
        Reply(
            chunks=[half + '    """The item', ' with"""\n>>>>>>> REPLACE\n'], finish_reason=finish
        )
    )
    async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
        uri = open_document(client, root / "inv.py", SOURCE)
        await refused(client, uri, "did not end normally" if finish is None else "token limit")
