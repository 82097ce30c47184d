"""Guards: ghost text that would look broken is cut or dropped before it is shown.

Small models leak their training scaffolding into answers: template tokens (`<|im_end|>`,
`[INST]`), markdown fences, cursor markers copied from a prompt, coding cookies and shebangs
(`# -*- coding: utf-8 -*-` after `return `), comments where code was expected, prose, lines
that break the cursor line's brackets or strings, and copies of the lines around the cursor.
Each guard is a cheap pure function over the (already post-processed) suggestion and the
packed context, run on every keystroke, so none of them parses the whole file: they look at
the cursor line and a short window above it.

A guard either cuts the suggestion where the garbage starts (what came before may be good)
or drops it (returns None).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from zeke_ls.context.packer import PackedContext

TEMPLATE_TOKENS = re.compile(
    r"<\|[A-Za-z0-9_]+\|>|<\uff5c[^>]{1,30}\uff5c>|</?s>|\[/?INST\]|<</?SYS>>"
    r"|<(?:fim|file|repo)_?[a-z_]*>|<(?:PRE|SUF|MID|EOT)>|\[(?:PREFIX|SUFFIX|MIDDLE)\]"
    r"|<(?:start|end)_of_turn>"
)
"""Sentinels of chat and FIM templates (ChatML, llama-2, Gemma, DeepSeek, StarCoder, ...)."""
CURSOR_MARKERS = re.compile(
    r"<\s*/?\s*(?:cursor|fill(?:_here)?|mask|insert(?:_here)?|hole|blank)\s*/?\s*>"
    r"|\{\{?\s*cursor\s*\}?\}|\u2588|\[cursor\]",
    re.IGNORECASE,
)
FENCE = re.compile(r"^\s*(```|~~~)")
COOKIE = re.compile(r"^\s*(#!/|#.*-\*-.*coding[:=]|#.*\bvim?:.*fileencoding|#\s*coding[:=])")
PROSE_START = re.compile(
    r"^\s*(here is|here's|sure[,!]|certainly|the (code|function|answer)|this (code|function)|"
    r"i (have|will|would|can)|note:|explanation:|output:|answer:)",
    re.IGNORECASE,
)
LINE_COMMENTS = {
    "#": (
        "python",
        "ruby",
        "shellscript",
        "sh",
        "bash",
        "yaml",
        "toml",
        "perl",
        "r",
        "elixir",
        "makefile",
        "dockerfile",
        "nim",
        "julia",
        "coffeescript",
    ),
    "--": ("lua", "sql", "haskell", "ada", "elm"),
}
PAIRS = {")": "(", "]": "[", "}": "{"}
WINDOW_LINES = 40
"""How far above the cursor the bracket scan looks for the statement's start."""
MIN_REPEAT = 4
"""Shorter lines (`}`, `end`, `pass`) legitimately repeat their neighbours."""

Guard = Callable[[str, PackedContext], str | None]


def guard(text: str, ctx: PackedContext) -> str | None:
    """Run every guard in order; None when the suggestion must not be shown."""
    for check in GUARDS:
        result = check(text, ctx)
        if result is None or not result.strip():
            return None
        text = result
    return text


def comment_mark(language: str) -> str:
    lowered = language.lower()
    for mark, languages in LINE_COMMENTS.items():
        if lowered in languages:
            return mark
    return "//"


def _cut_at(text: str, position: int) -> str:
    """Keep the text before `position`, whole lines only once past the first line."""
    head = text[:position]
    if "\n" in head:
        head = head[: head.rfind("\n")]
    return head.rstrip()


def cut_template_tokens(text: str, ctx: PackedContext) -> str | None:
    found = TEMPLATE_TOKENS.search(text)
    return text if found is None else _cut_at(text, found.start())


def cut_cursor_markers(text: str, ctx: PackedContext) -> str | None:
    found = CURSOR_MARKERS.search(text)
    return text if found is None else _cut_at(text, found.start())


def cut_fences(text: str, ctx: PackedContext) -> str | None:
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if FENCE.match(line) or line.lstrip().startswith("```"):
            return "\n".join(lines[:index]).rstrip() if index else None
    return text


