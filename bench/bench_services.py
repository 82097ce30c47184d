"""Pinning a large glob while the daemon keeps answering (issue 10's freeze).

Starts the real daemon on a workspace (this repository's own checkout by default, with its
`.venv` and caches present), sends `zeke/contextAdd {"glob": "**/*.py"}`, and meanwhile
sends `zeke/status` back to back. Prints the pin's time and file count, and `zeke/status`
latency during the pin side by side with the same request on the idle daemon (the ratio is
what the freeze changed: it was minutes, all of them blocking).

    .venv/bin/python bench/bench_services.py [--root PATH] [--glob '**/*.py']
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.provider import FakeProvider
from tests.harness import loopback_config, rpc, zeke_session


def summary(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"p50 {statistics.median(ms):7.2f} ms  p95 {p95:7.2f} ms  max {ms[-1]:7.2f} ms  (n={len(ms)})"


async def status_latencies(client, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    found = []
    for _ in range(count):
        started = time.perf_counter()
        await rpc(client, "zeke/status", {})
        found.append(time.perf_counter() - started)
    return found


async def run(root: Path, pattern: str) -> None:
    fake = FakeProvider().start()
    config = loopback_config(fake.url, "[context]\nmax_glob_files = 100000\n")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with zeke_session(Path(tmp), config, root=root) as client:
                idle = await status_latencies(client, 50)
                pin = asyncio.ensure_future(rpc(client, "zeke/contextAdd", {"glob": pattern}))
                started = time.perf_counter()
                during: list[float] = []
                while not pin.done():
                    during += await status_latencies(client, 1)
                added = await pin
                elapsed = time.perf_counter() - started
    finally:
        fake.stop()
    print(
        f"workspace {root}: pinned {len(added['added'])} files matching {pattern!r} "
        f"({len(added['skipped'])} skipped) in {elapsed:.2f} s"
    )
    print(f"zeke/status idle        {summary(idle)}")
    print(f"zeke/status during pin  {summary(during)}")
    print(f"ratio during/idle p50   {statistics.median(during) / statistics.median(idle):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--glob", default="**/*.py")
    args = parser.parse_args()
    asyncio.run(run(args.root.resolve(), args.glob))


if __name__ == "__main__":
    main()
