"""Completion context, computed in a helper process after each edit.

Why a process: tree-sitter is not involved here, but the lookup is Python work (regexes over
the lines around the cursor, ranking), and a thread doing it holds the GIL exactly when the
completion request that follows the keystroke needs the event loop: measured, the completion
round trip grew by several milliseconds. In a process it costs the daemon one pickled string.
The process opens each database read-only (the daemon keeps writing it; WAL allows both).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from zeke_ls.context.packer import resolve_cursor
from zeke_ls.index import retrieve
from zeke_ls.index.store import Store

Target = tuple[str, str, str | None]
"""(database path, root, the document's path relative to that root or None)."""
Found = tuple[str, str, str]
"""(path, text, reason)."""

_stores: dict[str, Store] = {}


def store_for(database: str, root: str) -> Store:
    store = _stores.get(database)
    if store is None:
        store = _stores[database] = Store(Path(database), Path(root), read_only=True)
    return store


def completion_context(
    targets: list[Target],
    text: str,
    position: tuple[int, int] | None,
    max_symbols: int,
    max_chunks: int,
) -> list[Found]:
    cursor = resolve_cursor(text, *position) if position else None
    offset = cursor.offset if cursor else 0
    found: list[Found] = []
    for database, root, rel in targets:
        try:
            store = store_for(database, root)
            found += [
                (f.path, f.text, f.reason)
                for f in retrieve.completion_context(
                    store, text, offset, rel, max_symbols, max_chunks
                )
            ]
        except sqlite3.Error:
            _stores.pop(database, None)  # rebuilt under us: reopen next time
    return found
