"""Prompts that ask a model for the rewritten excerpt around the cursor, and reading answers.

Chat models get the recent edits as unified diffs and the excerpt with a cursor marker, and
are asked for the whole excerpt rewritten with the next edit applied (unchanged when there is
nothing to do). Models trained for edit prediction have their own raw prompt formats, chosen
per alias with `[aliases.X] nes_template`: `zeta` (Zed's Zeta) and `zeta2` (Zeta-2's
CURRENT/UPDATED form). Whatever the format, `read_answer` returns the rewritten excerpt, or
None when the answer holds none (then nothing is shown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from zeke_ls.nes.history import Edit

CURSOR = "<|user_cursor|>"
TEMPLATES = ("chat", "zeta", "zeta2")
_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:\n?```|\Z)", re.DOTALL)

SYSTEM = (
    "You predict the next edit a programmer will make. You see their recent edits as "
    "unified diffs and an excerpt of the file they are in, with the marker "
    f"{CURSOR} at the cursor. Reply with the whole excerpt rewritten with the one next "
    "edit applied, in a single fenced code block, and nothing else. Keep every other line "
    "exactly as it is, including blank lines and indentation; do not include the cursor "
    "marker. If no edit is clearly next, reply with the excerpt unchanged."
)


@dataclass(frozen=True)
class Excerpt:
    """Document lines [start, end) around the cursor, sent for rewriting."""

    path: str
    language: str
    start: int
    lines: list[str]
    cursor_line: int
    """Document line of the cursor."""
    cursor_index: int
    """Python string index of the cursor in its line."""
    at_file_start: bool = False

    @property
    def end(self) -> int:
        return self.start + len(self.lines)

    def marked(self) -> str:
        """The excerpt text with the cursor marker."""
        lines = list(self.lines)
        row = self.cursor_line - self.start
        if 0 <= row < len(lines):
            line = lines[row]
            lines[row] = line[: self.cursor_index] + CURSOR + line[self.cursor_index :]
        return "\n".join(lines)


def excerpt_around(
    doc_lines: list[str], line: int, index: int, window: int, path: str, language: str
) -> Excerpt:
    """`window` lines centred on the cursor line (fewer at the ends of the document)."""
    window = max(1, window)
    start = max(0, min(line - window // 2, len(doc_lines) - window))
    end = min(len(doc_lines), start + window)
    line = min(line, max(0, len(doc_lines) - 1))
    return Excerpt(path, language, start, doc_lines[start:end], line, index, start == 0)


def history_diffs(edits: list[Edit]) -> list[str]:
    return [edit.unified_diff() for edit in edits]


def chat_messages(excerpt: Excerpt, edits: list[Edit]) -> list[dict[str, Any]]:
    parts = []
    if edits:
        parts.append("Recent edits, oldest first:")
        parts += [f"```diff\n{diff}\n```" for diff in history_diffs(edits)]
    else:
        parts.append("No recent edits.")
    parts.append(
        f"Excerpt of `{excerpt.path}` ({excerpt.language}), lines "
        f"{excerpt.start + 1}-{excerpt.end}:\n```{excerpt.language}\n"
        f"{excerpt.marked()}\n```"
    )
    parts.append("Reply with the rewritten excerpt only.")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n\n".join(parts)}]


# --- Zeta-style raw prompts ---------------------------------------------------------------

ZETA_INSTRUCTION = (
    "### Instruction:\nYou are a code completion assistant and your task is to analyze user "
    "edits and then rewrite an excerpt that the user provides, suggesting the appropriate "
    "edits within the excerpt, taking into account the cursor location.\n\n"
)
ZETA_START, ZETA_END, ZETA_CURSOR = (
    "<|editable_region_start|>",
    "<|editable_region_end|>",
    "<|user_cursor_is_here|>",
)
ZETA2_CURSOR = "<|user_cursor|>"


def zeta_prompt(excerpt: Excerpt, edits: list[Edit]) -> tuple[str, list[str]]:
    """Zed's Zeta format: (prompt, stop sequences)."""
    events = "".join(f'User edited "{e.path}":\n```diff\n{_hunk_only(e)}\n```\n\n' for e in edits)
    marked = excerpt.marked().replace(CURSOR, ZETA_CURSOR)
    start = "<|start_of_file|>\n" if excerpt.at_file_start else ""
    prompt = (
        f"{ZETA_INSTRUCTION}### User Edits:\n\n{events}### User Excerpt:\n\n"
        f"```{excerpt.path}\n{start}{ZETA_START}\n{marked}\n{ZETA_END}\n```\n\n"
        "### Response:\n"
    )
    return prompt, [f"\n{ZETA_END}"]


def zeta2_prompt(excerpt: Excerpt, edits: list[Edit]) -> tuple[str, list[str]]:
    """Zeta-2's format: the edit history, then CURRENT and an open UPDATED section."""
    history = "".join(f"{e.unified_diff()}\n" for e in edits)
    marked = excerpt.marked().replace(CURSOR, ZETA2_CURSOR)
    prompt = (
        f"<[fim-suffix]>\n<[fim-prefix]><filename>edit_history\n{history}\n"
        f"<filename>{excerpt.path}\n<<<<<<< CURRENT\n{marked}\n=======\n<[fim-middle]>"
    )
    return prompt, [">>>>>>> UPDATED"]


def _hunk_only(edit: Edit) -> str:
    return "\n".join(edit.unified_diff().split("\n")[2:])


def raw_prompt(template: str, excerpt: Excerpt, edits: list[Edit]) -> tuple[str, list[str]]:
    if template == "zeta":
        return zeta_prompt(excerpt, edits)
    if template == "zeta2":
        return zeta2_prompt(excerpt, edits)
    raise ValueError(f"unknown nes_template {template!r} (use one of {', '.join(TEMPLATES)})")


# --- answers ------------------------------------------------------------------------------


def read_answer(template: str, answer: str) -> str | None:
    """The rewritten excerpt in a model's answer, markers removed; None if there is none."""
    if template == "zeta":
        text = answer.split(ZETA_END, 1)[0]
        text = text.split(ZETA_START, 1)[1] if ZETA_START in text else text
        text = text.removeprefix("\n").removesuffix("\n")
    elif template == "zeta2":
        text = answer.split(">>>>>>> UPDATED", 1)[0].removesuffix("\n")
    else:
        match = _FENCE.search(answer)
        if match is None:
            return None
        text = match.group(1)
    for marker in (CURSOR, ZETA_CURSOR, ZETA2_CURSOR, "<CURSOR>"):
        text = text.replace(marker, "")
    return text
