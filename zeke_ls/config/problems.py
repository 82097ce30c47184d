"""A config finding with its key path: kept apart from the pydantic schema so that the LSP core
can report problems without importing pydantic at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ConfigProblem:
    """One precise finding: where it is, what is wrong, and how to fix it."""

    severity: Literal["error", "warning"]
    source: str
    key_path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.source}: {self.key_path}" if self.key_path else self.source
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.severity}: {where}: {self.message}{hint}"

    def to_json(self) -> dict[str, str]:
        return {
            "severity": self.severity,
            "source": self.source,
            "keyPath": self.key_path,
            "message": self.message,
            "hint": self.hint,
        }
