"""The index database: one SQLite file per workspace root under the user's cache directory.

`$XDG_CACHE_HOME/zeke-ls/index/<hash of the root>.sqlite` (default `~/.cache/...`). It is a
cache: deleting it costs one rebuild. Opening it copes with what a cache meets in the wild:
a database of another schema version or a corrupt file is replaced (with a message saying so),
and a database that another zeke-ls is already maintaining is opened read-only (its owner
holds an exclusive `flock` on `<db>.lock`), so two daemons on one repository never fight over
writes. Every connection belongs to one thread (the index's writer or reader thread).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from zeke_ls.index.extract import FileRecord, Skipped
from zeke_ls.index.terms import chunk_terms

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, mtime_ns INTEGER,
    size INTEGER, hash TEXT, language TEXT, skipped TEXT, refs TEXT);
CREATE TABLE symbols (id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, name TEXT NOT NULL,
    kind TEXT, start_line INTEGER, end_line INTEGER, signature TEXT, doc TEXT, container TEXT,
    top_level INTEGER, card TEXT);
CREATE INDEX symbols_name ON symbols(name);
CREATE INDEX symbols_file ON symbols(file_id);
CREATE TABLE chunks (id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, start_line INTEGER,
    end_line INTEGER, name TEXT, text BLOB);
CREATE INDEX chunks_file ON chunks(file_id);
CREATE VIRTUAL TABLE chunk_terms USING fts5(terms, tokenize = 'unicode61');
CREATE TABLE vectors (chunk_id INTEGER PRIMARY KEY, vector BLOB);
"""


