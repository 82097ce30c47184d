"""Identifiers as search terms: `getUserName` and `get_user_name` both match "user name".

SQLite's FTS5 tokenizer splits on punctuation (so `_` already separates words) but not on
camelCase; terms are therefore made here, once, for chunks and queries alike: each identifier
gives its lowercase parts plus the whole identifier glued together, so an exact identifier
match scores higher than a match of its parts.
"""

from __future__ import annotations

import re
from functools import lru_cache

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

STOPWORDS = frozenset(
    [
        "and",
        "as",
        "assert",
        "async",
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "def",
        "default",
        "del",
        "do",
        "elif",
        "else",
        "end",
        "enum",
        "export",
        "extends",
        "false",
        "final",
        "finally",
        "fn",
        "for",
        "from",
        "func",
        "function",
        "go",
        "if",
        "impl",
        "import",
        "in",
        "interface",
        "is",
        "let",
        "local",
        "loop",
        "match",
        "mod",
        "mut",
        "new",
        "nil",
        "none",
        "not",
        "null",
        "of",
        "or",
        "package",
        "pass",
        "pub",
        "raise",
        "return",
        "self",
        "static",
        "struct",
        "super",
        "switch",
        "then",
        "this",
        "throw",
        "true",
        "try",
        "type",
        "typeof",
        "use",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "int",
        "str",
        "bool",
        "string",
        "char",
        "float",
        "double",
        "long",
        "unsigned",
        "usize",
        "u8",
        "u32",
        "i32",
        "i64",
        "u64",
        "err",
        "the",
        "to",
        "a",
        "an",
        "be",
        "it",
        "on",
        "at",
        "by",
    ]
)


def words(identifier: str) -> list[str]:
    """Lowercase parts of an identifier: `parseHTTPResponse_v2` -> parse, http, response, v, 2."""
    return [part.lower() for part in _PARTS.findall(identifier)]


def identifier_terms(identifier: str) -> list[str]:
    parts = words(identifier)
    glued = identifier.replace("_", "").lower()
    return parts if len(parts) <= 1 and glued in parts else [*parts, glued]


@lru_cache(maxsize=100_000)
def _terms_of(identifier: str) -> str:
    """Identifiers repeat a lot: splitting each distinct one once made builds 3x faster."""
    return "" if identifier.lower() in STOPWORDS else " ".join(identifier_terms(identifier))


def text_terms(text: str) -> str:
    """The FTS document for a piece of code: every identifier's terms, space-separated."""
    return " ".join(filter(None, map(_terms_of, IDENTIFIER.findall(text))))


def chunk_terms(path: str, name: str, text: str) -> str:
    """A chunk's FTS document: its file's path words and its name (twice) weigh in too."""
    names = text_terms(name)
    return (
        f"{text_terms(path.replace('/', ' ').replace('.', ' '))} {names} {names} {text_terms(text)}"
    )


def query_terms(text: str, limit: int = 32) -> list[str]:
    """Distinct terms of a query, most specific (longest) first, without stopwords."""
    seen: dict[str, None] = {}
    for identifier in IDENTIFIER.findall(text):
        if identifier.lower() in STOPWORDS:
            continue
        for term in identifier_terms(identifier):
            if len(term) > 1 and term not in STOPWORDS:
                seen.setdefault(term, None)
    return sorted(seen, key=len, reverse=True)[:limit]


def fts_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression that ORs the terms (each quoted, so none is an operator)."""
    return " OR ".join(f'"{term}"' for term in terms)