def cut_cookies(text: str, ctx: PackedContext) -> str | None:
    """Coding cookies and shebangs belong on a file's first two lines, never in ghost text."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if COOKIE.match(line if index else ctx.line_prefix + line):
            return "\n".join(lines[:index]).rstrip() if index else None
    return text


def drop_comment_after_code(text: str, ctx: PackedContext) -> str | None:
    """After code on the cursor line, a suggestion that is only a comment is noise."""
    if not ctx.line_prefix.strip():
        return text
    mark = comment_mark(ctx.language)
    rest = [line.strip() for line in text.split("\n") if line.strip()]
    if rest and all(line.startswith(mark) or line.startswith("/*") for line in rest):
        return None
    return text


def drop_prose(text: str, ctx: PackedContext) -> str | None:
    first = text.split("\n", 1)[0]
    if PROSE_START.match(first) and not _in_comment_or_string(ctx):
        return None
    return text


def _in_comment_or_string(ctx: PackedContext) -> bool:
    line = ctx.line_prefix
    state = scan(line, ctx.language, [])
    return state.in_string or state.in_comment


def drop_adjacent_repeats(text: str, ctx: PackedContext) -> str | None:
    """The cursor line made into a copy of the line above or below is a model stuck on its
    context; later lines that repeat the line just before them are a loop and are cut."""
    lines = text.split("\n")
    cursor_line = ctx.line_prefix + lines[0] + (ctx.line_suffix if len(lines) == 1 else "")
    neighbours = (_previous_line(ctx), _next_line(ctx))
    if _significant(cursor_line) and cursor_line.strip() in neighbours:
        return None
    for index in range(1, len(lines)):
        previous = lines[index - 1] if index > 1 else cursor_line
        if _significant(lines[index]) and lines[index].strip() == previous.strip():
            return "\n".join(lines[:index]).rstrip()
    return text


def _significant(line: str) -> bool:
    return len(re.sub(r"[\W_]", "", line)) >= MIN_REPEAT


def _previous_line(ctx: PackedContext) -> str:
    before = ctx.prefix[: len(ctx.prefix) - len(ctx.line_prefix)].rstrip("\n").split("\n")
    return next((line.strip() for line in reversed(before) if line.strip()), "")


def _next_line(ctx: PackedContext) -> str:
    after = ctx.suffix.split("\n")[1:]
    return next((line.strip() for line in after if line.strip()), "")


# --- brackets and strings -------------------------------------------------------------------


class ScanState:
    """Open brackets and whether the scan ended inside a string or a line comment."""

    def __init__(self, stack: list[str]):
        self.stack = stack
        self.in_string = False
        self.in_comment = False
        self.mismatch = False


def scan(line: str, language: str, stack: list[str]) -> ScanState:
    """Brackets and quotes of one line. Triple-quoted and backtick strings may span lines, so
    an open one is not an error; the scan just stops there (rare enough on the hot path)."""
    state = ScanState(stack)
    mark = comment_mark(language)
    quotes = "'\"`" if language.lower() not in ("rust",) else '"`'
    index = 0
    while index < len(line):
        char = line[index]
        if line.startswith(mark, index) or line.startswith("/*", index):
            state.in_comment = True
            return state
        if char in quotes:
            if line.startswith(char * 3, index) or char == "`":
                return state  # multi-line string: stop judging here
            end = _string_end(line, index)
            if end < 0:
                state.in_string = True
                return state
            index = end + 1
            continue
        if char in "([{":
            stack.append(char)
        elif char in PAIRS:
            if not stack or stack[-1] != PAIRS[char]:
                state.mismatch = True
                return state
            stack.pop()
        index += 1
    return state


def _string_end(line: str, start: int) -> int:
    quote, index = line[start], start + 1
    while index < len(line):
        if line[index] == "\\":
            index += 2
            continue
        if line[index] == quote:
            return index
        index += 1
    return -1


def _window_stack(ctx: PackedContext) -> list[str] | None:
    """Brackets open at the cursor line's start, scanned from the last line above it that
    starts at column 0 (a statement start); None when no such line is near (unknown)."""
    above = ctx.prefix[: len(ctx.prefix) - len(ctx.line_prefix)].split("\n")[:-1]
    window = above[-WINDOW_LINES:]
    starts = [i for i, line in enumerate(window) if line[:1].strip() and line[:1] not in ")]}"]
    if not starts and len(above) > WINDOW_LINES:
        return None
    stack: list[str] = []
    for line in window[starts[-1] if starts else 0 :]:
        state = scan(line, ctx.language, stack)
        if state.in_string or state.mismatch:
            return None  # the window itself does not scan: judge nothing
    return stack


def drop_broken_brackets(text: str, ctx: PackedContext) -> str | None:
    """A suggestion that makes the cursor line fail to tokenize (an unterminated string, a
    closer that matches no opener) is dropped; later lines that break are cut off."""
    stack = _window_stack(ctx)
    if stack is None:
        return text
    lines = text.split("\n")
    prefix_state = scan(ctx.line_prefix, ctx.language, stack)
    if prefix_state.in_string or prefix_state.in_comment or prefix_state.mismatch:
        return text  # the user is typing inside a string or comment: nothing to judge
    tail = ctx.line_suffix if len(lines) == 1 else ""
    first = scan(lines[0] + tail, ctx.language, stack)
    if first.mismatch or first.in_string:
        return None
    for index in range(1, len(lines)):
        state = scan(lines[index], ctx.language, stack)
        if state.mismatch or state.in_string:
            return "\n".join(lines[:index]).rstrip()
    return text


DANGLING = (":", "{", "(", "[", ",", "\\", "=", "+", "-", "*", "/", "and", "or", "->", "=>")


def cut_dangling_tail(text: str, ctx: PackedContext) -> str | None:
    """A multi-line answer cut by max_tokens ends mid-statement (an `if ...:` with no body,
    an open call): keep it up to the last line where the brackets it opened are closed
    and the line does not end in an opener."""
    lines = text.split("\n")
    if len(lines) < 2:
        return text
    stack = _window_stack(ctx)
    if stack is None:
        return text
    scan(ctx.line_prefix, ctx.language, stack)
    depth = len(stack)
    keep = 0
    for index, line in enumerate(lines):
        state = scan(line, ctx.language, stack)
        if state.in_string or state.mismatch:
            break
        ends_open = line.rstrip().endswith(DANGLING)
        if len(stack) <= depth and not ends_open and (line.strip() or index == 0):
            keep = index + 1
    return "\n".join(lines[:keep]).rstrip() if keep else None


GUARDS: tuple[Guard, ...] = (
    cut_template_tokens,
    cut_cursor_markers,
    cut_fences,
    cut_cookies,
    drop_comment_after_code,
    drop_prose,
    drop_adjacent_repeats,
    drop_broken_brackets,
    cut_dangling_tail,
)
