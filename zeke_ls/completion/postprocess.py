"""Turn a raw model answer into a suggestion that is safe to show as ghost text.

Models repeat what is already there (the line before the cursor, the code after it), run past
the end of the block, and answer with blank text. Every rule here removes one such failure;
each is a pure function over the answer and the packed context, so it is unit-tested directly.
"""

from __future__ import annotations

from dataclasses import replace

from zeke_ls.completion.guards import guard
from zeke_ls.context.packer import PackedContext

CLOSERS = set(")]}\"'`;,: \t")
"""What may follow the cursor on its line while a multi-line suggestion still makes sense."""
MAX_LINES = 30
OPENERS = (":", "{", "(", "[", "=>", "->", " do", " then")


def postprocess(raw: str, ctx: PackedContext) -> str | None:
    """The cleaned suggestion, or None when nothing useful is left."""
    crlf = "\r\n" in ctx.prefix or "\r\n" in ctx.suffix
    text, ctx = _lf(raw), replace(ctx, prefix=_lf(ctx.prefix), suffix=_lf(ctx.suffix))
    text = strip_prefix_echo(text, ctx)
    text = strip_indent_echo(text, ctx.line_prefix)
    text = limit_scope(text, ctx) if is_multiline_position(ctx) else first_line(text)
    text = stop_at_suffix(text, ctx)
    text = "\n".join(line.rstrip() for line in text.split("\n")) if "\n" in text else text
    text = text.rstrip() if "\n" in text.strip("\n") or not ctx.line_suffix else text
    if not text.strip() or _already_there(text, ctx):
        return None
    guarded = guard(text, ctx)
    if guarded is None:
        return None
    return guarded.replace("\n", "\r\n") if crlf else guarded


def _lf(text: str) -> str:
    """Rules compare lines, so they all work on `\\n` breaks; CRLF is restored at the end."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_prefix_echo(text: str, ctx: PackedContext) -> str:
    """Drop a copy of the last lines before the cursor at the start of the answer."""
    lines = ctx.prefix.split("\n")
    for count in (3, 2, 1):
        if len(lines) < count:
            continue
        echo = "\n".join(lines[-count:])
        if echo.strip() and len(echo.strip()) >= 2:
            if text.startswith(echo):
                return text[len(echo) :]
            if echo.lstrip() != echo and text.startswith(echo.lstrip()):
                return text[len(echo.lstrip()) :]
    return text


def strip_indent_echo(text: str, line_prefix: str) -> str:
    """A cursor after indentation: the model often indents its first line again."""
    if line_prefix and not line_prefix.strip() and text.startswith(line_prefix):
        return text[len(line_prefix) :]
    return text


def is_multiline_position(ctx: PackedContext) -> bool:
    """Multi-line only at the end of a line (closers such as `)` may follow)."""
    return all(char in CLOSERS for char in ctx.line_suffix)


def first_line(text: str) -> str:
    """The first line of the answer; an answer starting with a break is no single-line edit."""
    return text.split("\n", 1)[0]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def limit_scope(text: str, ctx: PackedContext) -> str:
    """Stop where the answer leaves the block the cursor is in, or after MAX_LINES lines."""
    base = _indent(ctx.line_prefix)
    opens = ctx.line_prefix.rstrip().endswith(OPENERS)
    lines = text.split("\n")
    kept = [lines[0]]
    for line in lines[1:MAX_LINES]:
        if line.strip():
            depth = _indent(line)
            if depth < base or (opens and depth <= base and not _is_closer(line)):
                break
            if opens and depth <= base:
                kept.append(line)
                break
        kept.append(line)
    return "\n".join(kept)


def _is_closer(line: str) -> bool:
    return line.strip()[:1] in (")", "]", "}") or line.strip() in ("end", "fi", "done")


def stop_at_suffix(text: str, ctx: PackedContext) -> str:
    """Cut where the answer reaches code that already follows the cursor."""
    tail = ctx.line_suffix.strip()
    if tail and text.rstrip().endswith(tail):
        text = text.rstrip()[: -len(tail)]
    following = _next_code_line(ctx)
    if following and "\n" in text:
        lines = text.split("\n")
        for index, line in enumerate(lines[1:], start=1):
            if line.strip() == following and not _closes_own_block(lines[:index], line):
                return "\n".join(lines[:index]).rstrip()
    return text


def _closes_own_block(before: list[str], line: str) -> bool:
    """A closer-only line (`}`, `});`) that closes a block the suggestion itself opened is
    part of the suggestion, even when the next line of the file is the same closer (the
    enclosing block's): cutting it would leave a new function without its `}`."""
    if not _is_closer(line):
        return False
    text = "\n".join(before)
    opened = sum(text.count(c) for c in "({[") - sum(text.count(c) for c in ")}]")
    return opened > 0


def _next_code_line(ctx: PackedContext) -> str:
    after_line = ctx.suffix.split("\n", 1)[1] if "\n" in ctx.suffix else ""
    for line in after_line.split("\n"):
        if line.strip():
            return line.strip()
    return ""


def _already_there(text: str, ctx: PackedContext) -> bool:
    """The answer only repeats what follows the cursor."""
    return ctx.suffix.lstrip().startswith(text.strip())
