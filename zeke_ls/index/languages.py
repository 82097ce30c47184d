"""Which files the index reads, and the tree-sitter queries that find their definitions.

Grammars come from `tree-sitter-language-pack` 0.x, whose wheel bundles the compiled grammars
(the 1.x line downloads them at run time, which an offline machine cannot do). Each query
captures a definition node as `@definition.KIND` and its name as `@name`; everything else
(signatures, docstrings, nesting) is derived from those two nodes in `extract.py`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".lua": "lua",
    ".zig": "zig",
    ".c": "c",
    ".h": "c",
}

_JS_COMMON = """
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(method_definition name: (property_identifier) @name) @definition.method
(variable_declarator name: (identifier) @name
  value: [(arrow_function) (function_expression)]) @definition.function
"""

QUERIES = {
    "python": """
(function_definition name: (identifier) @name) @definition.function
(class_definition name: (identifier) @name) @definition.class
(module (assignment left: (identifier) @name) @definition.variable)
""",
    "javascript": _JS_COMMON + "(class_declaration name: (identifier) @name) @definition.class\n",
    "typescript": _JS_COMMON
    + """
(class_declaration name: (type_identifier) @name) @definition.class
(abstract_class_declaration name: (type_identifier) @name) @definition.class
(interface_declaration name: (type_identifier) @name) @definition.interface
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
""",
    "go": """
(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(type_declaration (type_spec name: (type_identifier) @name)) @definition.type
(source_file (const_declaration (const_spec name: (identifier) @name)) @definition.constant)
(source_file (var_declaration (var_spec name: (identifier) @name)) @definition.variable)
""",
    "rust": """
(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function
(struct_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(trait_item name: (type_identifier) @name) @definition.trait
(type_item name: (type_identifier) @name) @definition.type
(union_item name: (type_identifier) @name) @definition.struct
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant
(macro_definition name: (identifier) @name) @definition.macro
(mod_item name: (identifier) @name body: (_)) @definition.module
(impl_item type: (type_identifier) @name) @definition.impl
""",
    "lua": """
(function_declaration name: (identifier) @name) @definition.function
(function_declaration name: (dot_index_expression field: (identifier) @name)) @definition.function
(function_declaration name: (method_index_expression method: (identifier) @name)) @definition.method
(assignment_statement (variable_list name: (identifier) @name)
  (expression_list value: (function_definition))) @definition.function
(assignment_statement (variable_list name: (dot_index_expression field: (identifier) @name))
  (expression_list value: (function_definition))) @definition.function
""",
    "zig": """
(Decl (FnProto function: (IDENTIFIER) @name)) @definition.function
(source_file (Decl (VarDecl variable_type_function: (IDENTIFIER) @name)) @definition.constant)
(ContainerDecl (ContainerDeclType) (Decl (VarDecl variable_type_function: (IDENTIFIER) @name)) @definition.constant)
""",
    "c": """
(function_definition declarator: (function_declarator declarator: (identifier) @name)) @definition.function
(function_definition declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))) @definition.function
(declaration declarator: (function_declarator declarator: (identifier) @name)) @definition.function
(struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
(union_specifier name: (type_identifier) @name body: (_)) @definition.struct
(enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
(type_definition declarator: (type_identifier) @name) @definition.type
(preproc_def name: (identifier) @name) @definition.macro
(preproc_function_def name: (identifier) @name) @definition.macro
""",
}
QUERIES["tsx"] = QUERIES["typescript"]

CONTAINER_KINDS = {"class", "struct", "interface", "trait", "impl", "module", "enum"}
"""Definitions whose nested functions are methods."""

COMMENT_PREFIXES = {
    "python": ("#",),
    "lua": ("--",),
    "zig": ("//",),
}
"""Line comments that document the definition below them (default: `//`, `/*`, ` *`)."""


def language_for(path: str) -> str | None:
    dot = path.rfind(".")
    return EXTENSIONS.get(path[dot:].lower()) if dot >= 0 else None


@dataclass(frozen=True)
class Grammar:
    language: Any
    query: Any


@cache
def grammar(name: str) -> Grammar:
    """The compiled grammar and definition query (compiled once per process)."""
    from tree_sitter import Query
    from tree_sitter_language_pack import get_language

    language = get_language(name)  # type: ignore[arg-type]
    return Grammar(language, Query(language, QUERIES[name]))


_local = threading.local()


def parser_for(name: str) -> Any:
    """A parser per thread and language: tree-sitter parsers are not thread-safe."""
    from tree_sitter import Parser

    parsers: dict[str, Any] = getattr(_local, "parsers", None) or {}
    _local.parsers = parsers
    if name not in parsers:
        parsers[name] = Parser(grammar(name).language)
    return parsers[name]
