"""One file's definitions, references and chunks, from its bytes (pure: no I/O, no SQLite).

`extract()` runs in the index's worker thread (or a worker process). It never raises for bad
input: a file that is binary, minified, huge or unparsable comes back as a `Skipped` with the
reason, and the index records that instead of crashing or retrying it on every start.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from zeke_ls.index.languages import (
    COMMENT_PREFIXES,
    CONTAINER_KINDS,
    grammar,
    language_for,
    parser_for,
)
from zeke_ls.index.terms import IDENTIFIER, STOPWORDS, chunk_terms

MAX_CHUNK_LINES = 80
"""A top-level definition longer than this is cut at its nested definitions (or every 80)."""
CARD_BODY_LINES = 30
"""Functions up to this long are shown whole as a completion snippet; longer ones abridged."""
MAX_SIGNATURE_CHARS = 400
MINIFIED_LINE_CHARS = 1000
"""Average characters per line above which a file is generated/minified and skipped."""
_WRAPPERS = {
    "decorated_definition",
    "export_statement",
    "lexical_declaration",
    "variable_declaration",
    "Decl",
}
_BODIES = {
    "block",
    "Block",
    "compound_statement",
    "statement_block",
    "class_body",
    "declaration_list",
    "field_declaration_list",
    "ContainerDecl",
    "enum_body",
}


@dataclass
class Definition:
    name: str
    kind: str
    start_line: int  # 0-based, inclusive
    end_line: int  # 0-based, inclusive
    signature: str
    doc: str
    container: str = ""
    top_level: bool = True
    card: str = ""
    """What a prompt shows for this definition: short body whole, else signature + doc."""


@dataclass
class Chunk:
    start_line: int
    end_line: int
    text: str
    name: str
    """The definition this chunk holds ("" for the lines between definitions)."""
    terms: str = ""
    """Its FTS document, made here so that worker processes share the work."""
    blob: bytes = b""
    """Its text compressed for the database, likewise."""


@dataclass
class FileRecord:
    language: str
    definitions: list[Definition] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    """Distinct identifiers used in the file (name-based, not resolved)."""


@dataclass
class Skipped:
    reason: str


def skip_reason(data: bytes, max_bytes: int) -> str | None:
    if len(data) > max_bytes:
        return f"larger than {max_bytes} bytes"
    if b"\0" in data[:8192]:
        return "binary"
    lines = data.count(b"\n") + 1
    if len(data) > 4096 and len(data) / lines > MINIFIED_LINE_CHARS:
        return "minified or generated (very long lines)"
    return None


def extract(path: str, data: bytes, max_bytes: int = 1_000_000) -> FileRecord | Skipped:
    language = language_for(path)
    if language is None:
        return Skipped("no grammar for this file type")
    reason = skip_reason(data, max_bytes)
    if reason:
        return Skipped(reason)
    try:
        tree = parser_for(language).parse(data)
        text = data.decode("utf-8", errors="replace")
        lines = text.splitlines()
        definitions = find_definitions(language, tree.root_node, data, lines)
    except Exception as exc:  # a grammar bug must cost one file, never the index
        return Skipped(f"parse failed: {type(exc).__name__}: {exc}")
    if tree.root_node.type == "ERROR":
        return Skipped("parse failed: the whole file is a syntax error")
    chunks = make_chunks(definitions, lines)
    for chunk in chunks:
        chunk.terms = chunk_terms(path, chunk.name, chunk.text)
        chunk.blob = zlib.compress(chunk.text.encode("utf-8", "replace"), 1)
    return FileRecord(language, [d for d, _ in definitions], chunks, references(text))


def references(text: str) -> list[str]:
    return sorted(
        {
            name
            for name in IDENTIFIER.findall(text)
            if len(name) > 1 and name.lower() not in STOPWORDS
        }
    )


def find_definitions(
    language: str, root: Any, data: bytes, lines: list[str]
) -> list[tuple[Definition, tuple[int, int]]]:
    """Definitions in source order, with the line span of their outermost wrapper
    (decorators, `export`, `const x =`) for chunking."""
    from tree_sitter import QueryCursor

    found: dict[int, tuple[Any, Any, str]] = {}
    for _, match in QueryCursor(grammar(language).query).matches(root):
        names = match.get("name")
        for capture, nodes in match.items():
            if capture.startswith("definition.") and names:
                node = nodes[0]
                found.setdefault(node.start_byte, (node, names[0], capture[11:]))
    ordered = sorted(found.values(), key=lambda item: (item[0].start_byte, -item[0].end_byte))
    result: list[tuple[Definition, tuple[int, int]]] = []
    stack: list[tuple[int, Definition]] = []  # (end_byte, definition) of open containers
    for node, name_node, kind in ordered:
        while stack and stack[-1][0] <= node.start_byte:
            stack.pop()
        parent = stack[-1][1] if stack else None
        if parent is not None and kind == "function" and parent.kind in CONTAINER_KINDS:
            kind = "method"
        definition = describe(language, node, name_node, kind, data, lines, parent)
        result.append((definition, outer_span(node)))
        stack.append((node.end_byte, definition))
    return result


def describe(
    language: str,
    node: Any,
    name_node: Any,
    kind: str,
    data: bytes,
    lines: list[str],
    parent: Definition | None,
) -> Definition:
    name = data[name_node.start_byte : name_node.end_byte].decode("utf-8", "replace")
    start, end = node.start_point[0], last_line(node)
    body = body_of(node)
    head_end = body.start_byte if body is not None else node.end_byte
    signature = signature_text(data[node.start_byte : head_end].decode("utf-8", "replace"))
    doc = python_docstring(body, data) if language == "python" else ""
    doc = doc or comment_above(language, lines, outer_span(node)[0])
    definition = Definition(
        name,
        kind,
        start,
        end,
        signature,
        doc,
        container=parent.name if parent else "",
        top_level=parent is None,
    )
    definition.card = card(definition, lines)
    return definition


def body_of(node: Any) -> Any:
    body = node.child_by_field_name("body")
    if body is not None:
        return body
    for child in node.children:
        if child.type in _BODIES:
            return child
    return None


def outer_span(node: Any) -> tuple[int, int]:
    outer = node
    while outer.parent is not None and outer.parent.type in _WRAPPERS:
        outer = outer.parent
    return outer.start_point[0], last_line(outer)


def last_line(node: Any) -> int:
    """The node's last line; a node ending with its line break (`#define`) ends before it."""
    row, column = node.end_point
    return row - 1 if column == 0 and row > node.start_point[0] else row


