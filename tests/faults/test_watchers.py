"""The config watcher watches the config files' directories only: never the workspace
recursively, never through a symlink out of the roots. Counted as the daemon's inotify
watches (`/proc/<pid>/fdinfo`), which is what a big tree would exhaust."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.faults.raw import RawDaemon

pytestmark = pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="Linux only")


def inotify_watches(pid: int) -> int:
    count = 0
    for info in Path(f"/proc/{pid}/fdinfo").iterdir():
        try:
            count += info.read_text().count("inotify wd:")
        except OSError:
            continue
    return count


async def settled_watches(pid: int, timeout: float = 10.0) -> int:
    """The watch count once it is non-zero and unchanged over five polls 50 ms apart."""
    deadline = asyncio.get_running_loop().time() + timeout
    seen: list[int] = []
    while asyncio.get_running_loop().time() < deadline:
        seen.append(inotify_watches(pid))
        if seen[-1] and len(seen) >= 5 and len(set(seen[-5:])) == 1:
            return seen[-1]
        await asyncio.sleep(0.05)
    return seen[-1] if seen else 0


def wide_tree(root: Path, count: int) -> None:
    for i in range(count):
        (root / f"d{i:03}").mkdir(parents=True)


async def test_config_watcher_holds_a_handful_of_watches(tmp_path, tally):
    outside = tmp_path / "elsewhere"
    wide_tree(outside, 200)
    daemon = RawDaemon(tmp_path, '[chat]\nmodel = "code-smart"\n')
    (daemon.root / "src").mkdir()
    (daemon.root / "docs").mkdir()
    wide_tree(daemon.root / "vendor-own", 30)
    os.symlink(outside, daemon.root / "vendor")
    await daemon.start()
    try:
        await daemon.initialize()
        watches = await settled_watches(daemon.pid)
        tally.check(
            "inotify watches with a 200-dir symlink and 30 own dirs",
            1 <= watches <= 4,
            f"{watches} watches",
        )
        config = tmp_path / "zeke.toml"
        config.write_text('[chat]\nmodel = "code-fast"\n')
        reloaded = False
        for _ in range(100):
            status = await daemon.call(f"s{_}", "zeke/status", {})
            if status["result"]["features"]["chat"] == "code-fast":
                reloaded = True
                break
            await asyncio.sleep(0.05)
        tally.check("config file edits still reload", reloaded)
        (daemon.root / ".zeke.toml").write_text('[chat]\nmodel = "local"\n')
        reloaded = False
        for _ in range(100):
            status = await daemon.call(f"w{_}", "zeke/status", {})
            if status["result"]["features"]["chat"] == "local":
                reloaded = True
                break
            await asyncio.sleep(0.05)
        tally.check("workspace .zeke.toml edits still reload", reloaded)
    finally:
        await daemon.stop()
