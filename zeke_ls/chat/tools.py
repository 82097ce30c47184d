"""Read-only workspace tools the model may call during a chat: read, list, search.

Every path is confined to the workspace roots (symlinks resolved first), so a model cannot read
outside the project however it spells a path: `read_file` resolves the path it is given,
`list_files` and `search` walk without following symlinked directories, match globs against
relative paths (no `..`, no absolute path outside), and `search` resolves each file again
when it reads it (see `workspace/confined.py`). Results are capped so one tool call cannot flood
the context. Failures come back to the model as text: a wrong path is the model's problem to
fix in its next step, not an error for the user. Writes never happen here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from zeke_ls.core.rpc import NotFound, Refused
from zeke_ls.workspace.confined import files_under, glob_files
from zeke_ls.workspace.files import confine, read_text
from zeke_ls.workspace.paths import looks_binary, read_confined, relative_name

MAX_READ_CHARS = 20_000
MAX_LIST = 200
MAX_MATCHES = 50


def _schema(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


TOOLS = [
    _schema(
        "read_file",
        "Read a text file of the workspace (optionally a 1-based line range).",
        {
            "path": {"type": "string", "description": "path relative to the workspace root"},
            "start_line": {"type": "integer"},
            "end_line": {"type": "integer"},
        },
        ["path"],
    ),
    _schema(
        "list_files",
        "List workspace files, optionally only those matching a glob.",
        {"glob": {"type": "string", "description": "e.g. src/**/*.py"}},
        [],
    ),
    _schema(
        "search",
        "Search workspace files for a regular expression; returns path:line: text.",
        {"pattern": {"type": "string"}, "glob": {"type": "string"}},
        ["pattern"],
    ),
]


@dataclass
class Workspace:
    roots: list[Path]
    max_bytes: int

    def resolve(self, name: str) -> Path:
        path = Path(name)
        if not path.is_absolute() and self.roots:
            path = self.roots[0] / path
        return confine(path, self.roots)

    def read_file(
        self, path: str, start_line: int | None = None, end_line: int | None = None
    ) -> str:
        text = read_text(self.resolve(path), self.max_bytes)
        if start_line or end_line:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[max((start_line or 1) - 1, 0) : end_line or len(lines)])
        if len(text) > MAX_READ_CHARS:
            text = text[:MAX_READ_CHARS] + f"\n[... truncated at {MAX_READ_CHARS} characters ...]"
        return text

    def list_files(self, glob: str | None = None) -> str:
        files = glob_files(glob, self.roots) if glob else list(files_under(self.roots))
        names = [relative_name(p, self.roots) for p in files[:MAX_LIST]]
        more = f"\n[... {len(files) - MAX_LIST} more ...]" if len(files) > MAX_LIST else ""
        return "\n".join(names) + more if names else "no files"

    def search(self, pattern: str, glob: str | None = None) -> str:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            return f"error: bad regular expression: {exc}"
        matches: list[str] = []
        for path in files_under(self.roots):
            name = relative_name(path, self.roots)
            if glob and not fnmatch(name, glob):
                continue
            matches += self._search_file(path, name, regex, MAX_MATCHES - len(matches))
            if len(matches) >= MAX_MATCHES:
                return "\n".join(matches) + f"\n[... stopped at {MAX_MATCHES} matches ...]"
        return "\n".join(matches) or "no matches"

    def _search_file(self, path: Path, name: str, regex: re.Pattern[str], limit: int) -> list[str]:
        data = read_confined(path, self.roots, self.max_bytes)
        if data is None or looks_binary(data):
            return []
        text = data.decode("utf-8", errors="replace")
        found = []
        for number, line in enumerate(text.splitlines(), 1):
            if regex.search(line):
                found.append(f"{name}:{number}: {line.strip()[:200]}")
                if len(found) >= limit:
                    break
        return found

    def call(self, name: str, arguments: str) -> tuple[bool, str]:
        """Run one tool call; (ok, text for the model). Never raises for bad input."""
        tools: dict[str, Callable[..., str]] = {
            "read_file": self.read_file,
            "list_files": self.list_files,
            "search": self.search,
        }
        tool = tools.get(name)
        if tool is None:
            return False, f"error: unknown tool {name!r}; tools: read_file, list_files, search"
        try:
            args = json.loads(arguments or "{}")
            if not isinstance(args, dict):
                raise ValueError("arguments must be a JSON object")
            return True, tool(**args)
        except (Refused, NotFound) as exc:
            return False, f"error: {exc.message}"
        except (ValueError, TypeError) as exc:
            return False, f"error: bad arguments for {name}: {exc}"
