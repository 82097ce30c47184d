"""Guards on model edits: splice a bare snippet by definition name, refuse a wrecked result.

Small models answer an edit request with just the function they changed, cut their answer
short, or write "... rest unchanged ..." instead of the code. Taken literally, the first and
last wipe the rest of the file (the demo once turned a 27-line module into 10 lines of
nonsense), so before a proposal is shown:

- a bare fenced snippet (no path, no SEARCH/REPLACE) whose definitions all exist in the file
  is spliced over those definitions instead of replacing the whole file; one that names no
  definition of the file is refused when SEARCH/REPLACE was asked;
- the result is refused, with the reason, when it stops parsing although the original
  parsed (Python via `ast`; other languages via tree-sitter when it is installed), when it is
  far less similar to the original than the instruction implies, when it drops definitions
  the instruction does not name, or when it holds lazy elisions;
- a stream that did not end with a normal finish reason is refused (`[DONE]` without one is
  how llama.cpp reports an interrupted request; `length` is an answer cut at max_tokens).
"""

from __future__ import annotations

import ast
import difflib
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from zeke_ls.patch.parse import FilePatch, Hunk, diff_ops

NORMAL_FINISH = {"stop", "end_turn", "stop_sequence", "eos"}
ELISION = re.compile(
    r"^\s*(#|//|/\*|--|<!--)?\s*(\.\.\.|\u2026)?\s*\(?\s*(the\s+)?(rest|remainder|other|existing|"
    r"remaining|previous|unchanged|same)\b.*\b(unchanged|code|here|as before|omitted|same|"
    r"methods|functions|file|lines)\b",
    re.IGNORECASE,
)
BARE_ELLIPSIS = re.compile(r"^\s*(#|//|--)?\s*(\.\.\.|\u2026)\s*(\*/)?\s*$")
REWRITE_WORDS = re.compile(
    r"\b(rewrite|re-write|rewrite|replace (the|this) (whole|entire)|convert|translate|port|"
    r"reimplement|restructure|from scratch|entire file|whole file)\b",
    re.IGNORECASE,
)
MIN_SIMILARITY = 0.5
"""Line similarity below this for an instruction that does not ask for a rewrite: refused."""
REWRITE_SIMILARITY = 0.1
DEFINITION = re.compile(
    r"^\s*(?:export\s+)?(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:static\s+)?"
    r"(?:def|class|function\*?|fn|func|interface|struct|enum|trait|impl|type|module)\s+"
    r"(?:\([^)]*\)\s*)?([A-Za-z_$][\w$]*)"
    r"|^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:\([^)]*\)|\w+)\s*=>"
)
TREE_SITTER_NAMES = {
    "js": "javascript",
    "jsx": "javascript",
    "mjs": "javascript",
    "ts": "typescript",
    "tsx": "tsx",
    "go": "go",
    "rs": "rust",
    "c": "c",
    "h": "c",
    "cc": "cpp",
    "cpp": "cpp",
    "java": "java",
    "rb": "ruby",
    "lua": "lua",
    "sh": "bash",
    "json": "json",
}


class EditRefused(ValueError):
    """The model's edit is refused; `str()` says why, for the preview or the error."""


def check_finish(reason: str | None) -> None:
    if reason in NORMAL_FINISH:
        return
    if reason == "length":
        raise EditRefused(
            "the model's answer was cut off at its token limit (finish reason "
            "`length`); nothing was applied"
        )
    raise EditRefused(
        f"the model's answer did not end normally (finish reason: {reason or 'none'}"
        "): it may be truncated, so nothing was applied"
    )


# --- definitions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A definition: its name and its 0-based [start, end) lines, decorators included."""

    name: str
    start: int
    end: int


def _extension(path: str) -> str:
    return path.rpartition(".")[2].lower() if "." in path else ""


