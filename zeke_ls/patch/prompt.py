"""The edit prompt: asks the model for one format (per alias or `[edit] format`).

The parser accepts every format whatever was asked, so the prompt only has to make the
common case likely; SEARCH/REPLACE is the default because models reproduce exact lines
more reliably than they count diff line numbers.
"""

from __future__ import annotations

from typing import Any

FORMAT_RULES = {
    "search_replace": (
        "Answer with one or more SEARCH/REPLACE blocks and nothing else. Each block is:\n"
        "path/of/file.ext\n<<<<<<< SEARCH\nexact lines copied from the file\n=======\n"
        "the replacement lines\n>>>>>>> REPLACE\n"
        "Copy enough SEARCH lines that they occur exactly once in the file."
    ),
    "udiff": (
        "Answer with a unified diff (--- a/path, +++ b/path, @@ hunks) and nothing else. "
        "Include 3 lines of unchanged context around every change."
    ),
    "whole": (
        "Answer with the complete new file in one fenced code block whose info string is "
        "the language followed by the file path, and nothing else."
    ),
}

SYSTEM = (
    "You are a careful senior engineer editing code in the user's editor. Change only what the "
    "instruction asks for, keep the file's style and indentation, and never invent content "
    "outside the shown file. {rules}"
)


def edit_messages(
    path: str,
    text: str,
    instruction: str,
    edit_format: str,
    selection: tuple[int, int] | None = None,
    language: str = "",
) -> list[dict[str, Any]]:
    """OpenAI-shaped messages for one edit request; `selection` is 1-based inclusive lines."""
    # The real path in the example: small models copy the example's placeholder path.
    rules = FORMAT_RULES.get(edit_format, FORMAT_RULES["search_replace"])
    rules = rules.replace("path/of/file.ext", path).replace(
        "a/path, +++ b/path", f"a/{path}, +++ b/{path}"
    )
    focus = ""
    if selection is not None:
        first, last = selection
        lines = text.splitlines()[first - 1 : last]
        focus = (
            f"\nThe user selected lines {first}-{last}; change only those unless the instruction "
            "requires more:\n```\n" + "\n".join(lines) + "\n```\n"
        )
    user = (
        f"File: {path}\n```{language}\n{text}{'' if text.endswith(chr(10)) else chr(10)}```\n"
        f"{focus}\nInstruction: {instruction}"
    )
    return [
        {"role": "system", "content": SYSTEM.format(rules=rules)},
        {"role": "user", "content": user},
    ]
