"""The cursortab.nvim next-edit eval data (../shared/data/nes-cursortab, MIT): scenarios,
recorded model answers, and its scoring (deltaChrF x harmonic mean of show and quiet rates),
re-implemented from its README. Used by bench_nes.py."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path("/work/shared/data/nes-cursortab")
EVAL = DATA / "server" / "eval"


@dataclass
class Scenario:
    name: str
    header: dict[str, str]
    buffer: list[str]
    history: list[tuple[str, list[str], list[str]]]
    """(file, old lines, new lines), oldest first."""
    steps: list[str]
    expected: list[str] | None

    @property
    def file(self) -> str:
        return self.header.get("file", "file.txt")

    @property
    def language(self) -> str:
        return self.header.get("language", "")

    def cursors(self, fim: bool = False) -> list[tuple[int, int]]:
        """0-based (row, col) of each instance: the base cursor and any listed positions."""
        row, col = ("fim-row", "fim-col") if fim and "fim-row" in self.header else ("row", "col")
        found = [(int(self.header[row]) - 1, int(self.header[col]))]
        for item in self.header.get("cursor-positions", "").split(","):
            if item.strip():
                r, c = item.strip().split(":")
                found.append((int(r) - 1, int(c)))
        return found

    def instance_ids(self) -> list[str]:
        base = self.header.get("id", self.name)
        extra = self.header.get("cursor-positions", "")
        if not extra.strip():
            return [base]
        return [f"{base}@L{r + 1}" for r, _ in self.cursors()]

    def targets(self) -> list[str] | None:
        raw = self.header.get("targets")
        return [t.strip() for t in raw.split(",")] if raw else None

    def requests(self) -> int:
        return sum(1 for s in self.steps if s.startswith("request-completion"))


def parse_txtar(path: Path) -> Scenario:
    text = path.read_text(encoding="utf-8")
    parts = re.split(r"^-- (.+?) --$\n?", text, flags=re.M)
    header: dict[str, str] = {}
    for line in parts[0].splitlines():
        key, sep, value = line.partition(":")
        if sep and " " not in key.strip() and key.strip():
            header.setdefault(key.strip(), value.strip())
    sections = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        body = body[:-1] if body.endswith("\n") else body
        sections[name] = body.split("\n")
    history = _history(sections.get("history", []))
    steps = [s for s in sections.get("steps", []) if s.strip() and not s.startswith(("#", " "))]
    return Scenario(
        path.stem, header, sections["buffer.txt"], history, steps, sections.get("expected")
    )


def _history(lines: list[str]) -> list[tuple[str, list[str], list[str]]]:
    entries: list[tuple[str, list[str], list[str]]] = []
    current: dict[str, Any] | None = None
    mode = ""
    for line in lines:
        if line.startswith("<|file|>"):
            current = {"file": line[8:].strip(), "old": [], "new": []}
            entries.append(current)  # type: ignore[arg-type]
        elif line == "<|old|>":
            mode = "old"
        elif line == "<|new|>":
            mode = "new"
        elif current is not None and mode:
            current[mode].append(line)
    return [(e["file"], e["old"], e["new"]) for e in entries]  # type: ignore[index]


def scenarios() -> list[Scenario]:
    return [parse_txtar(p) for p in sorted((EVAL / "scenarios").glob("*.txtar"))]


def cassette(scenario: Scenario, target: str) -> list[tuple[Any, Any]]:
    """[(request body, response body)] per interaction (JSON where it parses)."""
    path = EVAL / "scenarios" / scenario.name / f"{target}.ndjson"
    if not path.exists():
        return []
    requests: dict[int, Any] = {}
    responses: dict[int, Any] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["kind"] == "meta":
            continue
        raw = base64.b64decode(item["body_b64"])
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = _ndjson(raw)
        (requests if item["kind"] == "request" else responses)[item["interaction"]] = body
    return [(requests.get(i), responses[i]) for i in sorted(responses)]


def _ndjson(raw: bytes) -> Any:
    try:
        return [json.loads(x) for x in raw.decode("utf-8").splitlines() if x.strip()]
    except (UnicodeDecodeError, ValueError):
        return None


TARGETS = [
    "mercuryapi",
    "zeta-2",
    "zeta",
    "qwen3.5-27B",
    "sweep-next-edit-7B",
    "sweep-next-edit-1.5B",
    "qwen3.5-4B",
    "qwen3.5-0.8B",
    "qwen3.5-2B",
    "copilot",
    "sweep-next-edit-0.5B",
    "sweepapi",
]
TARGET_TYPE = {
    "mercuryapi": "mercuryapi",
    "zeta-2": "zeta-2",
    "zeta": "zeta",
    "copilot": "copilot",
    "sweepapi": "sweepapi",
}


def target_type(target: str) -> str:
    if target.startswith("qwen"):
        return "fim"
    if target.startswith("sweep-next-edit"):
        return "sweep"
    return TARGET_TYPE[target]


def baseline() -> dict[str, dict[str, float]]:
    return json.loads((EVAL / "baseline.json").read_text(encoding="utf-8"))


def predictions() -> list[dict[str, Any]]:
    path = DATA / "derived" / "predictions.jsonl"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


# --- scoring (exactly as the README says) -------------------------------------------------


def chrf(candidate: str, reference: str, beta: float = 2.0) -> float:
    scores = []
    for n in range(1, 7):
        c = _ngrams(candidate, n)
        r = _ngrams(reference, n)
        if not c and not r:
            continue
        matches = sum(min(count, r.get(g, 0)) for g, count in c.items())
        p = matches / sum(c.values()) if c else 0.0
        rec = matches / sum(r.values()) if r else 0.0
        scores.append(0.0 if p == 0 and rec == 0 else (1 + beta**2) * p * rec / (beta**2 * p + rec))
    return 100.0 if not scores else 100.0 * sum(scores) / len(scores)


def _ngrams(text: str, n: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in range(len(text) - n + 1):
        counts[text[i : i + n]] = counts.get(text[i : i + n], 0) + 1
    return counts


def delta(before: list[str], after: list[str]) -> str:
    head = 0
    while head < min(len(before), len(after)) and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < min(len(before), len(after)) - head and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    return "\n".join(after[head : len(after) - tail])


@dataclass
class Aggregate:
    chrfs: list[float] = field(default_factory=list)
    shown: list[bool] = field(default_factory=list)
    quiet: list[bool] = field(default_factory=list)

    def add_quality(
        self, before: list[str], produced: list[str], expected: list[str], shown: bool
    ) -> None:
        self.chrfs.append(chrf(delta(before, produced), delta(before, expected)))
        self.shown.append(shown)

    def row(self) -> dict[str, float]:
        d = sum(self.chrfs) / len(self.chrfs) if self.chrfs else 0.0
        show = sum(self.shown) / len(self.shown) if self.shown else 0.0
        quiet = sum(self.quiet) / len(self.quiet) if self.quiet else 0.0
        gate = 2 * show * quiet / (show + quiet) if show + quiet else 0.0
        return {"score": d * gate / 100, "deltaChrF": d, "showRate": show, "quietRate": quiet}


# --- recorded answers as (excerpt the model saw, its rewrite) --------------------------------

MARKERS = ("<|user_cursor_is_here|>", "<|user_cursor|>", "<|cursor|>")


def _unmark(text: str) -> str:
    for marker in MARKERS:
        text = text.replace(marker, "")
    return text


def _between(text: str, start: str, end: str) -> str | None:
    if start not in text:
        return None
    rest = text.split(start, 1)[1]
    return rest.split(end, 1)[0] if end in rest else None


def recorded_rewrite(
    kind: str, request: Any, response: Any, buffer: list[str]
) -> tuple[list[str], str] | None:
    """(the lines the model was shown as editable, the rewritten text), or None when the
    recording holds no answer. Markers are removed; the zeke rules do the rest."""
    if kind == "zeta":
        sent = _between(
            request["prompt"], "<|editable_region_start|>\n", "\n<|editable_region_end|>"
        )
        text = response["choices"][0]["text"]
        text = text.split("<|editable_region_start|>", 1)[-1].removeprefix("\n")
        text = text.split("<|editable_region_end|>", 1)[0]
    elif kind == "zeta-2":
        sent = _between(request["prompt"], "<<<<<<< CURRENT\n", "\n=======\n")
        text = response["choices"][0]["text"].split(">>>>>>> UPDATED", 1)[0]
    elif kind == "mercuryapi":
        sent = _between(
            request["messages"][-1]["content"], "<|code_to_edit|>\n", "\n<|/code_to_edit|>"
        )
        content = response["choices"][0]["message"]["content"] or ""
        fenced = re.search(r"```[^\n]*\n(.*?)\n?```", content, re.S)
        text = fenced.group(1) if fenced else content
    elif kind == "sweep":
        prompt = request["prompt"]
        current = re.search(
            r"<\|file_sep\|>current/[^\n]*\n(.*?)<\|file_sep\|>updated/[^\n]*\n", prompt, re.S
        )
        if current is None:
            return None
        sent = current.group(1).removesuffix("\n")
        prefix = prompt[current.end() :]
        text = prefix + response["choices"][0]["text"]
    elif kind == "fim":
        prompt = request["prompt"]
        prefix = _between(prompt, "<|fim_prefix|>", "<|fim_suffix|>") or ""
        suffix = _between(prompt, "<|fim_suffix|>", "<|fim_middle|>") or ""
        sent = prefix + suffix
        text = prefix + response["choices"][0]["text"] + suffix
    elif kind == "copilot":
        sent = "\n".join(buffer)
        text = _apply_lsp_edits(buffer, response or [])
    elif kind == "sweepapi":
        sent = "\n".join(buffer)
        items = response if isinstance(response, list) else [response]
        text = sent
        for item in sorted(
            (i for i in items if isinstance(i, dict)), key=lambda i: -int(i.get("start_index", 0))
        ):
            start, end = int(item.get("start_index", 0)), int(item.get("end_index", 0))
            if item.get("completion") or end > start:
                text = text[:start] + item.get("completion", "") + text[end:]
    else:
        raise ValueError(kind)
    if sent is None:
        return None
    return _unmark(sent).split("\n"), _unmark(text)


def _apply_lsp_edits(buffer: list[str], edits: list[dict[str, Any]]) -> str:
    lines = list(buffer)
    text = "\n".join(lines)

    def offset(pos: dict[str, int]) -> int:
        return sum(len(x) + 1 for x in lines[: pos["line"]]) + pos["character"]

    for edit in sorted(edits, key=lambda e: -offset(e["range"]["start"])):
        start, end = offset(edit["range"]["start"]), offset(edit["range"]["end"])
        text = text[:start] + edit.get("text", "") + text[end:]
    return text