class IndexUnavailable(Exception):
    """The database can be neither used nor rebuilt; the message says why."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "zeke-ls" / "index"


def db_path_for(root: Path, directory: Path | None = None) -> Path:
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return (directory or cache_dir()) / f"{root.name or 'root'}-{digest}.sqlite"


@dataclass
class FileState:
    id: int
    mtime_ns: int
    size: int
    hash: str


@dataclass
class Store:
    """The database of one root. `read_only` when another daemon owns it."""

    path: Path
    root: Path
    read_only: bool = False
    messages: list[str] = field(default_factory=list)
    """What happened while opening (rebuilt, read-only), for the status and the log."""
    _local: threading.local = field(default_factory=threading.local)
    _lock_file: IO[str] | None = None
    _chunk_id: int | None = None

    # --- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path, path: Path | None = None) -> Store:
        path = path or db_path_for(root)
        path.parent.mkdir(parents=True, exist_ok=True)
        store = cls(path, root)
        store._take_ownership()
        if store.read_only:
            if not path.exists():
                raise IndexUnavailable(f"{store.messages[-1]}; it has not built an index yet")
            store._check_readable()
            return store
        store._prepare()
        return store

    def _take_ownership(self) -> None:
        lock_path = self.path.with_suffix(".lock")
        handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held while we live
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            handle.close()
            self.read_only = True
            self.messages.append(
                f"another zeke-ls (pid {owner}) is maintaining the index of "
                f"{self.root}; using it read-only"
            )
            return
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle

    def _prepare(self) -> None:
        """Create, upgrade or replace the database so that it has our schema."""
        problem = self._problem()
        if problem is None:
            return
        if problem != "missing":
            self.messages.append(f"the index database {self.path} {problem}; rebuilt it")
            log.warning("%s", self.messages[-1])
        self.close_connection()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")
        db = self.db
        db.executescript(SCHEMA)
        db.execute(
            "INSERT INTO meta VALUES ('schema_version', ?), ('root', ?)",
            (str(SCHEMA_VERSION), str(self.root)),
        )
        db.commit()

    def _problem(self) -> str | None:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return "missing"
        try:
            version = self.meta("schema_version")
            if version != str(SCHEMA_VERSION):
                return f"has schema version {version}, this zeke-ls uses {SCHEMA_VERSION}"
            verdict = self.db.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            return f"is unreadable ({exc})"
        return None if verdict == "ok" else f"is corrupt ({verdict})"

    def _check_readable(self) -> None:
        try:
            version = self.meta("schema_version")
        except sqlite3.DatabaseError as exc:
            raise IndexUnavailable(
                f"the index database {self.path} is unreadable ({exc}) and owned by another zeke-ls"
            ) from None
        if version != str(SCHEMA_VERSION):
            raise IndexUnavailable(
                f"the index database has schema version {version} and is "
                "owned by another zeke-ls, which must rebuild it"
            )

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (SQLite connections must stay in their thread)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self.read_only:
                conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=2)
            else:
                conn = sqlite3.connect(self.path, timeout=5)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def close_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def release(self) -> None:
        self.close_connection()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        self.db.commit()

    # --- writing ------------------------------------------------------------------------------

    def file_states(self) -> dict[str, FileState]:
        rows = self.db.execute("SELECT path, id, mtime_ns, size, hash FROM files")
        return {path: FileState(i, m, s, h) for path, i, m, s, h in rows}

    def write_file(
        self, rel: str, mtime_ns: int, size: int, digest: str, result: FileRecord | Skipped
    ) -> None:
        """Replace everything known about one file (call `commit()` after a batch)."""
        db = self.db
        self._forget(rel)
        record = result if isinstance(result, FileRecord) else None
        cursor = db.execute(
            "INSERT INTO files (path, mtime_ns, size, hash, language, skipped, refs) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                rel,
                mtime_ns,
                size,
                digest,
                record.language if record else None,
                None if record else result.reason,  # type: ignore[union-attr]
                " ".join(record.references) if record else "",
            ),
        )
        if record is None:
            return
        file_id = cursor.lastrowid
        db.executemany(
            "INSERT INTO symbols (file_id, name, kind, start_line, end_line, signature, doc, "
            "container, top_level, card) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    file_id,
                    d.name,
                    d.kind,
                    d.start_line,
                    d.end_line,
                    d.signature,
                    d.doc,
                    d.container,
                    int(d.top_level),
                    d.card,
                )
                for d in record.definitions
            ],
        )
        first = self._next_chunk_id()
        ids = range(first, first + len(record.chunks))
        self._chunk_id = first + len(record.chunks)
        db.executemany(
            "INSERT INTO chunks (id, file_id, start_line, end_line, name, text) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (cid, file_id, c.start_line, c.end_line, c.name, c.blob or compress(c.text))
                for cid, c in zip(ids, record.chunks, strict=True)
            ],
        )
        db.executemany(
            "INSERT INTO chunk_terms (rowid, terms) VALUES (?, ?)",
            [
                (cid, c.terms or chunk_terms(rel, c.name, c.text))
                for cid, c in zip(ids, record.chunks, strict=True)
            ],
        )

    def _next_chunk_id(self) -> int:
        """Chunk ids are handed out here (only the owner writes), so that a file's chunks and
        their FTS rows go in with one `executemany` each."""
        if self._chunk_id is None:
            self._chunk_id = int(
                self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM chunks").fetchone()[0]
            )
        return self._chunk_id

    def touch(self, rel: str, mtime_ns: int, size: int) -> None:
        """The file's content is unchanged (same hash): remember its new mtime only."""
        self.db.execute(
            "UPDATE files SET mtime_ns = ?, size = ? WHERE path = ?", (mtime_ns, size, rel)
        )

    def remove(self, paths: Iterable[str]) -> None:
        for rel in paths:
            self._forget(rel)

    def _forget(self, rel: str) -> None:
        db = self.db
        row = db.execute("SELECT id FROM files WHERE path = ?", (rel,)).fetchone()
        if row is None:
            return
        file_id = row[0]
        chunk_ids = [
            (cid,) for (cid,) in db.execute("SELECT id FROM chunks WHERE file_id = ?", (file_id,))
        ]
        db.executemany("DELETE FROM chunk_terms WHERE rowid = ?", chunk_ids)
        db.executemany("DELETE FROM vectors WHERE chunk_id = ?", chunk_ids)
        db.execute("DELETE FROM chunks WHERE file_id = ?", (file_id,))
        db.execute("DELETE FROM symbols WHERE file_id = ?", (file_id,))
        db.execute("DELETE FROM files WHERE id = ?", (file_id,))

    def commit(self) -> None:
        self.db.commit()

    # --- reading ------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        db = self.db

        def one(sql: str) -> int:
            return int(db.execute(sql).fetchone()[0])

        return {
            "files": one("SELECT count(*) FROM files WHERE skipped IS NULL"),
            "skipped": one("SELECT count(*) FROM files WHERE skipped IS NOT NULL"),
            "symbols": one("SELECT count(*) FROM symbols"),
            "chunks": one("SELECT count(*) FROM chunks"),
            "vectors": one("SELECT count(*) FROM vectors"),
        }

    def skipped(self, limit: int = 20) -> list[dict[str, str]]:
        rows = self.db.execute(
            "SELECT path, skipped FROM files WHERE skipped IS NOT NULL ORDER BY path LIMIT ?",
            (limit,),
        )
        return [{"path": p, "reason": r} for p, r in rows]

    def search_terms(self, match: str, limit: int) -> list[tuple[int, float]]:
        """(chunk id, BM25 score: higher is better) for an FTS5 MATCH expression."""
        if not match:
            return []
        rows = self.db.execute(
            "SELECT rowid, bm25(chunk_terms) AS score FROM chunk_terms WHERE chunk_terms "
            "MATCH ? ORDER BY score LIMIT ?",
            (match, limit),
        )
        return [(int(rowid), -float(score)) for rowid, score in rows]

    def chunks(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        rows = self.db.execute(
            "SELECT c.id, f.path, c.start_line, c.end_line, c.name, c.text FROM chunks c "
            "JOIN files f ON f.id = c.file_id WHERE c.id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        )
        for cid, path, start, end, name, blob in rows:
            found[cid] = {
                "path": path,
                "startLine": start,
                "endLine": end,
                "name": name,
                "text": zlib.decompress(blob).decode("utf-8", "replace"),
            }
        return found

    def definitions(self, names: list[str]) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT s.name, s.kind, f.path, s.start_line, s.end_line, s.signature, s.doc, "
            "s.container, s.top_level, s.card FROM symbols s JOIN files f ON f.id = s.file_id "
            "WHERE s.name IN (SELECT value FROM json_each(?))",
            (json.dumps(names),),
        )
        return [definition_row(row) for row in rows]

    def outline_rows(self) -> Iterator[tuple[int, str, str, str, int, str]]:
        """(file id, path, name, kind, top_level, signature) of every definition, in order."""
        yield from self.db.execute(
            "SELECT f.id, f.path, s.name, s.kind, s.top_level, s.signature FROM symbols s "
            "JOIN files f ON f.id = s.file_id ORDER BY f.id, s.start_line"
        )

    def file_refs(self) -> Iterator[tuple[int, str, str]]:
        yield from self.db.execute("SELECT id, path, refs FROM files WHERE skipped IS NULL")


def compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8", "replace"), 1)


def definition_row(row: tuple[Any, ...]) -> dict[str, Any]:
    name, kind, path, start, end, signature, doc, container, top, card = row
    return {
        "name": name,
        "kind": kind,
        "path": path,
        "startLine": start,
        "endLine": end,
        "signature": signature,
        "doc": doc,
        "container": container,
        "topLevel": bool(top),
        "card": card,
    }
