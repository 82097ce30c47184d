"""`zeke-ls shim pylsp`: Grim starts "pylsp" and gets zeke-ls plus the user's real pylsp.

The shim is installed as a `pylsp` script on PATH exactly as the Grim README says, the real
pylsp (python-lsp-server) sits behind it, and the client speaks Grim's wire.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.grim import GrimClient
from tests.fakes.provider import Reply
from tests.harness import daemon_env, loopback_config

TEXT = "import os\n\n\ndef tidy(name):\n    return os.\n"
real_pylsp = shutil.which("pylsp", path=str(Path(sys.executable).parent))


def shim_env(tmp_path: Path, path: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    config = tmp_path / "home" / ".config" / "zeke"
    config.mkdir(parents=True, exist_ok=True)
    return daemon_env(home, {"PYTHONPATH": os.getcwd(), "PATH": path})


@pytest.mark.skipif(real_pylsp is None, reason="python-lsp-server is not installed")
async def test_the_pylsp_shim_serves_zeke_and_the_real_pylsp(tmp_path, fake):
    fake.default = Reply(chunks=["path.basename(name)\n"])
    (tmp_path / "home" / ".config" / "zeke").mkdir(parents=True)
    (tmp_path / "home" / ".config" / "zeke" / "zeke.toml").write_text(loopback_config(fake.url))
    shims = tmp_path / "bin"
    shims.mkdir()
    venv_bin = str(Path(sys.executable).parent)
    env = shim_env(tmp_path, os.pathsep.join([str(shims), venv_bin, "/usr/bin", "/bin"]))
    installed = subprocess.run(
        [sys.executable, "-m", "zeke_ls", "shim", "pylsp", "--install", str(shims)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    script = (shims / "pylsp").read_text()
    assert "zeke-ls shim" in script and "-m zeke_ls shim pylsp" in script, installed.stdout
    root = tmp_path / "workspace"
    root.mkdir()
    grim = await GrimClient.start(["pylsp"], env, str(root))
    try:
        init = await grim.initialize(root.as_uri())
        uri = (root / "tidy.py").as_uri()
        grim.did_open(uri, TEXT)
        completion = await grim.request("textDocument/completion", grim.at(uri, 4, 14), 60)
        hover = await grim.request("textDocument/hover", grim.at(uri, 0, 8), 60)
        highlight = await grim.request("textDocument/documentHighlight", grim.at(uri, 3, 9), 60)
    finally:
        await grim.close()
    caps = init["result"]["capabilities"]
    assert caps.get("definitionProvider")  # pylsp's, kept
    assert "zeke.fix" in caps["executeCommandProvider"]["commands"]  # zeke-ls's, added
    assert "pylsp" in init["result"]["serverInfo"]["name"]
    labels = [item["label"] for item in completion["result"]["items"]]
    assert "path.basename(name)" in labels  # zeke-ls's AI item
    assert any(label.startswith("path") and label != "path.basename(name)" for label in labels)
    assert "os routines" in str(hover["result"]).lower()  # pylsp's documentation
    assert isinstance(highlight["result"], list) and highlight["result"]  # pylsp's highlights
    assert grim.process.returncode == 0


async def test_without_a_real_pylsp_the_shim_serves_zeke_alone(tmp_path, fake):
    fake.default = Reply(chunks=["path.basename(name)\n"])
    config = tmp_path / "zeke.toml"
    config.write_text(loopback_config(fake.url))
    env = shim_env(tmp_path, "/usr/bin:/bin")
    root = tmp_path / "workspace"
    root.mkdir()
    grim = await GrimClient.start(
        [sys.executable, "-m", "zeke_ls", "shim", "pylsp", "--config", str(config)], env, str(root)
    )
    try:
        init = await grim.initialize(root.as_uri())
        uri = (root / "tidy.py").as_uri()
        grim.did_open(uri, TEXT)
        completion = await grim.request("textDocument/completion", grim.at(uri, 4, 14), 30)
    finally:
        await grim.close()
    assert init["result"]["serverInfo"]["name"] == "zeke-ls"
    assert [i["label"] for i in completion["result"]["items"]] == ["path.basename(name)"]