def signature_text(head: str) -> str:
    lines = [line.rstrip() for line in head.strip().splitlines()[:6]]
    text = "\n".join(lines).rstrip(" {")
    return text[:MAX_SIGNATURE_CHARS]


def python_docstring(body: Any, data: bytes) -> str:
    if body is None or not body.children:
        return ""
    first = body.children[0]
    if first.type == "expression_statement" and first.children:
        first = first.children[0]
    if first.type == "string":
        raw = data[first.start_byte : first.end_byte].decode("utf-8", "replace")
        return raw.strip().strip("rRbBuU").strip("\"'").strip()[:600]
    return ""


_BLOCK_COMMENT = re.compile(r"^\s*(/\*\*?|\*/?|///?|//!)")


def comment_above(language: str, lines: list[str], start: int) -> str:
    """The comment lines directly above a definition (its doc in most languages)."""
    prefixes = COMMENT_PREFIXES.get(language, ("//", "/*", "*"))
    taken: list[str] = []
    line = start - 1
    while line >= 0 and len(taken) < 12:
        stripped = lines[line].strip() if line < len(lines) else ""
        if not stripped or not stripped.startswith(prefixes):
            break
        taken.append(stripped)
        line -= 1
    return "\n".join(reversed(taken))[:600]


def card(definition: Definition, lines: list[str]) -> str:
    """A definition as a prompt snippet: a short one whole, a long one as signature + doc."""
    length = definition.end_line - definition.start_line + 1
    if definition.kind not in CONTAINER_KINDS and length <= CARD_BODY_LINES:
        return "\n".join(lines[definition.start_line : definition.end_line + 1])
    parts = [definition.signature]
    if definition.doc:
        parts.append(f"    {definition.doc}" if "\n" not in definition.doc else definition.doc)
    return "\n".join(parts) + "\n    ..."


def make_chunks(
    definitions: list[tuple[Definition, tuple[int, int]]], lines: list[str]
) -> list[Chunk]:
    """One chunk per top-level definition, the lines between them grouped, long ones cut."""
    chunks: list[Chunk] = []
    covered = 0
    tops = [(d, span) for d, span in definitions if d.top_level]
    for definition, (start, end) in tops:
        start = min(start, definition.start_line)
        if start < covered:
            continue
        start = doc_start(lines, start)
        if start > covered:
            chunks.extend(window(lines, covered, start - 1, ""))
        nested = [
            d.start_line for d, _ in definitions if not d.top_level and start < d.start_line <= end
        ]
        chunks.extend(split(lines, start, end, definition.name, nested))
        covered = end + 1
    if covered < len(lines):
        chunks.extend(window(lines, covered, len(lines) - 1, ""))
    return [c for c in chunks if c.text.strip()]


def doc_start(lines: list[str], start: int) -> int:
    """Move a chunk's start up over the comment block right above the definition."""
    while start > 0 and lines[start - 1].strip().startswith(("#", "//", "/*", "*", "--")):
        start -= 1
    return start


def split(lines: list[str], start: int, end: int, name: str, cuts: list[int]) -> list[Chunk]:
    if end - start + 1 <= MAX_CHUNK_LINES:
        return window(lines, start, end, name)
    pieces: list[Chunk] = []
    begin = start
    for cut in [*cuts, end + 1]:
        if cut - begin >= MAX_CHUNK_LINES // 2 or cut == end + 1:
            pieces.extend(window(lines, begin, cut - 1, name))
            begin = cut
    return pieces


def window(lines: list[str], start: int, end: int, name: str) -> list[Chunk]:
    """Lines start..end (inclusive) as chunks of at most MAX_CHUNK_LINES lines."""
    out = []
    pieces = -(-(end - start + 1) // MAX_CHUNK_LINES)
    size = -(-(end - start + 1) // max(pieces, 1))  # even pieces: no 2-line tail chunk
    for begin in range(start, end + 1, size):
        stop = min(end, begin + size - 1)
        out.append(Chunk(begin, stop, "\n".join(lines[begin : stop + 1]), name))
    return out
