"""Fixtures for the real-Neovim tests: a fake provider, a zeke.toml pointing at it, a workspace
with a sample file, and a headless Neovim running zeke.nvim against the real daemon."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.provider import FakeProvider
from tests.harness import loopback_config
from tests.nvim.driver import NvimDriver

TEST_TIME_LIMIT_S = 90
"""Each test's Neovim is killed after this long, so that no test can hang CI."""

SAMPLE = "def add(a, b):\n    return a + b\n\n\ndef main():\n    print(add(1, 2))\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    root.mkdir()
    (root / ".git").mkdir()  # a root marker
    (root / "sample.py").write_text(SAMPLE, encoding="utf-8")
    return root


@pytest.fixture
def config_path(tmp_path: Path, fake: FakeProvider) -> Path:
    path = tmp_path / "zeke.toml"
    path.write_text(loopback_config(fake.url), encoding="utf-8")
    return path


@pytest.fixture
def nvim(tmp_path: Path, config_path: Path, workspace: Path) -> Iterator[NvimDriver]:
    home = tmp_path / "home"
    home.mkdir()
    driver = NvimDriver(config_path, home, env={"ZEKE_TEST_KEY": "sk-test-secret-value-123"})
    driver.nvim.command(f"cd {workspace}")
    pid = driver.lua("return vim.fn.getpid()")
    watchdog = threading.Timer(TEST_TIME_LIMIT_S, lambda: os.kill(pid, signal.SIGKILL))
    watchdog.start()
    try:
        yield driver
    finally:
        watchdog.cancel()
        driver.close()
