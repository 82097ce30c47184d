"""zeke-ls serving Grim's real traffic, from a client that reproduces Grim's wire exactly."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from tests.fakes.grim import GrimClient
from tests.fakes.provider import Reply
from tests.harness import daemon_env, loopback_config

OPENED = "def add(a, b):\n    ret\n"
PROMPTLY_S = 2.0


async def start_grim(tmp_path: Path, fake_url: str, extra: str = "") -> tuple[GrimClient, Path]:
    root = tmp_path / "workspace"
    root.mkdir(exist_ok=True)
    config = tmp_path / "zeke.toml"
    config.write_text(loopback_config(fake_url, extra))
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = daemon_env(home, {"PYTHONPATH": os.getcwd()})
    grim = await GrimClient.start(
        [sys.executable, "-m", "zeke_ls", "--config", str(config)], env, str(root)
    )
    answer = await grim.initialize(root.as_uri())
    assert "result" in answer, answer
    return grim, root


async def test_grim_completion_fits_the_opened_text_and_reads_well(tmp_path, fake):
    fake.queue(Reply(chunks=["urn a + b\n"]), Reply(chunks=["print(add(1, 2))\n"]))
    grim, root = await start_grim(tmp_path, fake.url)
    try:
        uri = (root / "calc.py").as_uri()
        grim.did_open(uri, OPENED)
        first = await grim.request("textDocument/completion", grim.at(uri, 1, 7))
        # Grim's buffer has moved on (no didChange): a line the opened copy does not have
        later = await grim.request("textDocument/completion", grim.at(uri, 4, 2))
    finally:
        await grim.close()
    assert "error" not in first and "error" not in later, (first, later)
    assert [i["label"] for i in first["result"]["items"]] == ["return a + b"]
    assert [i["label"] for i in later["result"]["items"]] == ["print(add(1, 2))"]
    prompt = fake.calls("/completions")[1].json["prompt"]
    assert prompt.endswith("    ret\n")  # clamped to the end of the copy Grim opened
    assert grim.server_requests == []


async def test_grim_hover_and_highlight_answer_promptly(tmp_path, fake):
    fake.queue(Reply(chunks=["Adds a and b."]))
    grim, root = await start_grim(tmp_path, fake.url)
    try:
        uri = (root / "calc.py").as_uri()
        grim.did_open(uri, OPENED)
        started = time.monotonic()
        highlight = await grim.request(
            "textDocument/documentHighlight", grim.at(uri, 0, 4), PROMPTLY_S
        )
        highlight_s = time.monotonic() - started
        hover = await grim.request("textDocument/hover", grim.at(uri, 0, 4), PROMPTLY_S)
        blank = await grim.request("textDocument/hover", grim.at(uri, 9, 0), PROMPTLY_S)
    finally:
        await grim.close()
    assert highlight["result"] == [] and highlight_s < PROMPTLY_S
    assert "Adds a and b." in hover["result"]["contents"]["value"]  # AI hover on K
    assert blank["result"] is None  # nothing to explain: an immediate empty answer
    assert (
        "Explain what the selected code does"
        in (fake.calls("/chat/completions")[0].json["messages"][-1]["content"])
    )


async def test_grim_hover_without_ai_hover_is_an_immediate_null(tmp_path, fake):
    grim, root = await start_grim(tmp_path, fake.url, '[chat]\nai_hover = "off"\n')
    try:
        uri = (root / "calc.py").as_uri()
        grim.did_open(uri, OPENED)
        hover = await grim.request("textDocument/hover", grim.at(uri, 0, 4), PROMPTLY_S)
    finally:
        await grim.close()
    assert hover == {"jsonrpc": "2.0", "id": hover["id"], "result": None}
    assert fake.calls("/chat/completions") == []


async def test_a_saved_file_is_reread_since_grim_sends_no_did_change(tmp_path, fake):
    fake.queue(Reply(chunks=["b\n"]))
    grim, root = await start_grim(tmp_path, fake.url)
    try:
        path = root / "calc.py"
        path.write_text(OPENED)
        uri = path.as_uri()
        grim.did_open(uri, OPENED)
        await grim.request("textDocument/documentHighlight", grim.at(uri, 0, 0))  # opened now
        saved = "def add(a, b):\n    return a +\n"
        path.write_text(saved)
        os.utime(path, (time.time() + 5, time.time() + 5))  # newer than the opened copy
        grim.did_save(uri)
        answer = await grim.request("textDocument/completion", grim.at(uri, 1, 15))
    finally:
        await grim.close()
    assert "error" not in answer, answer
    assert fake.calls("/completions")[0].json["prompt"].endswith("    return a +")
