"""Glyph `scan` and `search` on a 10,000-file tree: pure Python vs ripgrep.

The verdict decides `zeke_ls/glyph/fast.py` RIPGREP_FOR: ripgrep is used only where it wins.
Both paths must also give identical answers (checked here on every query).

    .venv/bin/python bench/bench_search.py [--files 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zeke_ls.glyph import fast
from zeke_ls.workspace import walk

WORDS = [
    "def",
    "return",
    "self",
    "value",
    "items",
    "config",
    "result",
    "async",
    "await",
    "class",
    "import",
    "from",
    "None",
    "True",
    "False",
    "print",
    "data",
    "path",
    "handle",
    "error",
]


def build_tree(root: Path, files: int) -> None:
    rng = random.Random(1)
    (root / ".gitignore").write_text("build/\n*.log\n")
    per_dir = 100
    for index in range(files):
        directory = root / f"pkg{index // per_dir:03d}" / ("build" if index % 50 == 0 else "src")
        directory.mkdir(parents=True, exist_ok=True)
        lines = [
            f"def f{index}_{n}({rng.choice(WORDS)}):"
            if n % 8 == 0
            else "    " + " ".join(rng.choice(WORDS) for _ in range(8))
            for n in range(60)
        ]
        if index % 997 == 0:
            lines.insert(30, "    needle_marker = 'zeke'  # rare")
        suffix = ".log" if index % 100 == 1 else ".py"
        (directory / f"mod{index}{suffix}").write_text("\n".join(lines) + "\n")


def timed(action: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, result


def run(root: Path, repeat: int) -> list[tuple[str, float, float | None, bool]]:
    queries: list[tuple[str, Callable[[], object]]] = [
        ("scan all files", lambda: fast.scan(root, root, None, 20_000)),
        ("scan **/*.py", lambda: fast.scan(root, root, ["**/*.py"], 20_000)),
        ("search rare literal", lambda: search(root, "needle_marker", False, 200)),
        ("search common literal (limit 200)", lambda: search(root, "config", False, 200)),
        ("search regex (limit 200)", lambda: search(root, r"def f\d+_8\(", True, 200)),
        ("search regex, few hits", lambda: search(root, r"needle_\w+ = ", True, 200)),
    ]
    rows = []
    has_rg = shutil.which("rg") is not None
    for name, action in queries:
        os.environ["ZEKE_GLYPH_RIPGREP"] = "0"
        python_ms, python_result = timed(action, repeat)
        rg_ms, same = None, True
        if has_rg:
            os.environ["ZEKE_GLYPH_RIPGREP"] = "1"
            rg_ms, rg_result = timed(action, repeat)
            same = rg_result == python_result
        rows.append((name, python_ms, rg_ms, same))
    return rows


def search(root: Path, query: str, regex: bool, limit: int) -> object:
    pattern = walk.compile_query(query, regex, True)
    return fast.search(root, root, pattern, query, regex, True, None, limit, 2_000_000)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        started = time.perf_counter()
        build_tree(root, args.files)
        print(
            f"tree: {args.files} files ({time.perf_counter() - started:.1f} s to build); "
            f"ripgrep: {shutil.which('rg') or 'not installed'}"
        )
        rows = run(root, args.repeat)
    print("\n| operation | pure Python (ms) | ripgrep (ms) | speed-up | same answer |")
    print("|---|---|---|---|---|")
    for name, python_ms, rg_ms, same in rows:
        rg = f"{rg_ms:.0f}" if rg_ms is not None else "n/a"
        ratio = f"{python_ms / rg_ms:.1f}x" if rg_ms else "n/a"
        print(f"| {name} | {python_ms:.0f} | {rg} | {ratio} | {'yes' if same else 'NO'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
