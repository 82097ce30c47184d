"""Inline completion through a chat model: a prompt with a cursor marker, strict extraction.

Chat-only models (the bundled SmolLM2, most cloud chat models) have no FIM tokens. They are
shown the code with a marker where the cursor is and asked for the text to insert there, in a
single fenced block. Their answers are then read strictly: the fenced block only, the marker
and any echoed code before it removed, because chat models like to repeat the question.
"""

from __future__ import annotations

import re
from typing import Any

from zeke_ls.context.packer import PackedContext

CURSOR = "<CURSOR>"
SYSTEM = (
    "You are a code completion engine. You are shown one source file with the marker "
    f"{CURSOR} where the cursor is. Reply with exactly the code to insert at {CURSOR}, in one "
    "fenced code block, and nothing else: no explanation, no code that is already before or "
    "after the marker. If nothing should be inserted, reply with an empty code block."
)
_FENCE = re.compile(r"```[^\n`]*\n?(.*?)(?:```|\Z)", re.DOTALL)


def build_messages(ctx: PackedContext) -> list[dict[str, Any]]:
    """System + user messages asking for the insertion at the cursor marker."""
    parts = []
    for snippet in ctx.snippets:
        parts.append(f"Other open file `{snippet.path}`:\n```\n{snippet.text}\n```\n")
    parts.append(
        f"File `{ctx.path}` ({ctx.language}):\n```{ctx.language}\n"
        f"{ctx.prefix}{CURSOR}{ctx.suffix}\n```\n"
    )
    parts.append(f"Reply with the code to insert at {CURSOR} only.")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(parts)}]


def extract(answer: str, ctx: PackedContext) -> str:
    """The inserted text in a chat answer, or "" when the answer holds none.

    Takes the first fenced block (an unclosed fence counts: the answer may be cut by
    max_tokens); without a fence, the whole answer. If the model echoed the marker, only what
    follows it is kept; if it echoed the code before the cursor, that is cut off.
    """
    match = _FENCE.search(answer)
    text = match.group(1) if match else answer.strip("\n")
    if match and text.endswith("\n"):
        text = text[:-1]
    if CURSOR in text:
        text = text.split(CURSOR, 1)[1]
    return _drop_echoed_prefix(text, ctx)


def _drop_echoed_prefix(text: str, ctx: PackedContext) -> str:
    """Remove a copy of the code before the cursor that the model put in front of its answer."""
    for size in (2000, 500, 200):
        tail = ctx.prefix[-size:]
        start = tail.find("\n") + 1 if len(ctx.prefix) > size else 0
        tail = tail[start:]
        if tail.strip() and text.startswith(tail):
            return text[len(tail) :]
    return text
