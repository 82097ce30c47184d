"""Ghost-text quality on a real local model, per prompt style, through the daemon's pipeline.

Cases are cut inside function bodies of real code: installed packages the project did not
write (httpx, click, jinja2, packaging, h11, anyio) and zeke_ls itself. Each case opens the
file with the cursor line cut at a column inside its body (the rest of that line removed,
as while typing), asks `textDocument/inlineCompletion` over LSP from a real daemon serving
the model, and scores the shown suggestion:

- exact: its first line equals the removed rest of the line (whitespace-trimmed);
- similarity: difflib ratio of the two first lines;
- garbage, by class: template tokens, fences, cursor markers, coding cookies/shebangs,
  prose, echo (a copy of the cursor line, the line above or below), another language, and
  unparseable (the file with the suggestion accepted no longer parses).
Empty answers are counted apart: showing nothing is not garbage.

    .venv/bin/python bench/bench_quality.py [--cases 24] [--styles chat,raw-noheal,raw]
        [--model-path FILE.gguf]   # default: the bundled SmolLM2
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import difflib
import importlib.util
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.harness import open_document, zeke_session  # noqa: E402
from zeke_ls.completion.guards import COOKIE, CURSOR_MARKERS, FENCE, PROSE_START, TEMPLATE_TOKENS  # noqa: E402

THIRD_PARTY = ("httpx", "click", "jinja2", "packaging", "h11", "anyio")
OTHER_LANGUAGE = re.compile(
    r"(^|\s)(function\s+\w+\s*\(|const\s+\w+\s*=|let\s+\w+\s*=|var\s+\w+\s*=|#include\b|"
    r"public\s+(static\s+)?\w+|console\.log|System\.out|fmt\.Print|\)\s*\{\s*$|;\s*$)"
)
CLASSES = ("template", "fence", "marker", "cookie", "prose", "echo", "language", "unparseable")


@dataclass
class Case:
    name: str
    text: str
    """The document as opened: the cursor line cut at the cursor."""
    line: int
    column: int
    expected: str
    original: str


def package_files(name: str) -> list[Path]:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = Path(next(iter(spec.submodule_search_locations)))
    return sorted(p for p in folder.rglob("*.py") if "test" not in p.name)


def body_cuts(source: str) -> list[tuple[int, int]]:
    """(line, column) cut points inside function bodies: after the indentation or after a
    word boundary past it, on lines with at least a few characters left to predict."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    lines = source.split("\n")
    cuts = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or len(node.body) < 3:
            continue
        for statement in node.body[1:]:
            index = statement.lineno - 1
            if statement.end_lineno != statement.lineno:
                continue  # one-line statements: the expected text is the rest of the line
            line = lines[index]
            indent = len(line) - len(line.lstrip())
            stripped = line.strip()
            if len(stripped) < 8 or stripped.startswith(("#", '"', "'")):
                continue
            bounds = [indent] + [
                m.end() for m in re.finditer(r"[\s(=,.]", line) if indent < m.end() < len(line) - 3
            ]
            cuts.append((index, random.Random(index).choice(bounds)))
    return cuts


