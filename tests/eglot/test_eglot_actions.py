"""The quick actions in a real Emacs + eglot (batch mode), with no Zeke plugin at all.

Emacs runs `run_actions.el`, which starts zeke-ls through eglot, asks for code actions on a
selection and executes explain, fix, doc and test exactly as eglot executes a chosen action.
The model is the loopback fake provider. Skipped when `emacs` or eglot is not installed
(Debian: `apt-get install emacs-nox elpa-eglot`; `.ci/run` installs them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.provider import Recorded, Reply
from tests.harness import daemon_env, loopback_config

HERE = Path(__file__).parent
SOURCE = "def add(a, b):\n    return a - b\n\nprint(add(1, 2))\n"
FIX = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n"
DOC = (
    "calc.py\n<<<<<<< SEARCH\ndef add(a, b):\n=======\ndef add(a, b):\n"
    '    """Add two numbers."""\n>>>>>>> REPLACE\n'
)
TESTS = (
    "test_calc.py\n<<<<<<< SEARCH\n=======\nfrom calc import add\n\n\n"
    "def test_add():\n    assert add(1, 2) == 3\n>>>>>>> REPLACE\n"
)
EXPLANATION = "It subtracts b from a, although its name says it adds."


def eglot_available() -> bool:
    if shutil.which("emacs") is None:
        return False
    probe = subprocess.run(
        [
            "emacs",
            "--batch",
            "--eval",
            "(progn (require 'package) (package-initialize) (require 'eglot))",
        ],
        capture_output=True,
        timeout=60,
    )
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not eglot_available(), reason="emacs with eglot is not installed")


def answer(request: Recorded) -> Reply:
    prompt = str((request.json.get("messages") or [{}])[-1].get("content", ""))
    if "Explain what the selected code does" in prompt:
        return Reply(chunks=[EXPLANATION])
    if "Fix the problems" in prompt:
        return Reply(chunks=[FIX])
    if "Add documentation comments" in prompt:
        return Reply(chunks=[DOC])
    if "Write unit tests" in prompt:
        return Reply(chunks=[TESTS])
    return Reply(chunks=["unexpected prompt"])


def test_each_quick_action_reaches_the_user_in_eglot(tmp_path, fake):
    fake.responder = answer
    root = tmp_path / "workspace"
    root.mkdir()
    source = root / "calc.py"
    source.write_text(SOURCE)
    config = tmp_path / "zeke.toml"
    config.write_text(loopback_config(fake.url))
    out = tmp_path / "result.json"
    home = tmp_path / "home"
    home.mkdir()
    env = daemon_env(home, {"PYTHONPATH": os.getcwd()})
    run = subprocess.run(
        [
            "emacs",
            "--batch",
            "-l",
            str(HERE / "run_actions.el"),
            "--",
            str(root),
            str(source),
            str(out),
            sys.executable,
            str(config),
        ],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.exists(), run.stderr[-3000:]
    result = json.loads(out.read_text())
    assert "error" not in result, (result, run.stderr[-3000:])
    messages = "\n".join(result["messages"])
    # explain: the answer reached the user (eglot shows window/showMessage), buffer untouched
    assert EXPLANATION in messages
    assert result["afterExplain"] == SOURCE
    # fix: the buffer changed through workspace/applyEdit, and the editor's undo reverts it
    assert result["afterFix"] == SOURCE.replace("a - b", "a + b")
    assert result["afterUndo"] == SOURCE
    # doc: a docstring was added to the (restored) buffer
    assert '    """Add two numbers."""\n    return a - b' in result["afterDoc"]
    # test: eglot 1.9 has no CreateFile support, so the new file was written through Glyph
    assert "def test_add" in (root / "test_calc.py").read_text()
    assert "Zeke: fixing" in messages  # the start notice for clients without $/progress
