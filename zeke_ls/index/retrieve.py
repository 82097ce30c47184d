"""Finding what a prompt needs: exact symbol lookup, BM25 over chunks, and their fusion.

For a completion the strongest signal is exact: the callee being typed and the identifiers just
above the cursor name definitions that live in other files. Those are looked up by name and
ranked by distance from the cursor (and whether the file imports something that looks like the
definition's path). BM25 over chunks (SQLite FTS5) catches what names alone miss; with an
embeddings alias, vector similarity joins BM25 by reciprocal rank fusion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from zeke_ls.index.store import Store
from zeke_ls.index.terms import IDENTIFIER, STOPWORDS, fts_query, query_terms

RRF_K = 60
LOOKBACK_LINES = 40
LOOKAHEAD_LINES = 5
MAX_DEFINITIONS_PER_NAME = 4
"""A name defined in more files than this (`get`, `run`) is too ambiguous to look up."""
_CALLEE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*[(<]?\s*$")
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_BOUND = re.compile(
    r"(?:^|[\s,(])([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=\n]*)?=(?!=)"
    r"|for\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\b",
    re.MULTILINE,
)
_IMPORT_LINE = re.compile(
    r"^\s*(?:from\s+([\w.]+)\s+import\s+(.+)|import\s+([\w., ]+)"  # Python
    r"|import\s+(?:type\s+)?(?:\{([^}]*)\}|(\w+)).*?from\s+['\"]([^'\"]+)['\"]"  # JS/TS
    r"|(?:local\s+)?(\w+)\s*=\s*require\s*\(?\s*['\"]([^'\"]+)['\"]"  # Lua
    r"|use\s+([\w:{}, ]+);"  # Rust
    r"|#include\s+[\"<]([^\">]+)[\">])",  # C
    re.MULTILINE,
)


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk."""

    chunk_id: int
    path: str
    start_line: int
    end_line: int
    name: str
    text: str
    score: float

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "score": round(self.score, 6),
            "startLine": self.start_line,
            "endLine": self.end_line,
            "text": self.text,
        }


# --- identifiers around the cursor -----------------------------------------------------------


def cursor_names(text: str, offset: int) -> list[str]:
    """Identifiers worth looking up, best first: the callee at the cursor; then names that are
    called, imported or capitalised (types), nearest the cursor first; then other identifiers
    that the code around the cursor does not bind itself (locals are defined right here)."""
    start = _line_offset(text, offset, -LOOKBACK_LINES)
    end = _line_offset(text, offset, LOOKAHEAD_LINES)
    window = text[start:end]
    before = text[start:offset]
    imported = imported_names(text)
    strong = set(_CALL.findall(window)) | set(imported)
    bound = {a or b for a, b in _BOUND.findall(window)}
    callee = _CALLEE.search(before)
    first = [callee.group(1)] if callee else []
    nearby = [*reversed(IDENTIFIER.findall(before)), *IDENTIFIER.findall(text[offset:end])]
    tier1 = [n for n in nearby if n in strong or n[:1].isupper()]
    tier2 = [n for n in nearby if n not in bound]
    ranked = dict.fromkeys([*first, *tier1, *imported, *tier2])
    return [n for n in ranked if len(n) > 1 and n.lower() not in STOPWORDS]


def _line_offset(text: str, offset: int, lines: int) -> int:
    position = offset
    if lines < 0:
        for _ in range(-lines):
            position = text.rfind("\n", 0, position)
            if position < 0:
                return 0
        return position + 1
    for _ in range(lines):
        position = text.find("\n", position + 1)
        if position < 0:
            return len(text)
    return position


def imported_names(text: str) -> list[str]:
    names: list[str] = []
    for match in _IMPORT_LINE.finditer(text[:20_000]):
        for group in match.groups():
            if group:
                names.extend(IDENTIFIER.findall(group))
    return names


def import_hints(text: str) -> set[str]:
    """Path-like words from the imports (`httpx._client` -> `_client`, `client`)."""
    hints: set[str] = set()
    for match in _IMPORT_LINE.finditer(text[:20_000]):
        for group in match.groups():
            for word in IDENTIFIER.findall(group or ""):
                hints.add(word.lower())
                hints.add(word.lower().strip("_"))
    return hints