def build_cases(count: int, seed: int = 16) -> list[Case]:
    rng = random.Random(seed)
    pools = {
        "third-party": [f for n in THIRD_PARTY for f in package_files(n)],
        "zeke_ls": sorted((ROOT / "zeke_ls").rglob("*.py")),
    }
    wanted = {"third-party": count - count // 3, "zeke_ls": count // 3}
    cases: list[Case] = []
    for pool, files in pools.items():
        rng.shuffle(files)
        taken = 0
        for path in files:
            if taken >= wanted[pool]:
                break
            source = path.read_text("utf-8", "replace")
            if len(source) > 60_000:
                continue
            cuts = body_cuts(source)
            if not cuts:
                continue
            line, column = rng.choice(cuts)
            lines = source.split("\n")
            expected = lines[line][column:]
            cut = [*lines[:line], lines[line][:column], *lines[line + 1 :]]
            name = f"{pool}:{path.parent.name}/{path.name}:{line + 1}"
            cases.append(Case(name, "\n".join(cut), line, column, expected, source))
            taken += 1
    return cases


def classify(case: Case, shown: str) -> str | None:
    """The garbage class of a shown suggestion, or None when it is not garbage."""
    first = shown.split("\n", 1)[0]
    lines = case.text.split("\n")
    cursor_line = lines[case.line] + first
    neighbours = {
        lines[case.line - 1].strip() if case.line else "",
        lines[case.line + 1].strip() if case.line + 1 < len(lines) else "",
    }
    checks = [
        ("template", TEMPLATE_TOKENS.search(shown)),
        ("fence", any(FENCE.match(line) for line in shown.split("\n"))),
        ("marker", CURSOR_MARKERS.search(shown)),
        ("cookie", any(COOKIE.match(line) for line in [cursor_line, *shown.split("\n")[1:]])),
        ("prose", PROSE_START.match(first)),
        ("echo", len(cursor_line.strip()) > 3 and cursor_line.strip() in neighbours),
        ("language", OTHER_LANGUAGE.search(first)),
        ("unparseable", not _parses(case, shown)),
    ]
    return next((name for name, hit in checks if hit), None)


def _parses(case: Case, shown: str) -> bool:
    lines = case.text.split("\n")
    accepted = "\n".join([*lines[: case.line], lines[case.line] + shown, *lines[case.line + 1 :]])
    try:
        ast.parse(accepted)
    except (SyntaxError, ValueError):
        return False
    return True


def config(style: str, model_path: str | None) -> str:
    path_line = f'model_path = "{model_path}"\n' if model_path else ""
    return f"""
[aliases.local]
route = "llamacpp:bench-model"
completion_style = "{style}"

[providers.llamacpp]
{path_line}
[completion]
model = "local"
max_tokens = 48
prompt_tokens = 384
temperature = 0

[routing]
health_interval_ms = 600000
first_token_timeout_ms = 120000
idle_timeout_ms = 60000
"""


async def run_style(
    style: str, cases: list[Case], model_path: str | None
) -> list[tuple[Case, str, float]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="zeke-quality-") as tmp:
        async with zeke_session(Path(tmp), config(style, model_path)) as client:
            root = Path(tmp) / "workspace"
            for index, case in enumerate(cases):
                uri = open_document(client, root / f"case{index}.py", case.text)
                started = time.perf_counter()
                answer = await client.text_document_inline_completion_async(
                    types.InlineCompletionParams(
                        text_document=types.TextDocumentIdentifier(uri=uri),
                        position=types.Position(line=case.line, character=case.column),
                        context=types.InlineCompletionContext(
                            trigger_kind=types.InlineCompletionTriggerKind.Invoked
                        ),
                    )
                )
                elapsed = time.perf_counter() - started
                items = answer.items if answer and not isinstance(answer, list) else answer or []
                text = items[0].insert_text if items else ""
                results.append((case, text if isinstance(text, str) else text.value, elapsed))
                client.text_document_did_close(
                    types.DidCloseTextDocumentParams(
                        text_document=types.TextDocumentIdentifier(uri=uri)
                    )
                )
    return results


def score(results: list[tuple[Case, str, float]]) -> dict[str, float]:
    counts: Counter[str] = Counter()
    similarity = 0.0
    for case, shown, _ in results:
        first = shown.split("\n", 1)[0].strip()
        if not shown.strip():
            counts["empty"] += 1
            continue
        garbage = classify(case, shown)
        if garbage:
            counts[garbage] += 1
            counts["garbage"] += 1
        counts["exact"] += first == case.expected.strip()
        similarity += difflib.SequenceMatcher(None, first, case.expected.strip()).ratio()
    total = len(results)
    latencies = sorted(elapsed for *_, elapsed in results)
    return {
        "n": total,
        "exact": counts["exact"] / total,
        "similarity": similarity / total,
        "empty": counts["empty"] / total,
        "garbage": counts["garbage"] / total,
        "p50_s": latencies[len(latencies) // 2],
        **{name: counts[name] for name in CLASSES},
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=24)
    parser.add_argument("--styles", default="chat,raw-noheal,raw")
    parser.add_argument("--model-path", default=None)
    parser.add_argument("--show", action="store_true", help="print every suggestion")
    args = parser.parse_args()
    cases = build_cases(args.cases)
    print(f"{len(cases)} cases ({sum(c.name.startswith('third') for c in cases)} third-party)")
    rows = {}
    for style in args.styles.split(","):
        results = asyncio.run(run_style(style, cases, args.model_path))
        rows[style] = score(results)
        print(f"{style}: {rows[style]}", flush=True)
        if args.show:
            for case, shown, _ in results:
                print(
                    f"  [{style}] {case.name}: expected {case.expected.strip()!r} "
                    f"got {shown!r} ({classify(case, shown) if shown.strip() else 'empty'})",
                    flush=True,
                )
    print(
        "\n| style | exact first line | similarity | empty | garbage shown | garbage classes | p50 latency |"
    )
    print("|---|---|---|---|---|---|---|")
    for style, row in rows.items():
        classes = ", ".join(f"{name} {int(row[name])}" for name in CLASSES if row[name]) or "-"
        print(
            f"| {style} | {row['exact']:.0%} | {row['similarity']:.2f} | {row['empty']:.0%} | "
            f"{row['garbage']:.0%} | {classes} | {row['p50_s']:.2f} s |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
