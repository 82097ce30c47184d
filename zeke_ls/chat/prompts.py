"""Chat prompts: the system prompt, slash commands (/explain /fix /test /doc) and diagnostics.

The quick actions are the same prompts whether they come from a typed slash command in
`zeke/chat` or from a code action, so an answer does not depend on how it was asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SYSTEM = (
    "You are Zeke, a coding assistant inside the user's editor. Answer precisely and briefly. "
    "Quote code in fenced blocks with the language. Context from the workspace follows under "
    "### headings; text marked 'zeke: trimmed' is incomplete."
)
TOOLS_NOTE = (
    " You may call the read-only tools read_file, list_files and search to look at the "
    "workspace before answering; you cannot write files."
)

ACTIONS = {
    "explain": "Explain what the selected code does, how, and anything surprising in it.",
    "fix": (
        "Fix the problems in the selected code. The diagnostics reported for it are listed "
        "below. Answer with the corrected code in one fenced block, then a short reason."
    ),
    "test": (
        "Write unit tests for the selected code, in the project's language and test style. "
        "Answer with the test code in one fenced block."
    ),
    "doc": (
        "Write documentation comments (docstrings) for the selected code in the language's "
        "convention. Answer with the documented code in one fenced block."
    ),
}
SLASH = re.compile(r"^/(\w+)(?:\s+|$)")


@dataclass
class Selection:
    """The selected text of a document, with its location for the model to see."""

    label: str
    language: str
    text: str


class UnknownCommand(ValueError):
    pass


def parse_slash(message: str) -> tuple[str | None, str]:
    """`/fix why?` -> ("fix", "why?"); plain text -> (None, text). Unknown commands raise."""
    match = SLASH.match(message.strip())
    if match is None:
        return None, message.strip()
    command = match.group(1).lower()
    if command not in ACTIONS:
        known = ", ".join(f"/{name}" for name in ACTIONS)
        raise UnknownCommand(f"unknown command /{command}; known commands: {known}")
    return command, message.strip()[match.end() :].strip()


def system_prompt(with_tools: bool) -> str:
    return SYSTEM + (TOOLS_NOTE if with_tools else "")


def format_diagnostics(diagnostics: list[dict[str, Any]]) -> str:
    """LSP Diagnostic objects as lines the model can read: `line 3: error: message (source)`."""
    names = {1: "error", 2: "warning", 3: "information", 4: "hint"}
    lines = []
    for diag in diagnostics:
        start = diag.get("range", {}).get("start", {})
        severity = names.get(diag.get("severity") or 1, "error")
        source = f" ({diag['source']})" if diag.get("source") else ""
        code = f" [{diag['code']}]" if diag.get("code") is not None else ""
        lines.append(
            f"- line {start.get('line', 0) + 1}: {severity}{code}: "
            f"{diag.get('message', '')}{source}"
        )
    return "\n".join(lines)


def user_prompt(
    command: str | None, text: str, selection: Selection | None, diagnostics: list[dict[str, Any]]
) -> str:
    """The user's turn: the action's instruction, the diagnostics (for /fix), the selection."""
    parts = [ACTIONS[command]] if command else []
    if text:
        parts.append(text)
    if command == "fix":
        parts.append("Diagnostics:\n" + (format_diagnostics(diagnostics) or "- none reported"))
    if selection is not None:
        parts.append(
            f"Selected code ({selection.label}):\n```{selection.language}\n{selection.text}\n```"
        )
    return "\n\n".join(parts)