# --- lookups ---------------------------------------------------------------------------------


def lookup(
    store: Store, names: list[str], exclude_path: str | None, hints: set[str], limit: int
) -> list[dict[str, Any]]:
    """Definitions of `names` in other files, in the order of `names`; per name the top-level
    definition in a file whose path matches an import wins."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for row in store.definitions(names[:200]):
        lowercase_variable = row["kind"] == "variable" and not row["name"][:1].isupper()
        if row["path"] != exclude_path and not lowercase_variable:
            by_name.setdefault(row["name"], []).append(row)
    chosen: list[dict[str, Any]] = []
    for name in names:
        rows = by_name.get(name)
        if not rows or len({r["path"] for r in rows}) > MAX_DEFINITIONS_PER_NAME:
            continue
        rows.sort(
            key=lambda r: (
                -path_affinity(r["path"], hints),
                not r["topLevel"],
                r["kind"] == "variable",
                r["path"],
            )
        )
        chosen.append(rows[0])
        if len(chosen) >= limit:
            break
    return chosen


def path_affinity(path: str, hints: set[str]) -> int:
    parts = {p.lower().strip("_") for p in re.split(r"[/.\\-]", path) if p}
    return len(parts & hints)


def bm25(store: Store, query: str, limit: int, exclude_path: str | None = None) -> list[Hit]:
    ranked = store.search_terms(fts_query(query_terms(query)), limit + 8)
    return hits(store, ranked, exclude_path)[:limit]


def hits(store: Store, ranked: list[tuple[int, float]], exclude_path: str | None) -> list[Hit]:
    rows = store.chunks([cid for cid, _ in ranked])
    out = []
    for cid, score in ranked:
        row = rows.get(cid)
        if row is not None and row["path"] != exclude_path:
            out.append(
                Hit(
                    cid,
                    row["path"],
                    row["startLine"],
                    row["endLine"],
                    row["name"],
                    row["text"],
                    score,
                )
            )
    return out


def rrf(*rankings: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: sum of 1 / (k + rank) over the rankings a chunk appears in."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (cid, _) in enumerate(ranking):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(fused.items(), key=lambda item: -item[1])


def search(
    store: Store,
    query: str,
    limit: int,
    vector_ranking: list[tuple[int, float]] | None = None,
    exclude_path: str | None = None,
) -> list[Hit]:
    """BM25, fused with a vector ranking when one is given."""
    lexical = store.search_terms(fts_query(query_terms(query)), max(limit * 3, 20))
    ranked = rrf(lexical, vector_ranking) if vector_ranking else lexical
    return hits(store, ranked[: limit + 8], exclude_path)[:limit]


# --- completion context ----------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A snippet for a prompt and why it was chosen."""

    path: str
    text: str
    reason: str
    """`symbol NAME` or `bm25`."""


def completion_context(
    store: Store,
    text: str,
    offset: int,
    path: str | None,
    max_symbols: int = 8,
    max_chunks: int = 2,
    use_bm25: bool = True,
    vector_ranking: list[tuple[int, float]] | None = None,
) -> list[Found]:
    """Definitions of the symbols near the cursor, then BM25 chunks for the lines above it."""
    names = cursor_names(text, offset)
    found = [
        Found(row["path"], definition_text(row), f"symbol {row['name']}")
        for row in lookup(store, names, path, import_hints(text), max_symbols)
    ]
    if use_bm25 and max_chunks:
        seen = {f.text for f in found}
        query = text[_line_offset(text, offset, -12) : offset]
        results = (
            search(store, query, max_chunks, vector_ranking, path)
            if vector_ranking
            else bm25(store, query, max_chunks, path)
        )
        found.extend(Found(h.path, h.text, "bm25") for h in results if h.text not in seen)
    return found


def definition_text(row: dict[str, Any]) -> str:
    container = f"(in {row['container']}) " if row["container"] else ""
    return f"{container}{row['card']}" if container and row["kind"] == "method" else row["card"]
