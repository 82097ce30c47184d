"""The repository index of a session: its databases, its threads, and what features ask of it.

Nothing here runs on the event loop except bookkeeping. Writes (builds, updates, vectors) go
to one writer thread; queries (search, repo map, completion precompute) to one reader thread,
with its own SQLite connection (WAL lets it read while the writer writes), so a build never
delays a search and neither ever blocks an LSP request. Completion never waits on either: the
definitions near the cursor are precomputed after each edit and kept per document, and the
completion request only reads that dictionary.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from zeke_ls.context.budget import Piece
from zeke_ls.context.packer import Snippet
from zeke_ls.context.tokens import TokenCounter
from zeke_ls.index import precompute, repomap, retrieve, vectors
from zeke_ls.index.build import Limits, Report, ignored, sync, update_paths
from zeke_ls.index.store import IndexUnavailable, Store

log = logging.getLogger(__name__)

T = TypeVar("T")
Embed = Callable[[list[str]], Awaitable[list[list[float]]]]
WORKSPACE = "@workspace"


def to_path(uri: str) -> Path | None:
    from pygls.uris import to_fs_path

    path = to_fs_path(uri)
    return Path(path) if path else None


def del_oldest(table: dict[str, Any], keep: int) -> None:
    while len(table) > keep:
        table.pop(next(iter(table)))


ProgressSink = Callable[[str, dict[str, Any]], None]
"""("begin" | "report" | "end", {"title"/"message"/"percentage"}), called on the loop."""


@dataclass
class RootIndex:
    root: Path
    store: Store | None = None
    report: Report | None = None
    error: str = ""
    graph: repomap.Graph | None = None
    table: vectors.VectorTable = field(default_factory=vectors.VectorTable)
    counts: dict[str, int] | None = None
    """Refreshed by the writer after each change, so the status never queries on the loop."""


@dataclass
class Precomputed:
    version: int | None
    snippets: list[Snippet]
    reasons: list[str]
    millis: float


@dataclass
class Options:
    limits: Limits = field(default_factory=Limits)
    max_symbols: int = 8
    max_chunks: int = 2
    db_dir: Path | None = None
    precompute_delay_s: float = 0.15


class IndexService:
    def __init__(
        self,
        roots: list[Path],
        options: Options,
        counter: TokenCounter,
        progress: ProgressSink | None = None,
        embed: Embed | None = None,
        embed_model: str = "",
    ):
        self.roots = [RootIndex(root) for root in roots]
        self.options = options
        self.counter = counter
        self.progress = progress
        self.embed = embed
        self.embed_model = embed_model
        self.state = "idle"
        self.messages: list[str] = []
        self.uses: dict[str, int] = {}
        self.last_use: dict[str, Any] = {}
        self.precomputed: dict[str, Precomputed] = {}
        self._pending: dict[str, tuple[str | None, str, tuple[int, int] | None, int | None]] = {}
        self._inflight: set[str] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._pool_for_precompute: Any = None
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="zeke-index-writer")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="zeke-index-reader")
        self._loop: asyncio.AbstractEventLoop | None = None
        self.embedded = 0
        self.built = asyncio.Event()
        """Set when the first build has finished (whatever its outcome)."""

    # --- running work off the loop -----------------------------------------------------------

    async def _write(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._reader, fn, *args)

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        if self.progress is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self.progress, kind, data)

    # --- building ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Open (or rebuild) every root's database and bring it up to date."""
        self._loop = asyncio.get_running_loop()
        self.state = "building"
        self._emit("begin", {"title": "zeke: indexing", "message": "scanning files"})
        started = time.perf_counter()
        try:
            for entry in self.roots:
                await self._write(self._build_root, entry)
        finally:
            self._emit("end", {"message": self.summary()})
        self.state = "ready" if any(e.store for e in self.roots) else "unavailable"
        self.built.set()
        log.info(
            "index %s in %.2f s: %s", self.state, time.perf_counter() - started, self.summary()
        )
        if self.embed is not None:
            await self.embed_pending()

    def _build_root(self, entry: RootIndex) -> None:
        try:
            entry.store = Store.open(entry.root, self._db_path(entry.root))
        except (IndexUnavailable, OSError) as exc:
            entry.error = str(exc)
            self._note(f"index of {entry.root} unavailable: {exc}")
            return
        for message in entry.store.messages:
            self._note(message)
        if entry.store.read_only:
            entry.counts = entry.store.counts()
            return
        with self._pool() as pool:
            entry.report = sync(entry.store, self.options.limits, self._on_progress, pool)
        if entry.report.truncated:
            self._note(f"index of {entry.root} incomplete: {entry.report.truncated}")
        entry.graph = None
        entry.counts = entry.store.counts()

    def _db_path(self, root: Path) -> Path | None:
        from zeke_ls.index.store import db_path_for

        return db_path_for(root, self.options.db_dir) if self.options.db_dir else None

    def _pool(self) -> Any:
        import contextlib

        workers = self.options.limits.workers
        if workers <= 0:
            return contextlib.nullcontext(None)
        # spawn, not fork: forking a process that runs threads and an event loop can deadlock
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

    def _on_progress(self, done: int, total: int, current: str) -> None:
        self._emit(
            "report",
            {
                "message": f"{done}/{total} files ({current})",
                "percentage": int(done * 100 / max(total, 1)),
            },
        )

    def _note(self, message: str) -> None:
        log.warning("%s", message)
        self.messages.append(message)
        del self.messages[:-20]

    async def refresh(self, paths: list[Path]) -> Report | None:
        """Re-index changed files (a save, a watcher event); ignored and unknown ones skipped."""
        by_root: dict[int, list[str]] = {}
        for path in paths:
            found = self.locate(path)
            if found is not None and not ignored(found[0].root, found[1]):
                by_root.setdefault(self.roots.index(found[0]), []).append(found[1])
        last = None
        for position, rels in by_root.items():
            entry = self.roots[position]
            if entry.store is not None and not entry.store.read_only:
                last = await self._write(update_paths, entry.store, rels, self.options.limits)
                entry.graph = None
                entry.counts = await self._write(entry.store.counts)
        if last is not None and self.embed is not None:
            await self.embed_pending()
        return last

    def locate(self, path: Path) -> tuple[RootIndex, str] | None:
        for entry in self.roots:
            if path.is_relative_to(entry.root):
                return entry, path.relative_to(entry.root).as_posix()
        return None

    # --- embeddings --------------------------------------------------------------------------

    async def embed_pending(self, limit: int = 100_000) -> int:
        """Fetch vectors for chunks that have none; failures leave BM25 alone and say so."""
        assert self.embed is not None
        done = 0
        for entry in self.roots:
            store = entry.store
            if store is None or store.read_only:
                continue
            todo = await self._write(vectors.pending, store, self.embed_model, limit)
            for start in range(0, len(todo), vectors.BATCH):
                batch = todo[start : start + vectors.BATCH]
                try:
                    found = await self.embed([text for _, text in batch])
                except Exception as exc:
                    self._note(f"embeddings unavailable ({exc}); search uses BM25 only")
                    return done
                await self._write(vectors.save, store, [cid for cid, _ in batch], found)
                done += len(batch)
            entry.counts = await self._write(store.counts)
        self.embedded += done
        return done

    async def _vector_ranking(
        self, entry: RootIndex, query: str, limit: int
    ) -> list[tuple[int, float]] | None:
        if self.embed is None or entry.store is None:
            return None
        try:
            vector = (await self.embed([query]))[0]
        except Exception as exc:
            self._note(f"embeddings unavailable ({exc}); search uses BM25 only")
            return None
        return await self._read(entry.table.nearest, entry.store, vector, limit)

    # --- queries -----------------------------------------------------------------------------

    def _stores(self) -> list[tuple[RootIndex, Store]]:
        return [(e, e.store) for e in self.roots if e.store is not None]

    async def search(self, query: str, limit: int) -> list[dict[str, Any]]:
        results: list[tuple[Path, retrieve.Hit]] = []
        for entry, store in self._stores():
            ranking = await self._vector_ranking(entry, query, max(limit * 3, 20))
            hits = await self._read(retrieve.search, store, query, limit, ranking)
            results.extend((entry.root, hit) for hit in hits)
        results.sort(key=lambda item: -item[1].score)
        return [{"root": str(root), **hit.to_json()} for root, hit in results[:limit]]

    async def repo_map(self, budget: int, focus: list[Path] | None = None) -> tuple[str, list[str]]:
        return await self._read(self._repo_map, budget, focus or [])

    def _repo_map(self, budget: int, focus: list[Path]) -> tuple[str, list[str]]:
        text_parts: list[str] = []
        shown: list[str] = []
        for entry, store in self._stores():
            if entry.graph is None:
                entry.graph = repomap.load_graph(store)
            local = {
                p.relative_to(entry.root).as_posix() for p in focus if p.is_relative_to(entry.root)
            }
            text, files = repomap.render(
                entry.graph,
                self.counter,
                budget - sum(self.counter.count(t) for t in text_parts),
                local,
            )
            text_parts.append(text)
            shown.extend(files)
        return "".join(text_parts), shown

    async def definitions_in(
        self, text: str, path: Path | None, limit: int = 6
    ) -> list[retrieve.Found]:
        """Definitions (in other files) of the names used in `text`: for edit prompts."""
        return await self._read(self._definitions_in, text, path, limit)

    def _definitions_in(self, text: str, path: Path | None, limit: int) -> list[retrieve.Found]:
        found: list[retrieve.Found] = []
        for entry, store in self._stores():
            rel = (
                path.relative_to(entry.root).as_posix()
                if path and path.is_relative_to(entry.root)
                else None
            )
            names = retrieve.cursor_names(text, len(text))
            rows = retrieve.lookup(store, names, rel, retrieve.import_hints(text), limit)
            found.extend(
                retrieve.Found(r["path"], retrieve.definition_text(r), f"symbol {r['name']}")
                for r in rows
            )
        return found[:limit]

    async def chat_pieces(self, message: str, results: int, map_tokens: int) -> list[Piece]:
        """`@workspace` in a chat message: the chunks that match it and the repo map."""
        if WORKSPACE not in message or self.state != "ready":
            return []
        query = message.replace(WORKSPACE, " ")
        pieces = [
            Piece(
                f"index:{hit['path']}:{hit['startLine'] + 1}",
                "index",
                f"{hit['path']} lines {hit['startLine'] + 1}-{hit['endLine'] + 1} "
                f"(workspace search)",
                hit["text"],
            )
            for hit in await self.search(query, results)
        ]
        map_files: list[str] = []
        if map_tokens:
            text, map_files = await self.repo_map(map_tokens)
            if text:
                pieces.append(
                    Piece(
                        "index:repo-map",
                        "index",
                        "repository map (files ranked by references)",
                        text,
                    )
                )
        self.note_use(
            "chat", {"chunks": len(pieces) - bool(map_files), "repoMapFiles": len(map_files)}
        )
        return pieces

    async def edit_context(self, text: str, path: Path | None) -> str:
        """Definitions from other files that `text` (an edit's selection) refers to."""
        if self.state != "ready":
            return ""
        found = await self.definitions_in(text, path)
        if not found:
            return ""
        self.note_use("edit", {"definitions": [f.reason for f in found]})
        blocks = "".join(f"{f.path}:\n```\n{f.text}\n```\n" for f in found)
        return f"Definitions from other files that this code uses:\n{blocks}\n"

    # --- completion precompute ---------------------------------------------------------------

    def note_document(
        self,
        uri: str,
        path: Path | None,
        text: str,
        position: tuple[int, int] | None,
        version: int | None,
        delay: float | None = None,
    ) -> None:
        """Precompute the definitions near `position` (line, UTF-16 column) once the document has been quiet for
        `delay` seconds (typing bursts cost one precompute, and it never competes with the
        completion request that follows a keystroke); at most one runs per document."""
        if self.state != "ready" or self._loop is None:
            return
        located = self.locate(path) if path else None
        self._pending[uri] = (located[1] if located else None, text, position, version)
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        wait = self.options.precompute_delay_s if delay is None else delay
        self._timers[uri] = self._loop.call_later(wait, self._fire, uri)

    def _fire(self, uri: str) -> None:
        self._timers.pop(uri, None)
        if uri not in self._inflight and uri in self._pending:
            self._launch(uri)

    def _launch(self, uri: str) -> None:
        rel, text, position, version = self._pending.pop(uri)
        targets = [
            (str(store.path), str(entry.root), rel if entry is self._root_of(rel, uri) else None)
            for entry, store in self._stores()
        ]
        started = time.perf_counter()
        self._inflight.add(uri)
        future = self._precompute_pool().submit(
            precompute.completion_context,
            targets,
            text,
            position,
            self.options.max_symbols,
            self.options.max_chunks,
        )
        loop = self._loop
        assert loop is not None
        future.add_done_callback(
            lambda done: loop.call_soon_threadsafe(self._landed, uri, version, started, done)
        )

    def _root_of(self, rel: str | None, uri: str) -> RootIndex | None:
        path = to_path(uri)
        located = self.locate(path) if path else None
        return located[0] if located and rel is not None else None

    def _landed(self, uri: str, version: int | None, started: float, done: Any) -> None:
        self._inflight.discard(uri)
        try:
            found = done.result()
        except Exception as exc:  # a broken helper process costs the snippets, not completion
            log.warning("completion precompute failed for %s: %s", uri, exc)
            self._pool_for_precompute = None
        else:
            self.precomputed[uri] = Precomputed(
                version,
                [Snippet(path, text) for path, text, _ in found],
                [reason for _, _, reason in found],
                (time.perf_counter() - started) * 1000,
            )
            del_oldest(self.precomputed, 64)
        if uri in self._pending and uri not in self._timers:
            self._launch(uri)

    def _precompute_pool(self) -> Any:
        """One helper process (a thread when `[index] workers = 0`)."""
        if self._pool_for_precompute is None:
            if self.options.limits.workers > 0:
                self._pool_for_precompute = ProcessPoolExecutor(
                    1, mp_context=multiprocessing.get_context("spawn")
                )
            else:
                self._pool_for_precompute = self._reader
        return self._pool_for_precompute

    def completion_snippets(self, uri: str) -> list[Snippet]:
        """What the last precompute found for `uri`: a dictionary lookup, no index work."""
        found = self.precomputed.get(uri)
        if found is None:
            return []
        self.note_use(
            "completion",
            {"uri": uri, "snippets": len(found.snippets), "reasons": found.reasons[:8]},
        )
        return found.snippets

    def forget(self, uri: str) -> None:
        self.precomputed.pop(uri, None)
        self._pending.pop(uri, None)
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()

    # --- status ------------------------------------------------------------------------------

    def note_use(self, feature: str, detail: dict[str, Any]) -> None:
        self.uses[feature] = self.uses.get(feature, 0) + 1
        self.last_use[feature] = detail

    def summary(self) -> str:
        parts = []
        for entry in self.roots:
            if entry.report is not None:
                r = entry.report
                parts.append(
                    f"{entry.root.name}: {r.seen} files, {r.parsed} parsed, "
                    f"{r.skipped} skipped in {r.seconds:.1f} s"
                )
            elif entry.error:
                parts.append(f"{entry.root.name}: unavailable")
            elif entry.store is not None and entry.store.read_only:
                parts.append(f"{entry.root.name}: read-only")
        return "; ".join(parts) or "no workspace roots"

    def status(self) -> dict[str, Any]:
        roots = []
        for entry in self.roots:
            item: dict[str, Any] = {"root": str(entry.root), "error": entry.error or None}
            if entry.store is not None:
                item.update(
                    database=str(entry.store.path),
                    readOnly=entry.store.read_only,
                    counts=entry.counts,
                )
            if entry.report is not None:
                item["lastBuild"] = entry.report.to_json()
            roots.append(item)
        return {
            "state": self.state,
            "roots": roots,
            "messages": list(self.messages),
            "embeddings": {"model": self.embed_model or None, "embedded": self.embedded},
            "uses": dict(self.uses),
            "lastUse": dict(self.last_use),
            "precomputed": [
                {
                    "uri": uri,
                    "version": p.version,
                    "snippets": len(p.snippets),
                    "millis": round(p.millis, 2),
                }
                for uri, p in list(self.precomputed.items())[-20:]
            ],
        }

    async def close(self) -> None:
        def release() -> None:
            for entry in self.roots:
                if entry.store is not None:
                    entry.store.release()

        await self._write(release)
        if isinstance(self._pool_for_precompute, ProcessPoolExecutor):
            self._pool_for_precompute.shutdown(wait=False, cancel_futures=True)
        self._writer.shutdown(wait=False)
        self._reader.shutdown(wait=False)