def python_blocks(text: str) -> list[Block] | None:
    """Every def/class (any depth); None when the text does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    blocks = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            blocks.append(Block(node.name, first - 1, node.end_lineno or node.lineno))
    return sorted(blocks, key=lambda b: b.start)


def generic_blocks(text: str) -> list[Block]:
    """Definitions found by a line pattern; a block ends at its matching `}` or, without
    braces, at the next line indented no deeper than the definition."""
    lines = text.split("\n")
    blocks = []
    for index, line in enumerate(lines):
        found = DEFINITION.match(line)
        if found:
            name = found.group(1) or found.group(2)
            blocks.append(Block(name, index, _block_end(lines, index)))
    return blocks


def _block_end(lines: list[str], start: int) -> int:
    depth, opened = 0, False
    for index in range(start, len(lines)):
        for char in _code_part(lines[index]):
            if char == "{":
                depth, opened = depth + 1, True
            elif char == "}":
                depth -= 1
        if opened and depth <= 0:
            return index + 1
        deeper = _indent(lines[index]) > _indent(lines[start])
        if not opened and index > start and lines[index].strip() and not deeper:
            return _trim_blank(lines, start, index)
    return _trim_blank(lines, start, len(lines))


def _code_part(line: str) -> str:
    """The line without string literals and a trailing `//` comment (braces in them lie)."""
    line = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', line)
    return line.split("//", 1)[0]


def _trim_blank(lines: list[str], start: int, end: int) -> int:
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def blocks_of(text: str, path: str) -> list[Block] | None:
    if _extension(path) in ("py", "pyi"):
        return python_blocks(text)
    return generic_blocks(text)


def names_of(text: str, path: str) -> set[str] | None:
    blocks = blocks_of(text, path)
    return None if blocks is None else {b.name for b in blocks}


# --- splicing a bare snippet ----------------------------------------------------------------


def is_bare_snippet(patches: list[FilePatch]) -> bool:
    return len(patches) == 1 and patches[0].kind == "rewrite" and patches[0].path is None


WHOLE_FILE = "whole file"


def splice_snippet(original: str, snippet: str, path: str) -> FilePatch | str:
    """Hunks that replace the file's definitions with the snippet's same-named ones, or why
    not: `WHOLE_FILE` when the snippet holds every definition (a complete file, judged as a
    rewrite), else the reason it cannot be placed."""
    file_blocks = blocks_of(original, path)
    body = textwrap.dedent(snippet)
    snippet_blocks = blocks_of(body, path)
    if not file_blocks:
        return "the file has no definitions to match it against"
    if not snippet_blocks:
        return "it holds no definition" if snippet_blocks is not None else "it does not parse"
    outer = _outermost(snippet_blocks)
    by_name: dict[str, list[Block]] = {}
    for block in file_blocks:
        by_name.setdefault(block.name, []).append(block)
    if {b.name for b in _outermost(file_blocks)} <= {b.name for b in outer}:
        return WHOLE_FILE
    unplaced = [b.name for b in outer if len(by_name.get(b.name, [])) != 1]
    if unplaced:  # a new or ambiguous name: no place to put it with confidence
        return f"no single definition of the file is named {', '.join(unplaced[:3])}"
    file_lines, snippet_lines = original.split("\n"), body.split("\n")
    hunks = []
    for block in outer:
        target = by_name[block.name][0]
        old = file_lines[target.start : target.end]
        indent = old[0][: _indent(old[0])] if old else ""
        new = [
            indent + line if line.strip() else line
            for line in snippet_lines[block.start : block.end]
        ]
        hunks.append(Hunk(diff_ops(old, new), start=target.start + 1))
    return FilePatch(path=None, kind="modify", hunks=hunks)


def _outermost(blocks: list[Block]) -> list[Block]:
    """Blocks not nested inside another (a class, not its methods)."""
    kept: list[Block] = []
    for block in sorted(blocks, key=lambda b: (b.start, -b.end)):
        if not kept or block.start >= kept[-1].end:
            kept.append(block)
    return kept


# --- judging the result ---------------------------------------------------------------------


def check_result(original: str, after: str, path: str, instruction: str) -> None:
    """Raise EditRefused with the reason when the edited text is worse than no edit."""
    for check in RESULT_CHECKS:
        reason = check(original, after, path, instruction)
        if reason:
            raise EditRefused(reason)


def _added_lines(original: str, after: str) -> list[str]:
    old, new = original.split("\n"), after.split("\n")
    added: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            added += new[j1:j2]
    return added


def elisions(original: str, after: str, path: str, instruction: str) -> str | None:
    for line in _added_lines(original, after):
        if ELISION.match(line) or BARE_ELLIPSIS.match(line):
            return f"the model's answer elides code instead of writing it ({line.strip()!r})"
    return None


def stops_parsing(original: str, after: str, path: str, instruction: str) -> str | None:
    parses = _parser_for(path)
    if parses is None or not parses(original) or parses(after):
        return None
    return f"the edited {path} would no longer parse (the original does)"


def _parser_for(path: str) -> Callable[[str], bool] | None:
    extension = _extension(path)
    if extension in ("py", "pyi"):
        return lambda text: python_blocks(text) is not None
    language = TREE_SITTER_NAMES.get(extension)
    if language is None:
        return None
    try:
        from tree_sitter_language_pack import get_parser  # optional; absent: no check

        parser = get_parser(language)  # type: ignore[arg-type]
    except Exception:  # any failure means "cannot judge", never a crash
        return None
    return lambda text: not parser.parse(text.encode()).root_node.has_error


def dropped_definitions(original: str, after: str, path: str, instruction: str) -> str | None:
    before, now = names_of(original, path), names_of(after, path)
    if before is None or now is None:
        return None
    named = instruction.lower()
    dropped = sorted(n for n in before - now if n.lower() not in named)
    if not dropped:
        return None
    shown = ", ".join(dropped[:5]) + (" ..." if len(dropped) > 5 else "")
    return f"the edit would delete definitions the instruction does not name: {shown}"


def too_different(original: str, after: str, path: str, instruction: str) -> str | None:
    old, new = original.splitlines(), after.splitlines()
    if len(old) < 5:
        return None
    ratio = difflib.SequenceMatcher(None, old, new, autojunk=False).ratio()
    floor = REWRITE_SIMILARITY if REWRITE_WORDS.search(instruction) else MIN_SIMILARITY
    if ratio >= floor:
        return None
    return (
        f"the edit would rewrite most of {path} ({len(old)} -> {len(new)} lines, "
        f"{ratio:.0%} similar), more than the instruction implies"
    )


RESULT_CHECKS = (elisions, stops_parsing, dropped_definitions, too_different)


# --- the edit path's two hooks --------------------------------------------------------------


def guard_patches(
    patches: list[FilePatch], original: str, path: str, edit_format: str
) -> list[FilePatch]:
    """A bare snippet becomes hunks over its definitions; when SEARCH/REPLACE was asked and
    it names none of the file's definitions, it is refused (never a whole-file rewrite)."""
    if not is_bare_snippet(patches):
        return patches
    spliced = splice_snippet(original, patches[0].content or "", path)
    if isinstance(spliced, FilePatch):
        return [spliced]
    if edit_format == "search_replace" and spliced != WHOLE_FILE:
        raise EditRefused(
            "the model answered with a bare code block instead of SEARCH/REPLACE "
            f"blocks, and it cannot be spliced into the file: {spliced}"
        )
    return patches


def check_proposals(files: list[object], instruction: str) -> None:
    """Judge every file's result against its original (FileProposal-like objects)."""
    for proposal in files:
        source = getattr(proposal, "source", None)
        original, after = getattr(source, "text", None), getattr(proposal, "after", None)
        if original is not None and after is not None and after != original:
            check_result(original, after, getattr(source, "display", ""), instruction)
