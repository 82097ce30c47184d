"""`zeke-ls index PATH`: build (or update) the index of a directory and query it from a shell.

It uses the same database as the daemon (so it warms the daemon's cache, and a running daemon
makes it read-only). Search here is BM25 only; embeddings need the daemon's router.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from zeke_ls.config.store import ConfigStore
from zeke_ls.context.tokens import TokenCounter
from zeke_ls.index import repomap, retrieve
from zeke_ls.index.build import Limits, Report, sync
from zeke_ls.index.store import IndexUnavailable, Store


def progress(done: int, total: int, current: str) -> None:
    print(f"\rindexing {done}/{total} {current[-50:]:<50}", end="", file=sys.stderr, flush=True)


def run_index(
    path: str,
    config_path: str | None,
    query: str | None,
    repo_map: bool,
    budget: int,
    limit: int,
    as_json: bool,
) -> int:
    root = Path(path).resolve()
    if not root.is_dir():
        print(f"zeke-ls index: not a directory: {path}", file=sys.stderr)
        return 2
    settings = ConfigStore(config_path)
    settings.set_workspace_root(root)
    settings.reload()
    section = settings.config.index
    limits = Limits(
        section.max_files, section.max_file_bytes, section.max_total_bytes, section.workers
    )
    try:
        store = Store.open(root)
    except IndexUnavailable as exc:
        print(f"zeke-ls index: {exc}", file=sys.stderr)
        return 1
    for message in store.messages:
        print(f"zeke-ls index: {message}", file=sys.stderr)
    started = time.perf_counter()
    report = None if store.read_only else build(store, limits)
    out: dict[str, object] = {
        "root": str(root),
        "database": str(store.path),
        "readOnly": store.read_only,
        "counts": store.counts(),
        "build": report.to_json() if report else None,
    }
    if query:
        out["results"] = [hit.to_json() for hit in retrieve.search(store, query, limit)]
    if repo_map:
        out["repoMap"] = repomap.render(repomap.load_graph(store), TokenCounter(), budget)[0]
    out["seconds"] = round(time.perf_counter() - started, 3)
    print(json.dumps(out, indent=2) if as_json else human(out))
    store.release()
    return 0


def build(store: Store, limits: Limits) -> Report:
    from concurrent.futures import ProcessPoolExecutor

    if limits.workers <= 0:
        report = sync(store, limits, progress)
    else:
        with ProcessPoolExecutor(limits.workers) as pool:
            report = sync(store, limits, progress, pool)
    print(file=sys.stderr)
    return report


def human(out: dict[str, object]) -> str:
    lines = [f"index of {out['root']}: {out['counts']} ({out['database']})"]
    if out.get("build"):
        lines.append(f"build: {out['build']}")
    for hit in out.get("results", []):  # type: ignore[attr-defined]
        first = hit["text"].strip().splitlines()[0] if hit["text"].strip() else ""
        lines.append(
            f"{hit['score']:8.3f}  {hit['path']}:{hit['startLine'] + 1}-"
            f"{hit['endLine'] + 1}  {first[:80]}"
        )
    if out.get("repoMap"):
        lines.append(str(out["repoMap"]))
    return "\n".join(lines)
