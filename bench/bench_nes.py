"""Next-edit suggestions: placement, minimal-edit extraction and quiet rules, measured.

(1) Replay corpus: real multi-hunk changes between consecutive PyPI releases (the corpus of
bench_patch.py, wheels cached in .cache/pypi). In a changed file, the first hunks are typed
into the daemon as the history and the next hunk is the expected edit. A scripted model
answers each request with (a) the exact rewritten excerpt, (b) noisy versions (an unrelated
line rewritten, blank lines dropped, lines re-indented, the whole excerpt re-indented, the
last edit put back as it was), (c) no change (plain, and echoed with that noise). Counted:
correct edits, wrong edits shown, quiet; and the latency the daemon adds (p50 of a
zeke/nextEdit round trip minus p50 of the same HTTP call made directly).

(2) cursortab.nvim's eval (/work/shared/data/nes-cursortab): zeke_ls's extraction and quiet
rules applied to each model's recorded answers, scored as its README says, beside the
published score; then its scenarios end to end through the daemon with a scripted model.

    PYTHONPATH=. .venv/bin/python -m bench.bench_nes [--max-cases N] [--parts replay,cursortab]
    PYTHONPATH=. .venv/bin/python -m bench.bench_nes --parts local --local-cases 12
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from lsprotocol import types

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bench_patch  # noqa: E402
from bench.nes_cursortab_run import run_cursortab, run_local  # noqa: E402
from tests.fakes.provider import FakeProvider, Recorded, Reply  # noqa: E402
from tests.harness import loopback_config, open_document, rpc, zeke_session  # noqa: E402
from zeke_ls.nes.extract import MERGE_GAP  # noqa: E402
from zeke_ls.nes.prompt import excerpt_around  # noqa: E402

WINDOW = 40
MAX_PER_FILE = 6


@dataclass
class Case:
    name: str
    states: list[list[str]]
    """states[k]: the file with the first k hunks applied; the last one is the expected."""
    cursor: tuple[int, int]
    last_new: tuple[int, int]
    """Lines [a, b) of states[-2] that the last history hunk wrote."""


# --- corpus -----------------------------------------------------------------------------------


def grouped_states(old: list[str], new: list[str]) -> tuple[list[list[str]], list[tuple]]:
    """File states after each hunk (diff groups with 3 lines of context), and where each
    hunk's new lines are in the state it produced."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    groups = list(matcher.get_grouped_opcodes(3))
    opcodes = matcher.get_opcodes()
    owner = {}
    for g, group in enumerate(groups):
        for op in group:
            if op[0] != "equal":
                owner[(op[1], op[2], op[3], op[4])] = g
    states, spans = [], []
    for k in range(len(groups) + 1):
        lines: list[str] = []
        span = [None, None]
        for tag, i1, i2, j1, j2 in opcodes:
            g = owner.get((i1, i2, j1, j2))
            if tag != "equal" and g is not None and g < k:
                if g == k - 1:
                    span[0] = len(lines) if span[0] is None else span[0]
                lines += new[j1:j2]
                if g == k - 1:
                    span[1] = len(lines)
            else:
                lines += old[i1:i2]
        states.append(lines)
        spans.append(tuple(span))
    return states, spans


PAIRS = [
    *bench_patch.PAIRS,
    ("flask", "3.0.0", "3.0.1"),
    ("werkzeug", "3.0.1", "3.0.2"),
    ("pytest", "7.4.3", "7.4.4"),
    ("urllib3", "2.1.0", "2.2.0"),
    ("httpx", "0.25.1", "0.25.2"),
]
"""bench_patch.py's release pairs and a few more pure-Python packages."""


def build_corpus(max_cases: int) -> list[Case]:
    cases: list[Case] = []
    for name, v1, v2 in PAIRS:
        try:
            before = bench_patch.sources(bench_patch.wheel(name, v1))
            after = bench_patch.sources(bench_patch.wheel(name, v2))
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"skipped {name} {v1}..{v2}: cannot download ({exc})")
            continue
        for path in sorted(set(before) & set(after)):
            if before[path] != after[path]:
                cases += file_cases(
                    f"{name}-{v2}:{path}", before[path].splitlines(), after[path].splitlines()
                )
    rng = random.Random(11)
    rng.shuffle(cases)
    return cases[:max_cases] if max_cases else cases


def file_cases(name: str, old: list[str], new: list[str]) -> list[Case]:
    states, spans = grouped_states(old, new)
    found = []
    for k in range(1, len(states) - 1):
        a, b = spans[k]
        if a is None or b is None or a == b:
            continue  # a pure deletion leaves no line for the cursor
        cursor = (b - 1, len(states[k][b - 1]))
        excerpt = excerpt_around(states[k], cursor[0], cursor[1], WINDOW, "f.py", "python")
        hunk = difflib.SequenceMatcher(None, states[k], states[k + 1], autojunk=False)
        changed = [op for op in hunk.get_opcodes() if op[0] != "equal"]
        lo, hi = changed[0][1], changed[-1][2]
        if lo <= excerpt.start or hi >= excerpt.end:
            continue  # the next hunk is not inside the window: nothing to predict here
        if "".join("".join(states[k]).split()) == "".join("".join(states[k + 1]).split()):
            continue  # a whitespace-only hunk: never suggested, by rule
        found.append(Case(f"{name}#{k}", states[: k + 2], cursor, (a, b)))
        if len(found) >= MAX_PER_FILE:
            break
    return found


# --- the scripted model ---------------------------------------------------------------------

EXCERPT = re.compile(r"lines (\d+)-(\d+):\n```[^\n]*\n(.*?)\n```\n\nReply", re.S)


def sent_excerpt(body: dict[str, Any]) -> tuple[int, list[str]]:
    match = EXCERPT.search(body["messages"][-1]["content"])
    assert match, "no excerpt in the prompt"
    return int(match.group(1)) - 1, match.group(3).replace("<|user_cursor|>", "").split("\n")


def rewrite(case: Case, start: int, sent: list[str]) -> list[str]:
    current, expected = case.states[-2], case.states[-1]
    assert current[start : start + len(sent)] == sent, "excerpt differs from the document"
    return expected[start : start + len(sent) + len(expected) - len(current)]


def changed_rows(sent: list[str], answer: list[str]) -> set[int]:
    rows: set[int] = set()
    for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(
        None, sent, answer, autojunk=False
    ).get_opcodes():
        if tag != "equal":
            rows.update(range(max(0, j1 - 1), j2 + 1))
    return rows


def noisy(kind: str, case: Case, start: int, sent: list[str], rng: random.Random) -> list[str]:
    """The answer a noisy model gives: the expected rewrite, damaged the `kind` way."""
    answer = rewrite(case, start, sent) if not kind.startswith("none") else list(sent)
    near = changed_rows(sent, answer)
    far = [
        i
        for i, x in enumerate(answer)
        if x.strip() and all(abs(i - r) > MERGE_GAP + 1 for r in near)
    ]
    if kind == "unrelated" and far:
        i = rng.choice(far)
        line = answer[i]
        answer[i] = (
            line.replace('"', "'")
            if '"' in line
            else line.replace("'", '"')
            if "'" in line
            else line + "  # noqa"
        )
    elif kind in ("blank_lines", "none_noisy"):
        blanks = [i for i, x in enumerate(answer) if not x.strip() and i not in near]
        drop = set(rng.sample(blanks, len(blanks) // 2))
        answer = [x for i, x in enumerate(answer) if i not in drop]
    if kind in ("indent_lines", "none_noisy"):
        body = [i for i, x in enumerate(answer) if x.strip() and i not in near]
        for i in rng.sample(body, min(3, len(body))):
            answer[i] = "  " + answer[i]
    elif kind == "indent_all":
        answer = ["    " + x if x.strip() else x for x in answer]
    if kind in ("stale", "none_noisy"):
        answer = put_back_last_edit(case, start, answer)
    return answer


def put_back_last_edit(case: Case, start: int, answer: list[str]) -> list[str]:
    """The excerpt as the model last saw it before the user's last edit (stale text)."""
    a, b = case.last_new
    before = case.states[-3]
    written = case.states[-2][a:b]
    old = difflib.SequenceMatcher(None, before, case.states[-2], autojunk=False)
    ops = [op for op in old.get_opcodes() if op[0] != "equal"]
    original = before[ops[0][1] : ops[-1][2]]
    text = "\n".join(answer)
    joined = "\n".join(written)
    return text.replace(joined, "\n".join(original), 1).split("\n") if joined else answer


# --- running through the daemon -------------------------------------------------------------

VARIANTS = [
    "exact",
    "unrelated",
    "blank_lines",
    "indent_lines",
    "indent_all",
    "stale",
    "none",
    "none_noisy",
]


def full_change(client: Any, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def apply_edit(text: str, edit: dict[str, Any]) -> str:
    lines = text.split("\n")

    def offset(pos: dict[str, int]) -> int:  # the bench's texts are ASCII-safe enough
        line = lines[pos["line"]] if pos["line"] < len(lines) else ""
        units = line.encode("utf-16-le")[: 2 * pos["character"]].decode("utf-16-le", "ignore")
        return sum(len(x) + 1 for x in lines[: pos["line"]]) + len(units)

    rng = edit["range"]
    return text[: offset(rng["start"])] + edit["newText"] + text[offset(rng["end"]) :]


async def replay(cases: list[Case], fake: FakeProvider) -> None:
    table = {v: {"correct": 0, "wrong": 0, "quiet": 0} for v in VARIANTS}
    daemon_ms: list[float] = []
    direct_ms: list[float] = []
    floor_ms: list[float] = []
    script: dict[str, Any] = {}

    def respond(request: Recorded) -> Reply:
        start, sent = sent_excerpt(request.json)
        answer = noisy(script["variant"], script["case"], start, sent, script["rng"])
        return Reply(chunks=["```python\n", "\n".join(answer), "\n```"])

    fake.responder = respond
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            zeke_session(Path(tmp), loopback_config(fake.url)) as client,
            httpx.AsyncClient() as http,
        ):
            for n, case in enumerate(cases):
                for variant in VARIANTS:
                    script.update(variant=variant, case=case, rng=random.Random(n))
                    outcome, elapsed = await one_request(client, Path(tmp), n, variant, case)
                    table[variant][outcome] += 1
                    daemon_ms.append(elapsed)
                    direct_ms.append(await direct_call(http, fake))
                    floor_ms.append(await lsp_floor(client))
    print_replay(table, len(cases), daemon_ms, direct_ms, floor_ms)


async def one_request(
    client: Any, tmp: Path, n: int, variant: str, case: Case
) -> tuple[str, float]:
    texts = ["\n".join(s) + "\n" for s in case.states]
    first = max(0, len(texts) - 6)  # at most four hunks of history before the last one
    uri = open_document(client, tmp / "workspace" / f"case{n}_{variant}.py", texts[first])
    for version, text in enumerate(texts[first + 1 : -1], start=2):
        full_change(client, uri, version, text)
    # The history's didChange notifications are processed before the request is timed: the
    # figure is the latency of the request itself.
    await rpc(client, "zeke/documentState", {"textDocument": {"uri": uri}})
    line, character = case.cursor
    started = time.perf_counter()
    result = await rpc(
        client,
        "zeke/nextEdit",
        {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
    )
    elapsed = (time.perf_counter() - started) * 1000
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    edit = result.get("edit")
    if edit is None:
        return "quiet", elapsed
    if variant.startswith("none"):
        return "wrong", elapsed
    return ("correct" if apply_edit(texts[-2], edit) == texts[-1] else "wrong"), elapsed


async def lsp_floor(client: Any) -> float:
    """One trivial request (`zeke/status`): what any LSP round trip costs here."""
    started = time.perf_counter()
    await rpc(client, "zeke/status")
    return (time.perf_counter() - started) * 1000


async def direct_call(http: httpx.AsyncClient, fake: FakeProvider) -> float:
    """The same chat request, straight to the fake provider: the floor without the daemon."""
    body = fake.calls("/chat/completions")[-1].json
    started = time.perf_counter()
    async with http.stream(
        "POST", f"{fake.url}/v1/chat/completions", json=body, headers={"Authorization": "Bearer x"}
    ) as response:
        async for _ in response.aiter_lines():
            pass
    return (time.perf_counter() - started) * 1000


def print_replay(
    table: dict[str, dict[str, int]],
    n: int,
    daemon: list[float],
    direct: list[float],
    floor: list[float],
) -> None:
    print(
        f"\n(1) replay corpus: {n} next-hunk cases from {len(PAIRS)} PyPI "
        "release pairs, window 40 lines"
    )
    print("\n| scripted answer | correct edit | wrong edit shown | quiet |")
    print("|---|--:|--:|--:|")
    for variant, c in table.items():
        total = sum(c.values())
        print(
            f"| {variant} | {c['correct']} ({100 * c['correct'] / total:.1f}%) | "
            f"{c['wrong']} | {c['quiet']} |"
        )
    noisy_rows = [table[v] for v in VARIANTS[1:6]]
    ok = sum(c["correct"] for c in noisy_rows)
    total = sum(sum(c.values()) for c in noisy_rows)
    print(
        f"| (b) all noise | {ok} ({100 * ok / total:.1f}%) | "
        f"{sum(c['wrong'] for c in noisy_rows)} | {sum(c['quiet'] for c in noisy_rows)} |"
    )
    d, h, f = statistics.median(daemon), statistics.median(direct), statistics.median(floor)
    paired = statistics.median(x - y for x, y in zip(daemon, direct, strict=True))
    print(
        f"\nlatency p50 over {len(daemon)} requests: zeke/nextEdit {d:.2f} ms, the same HTTP "
        f"call made directly {h:.2f} ms; added by the daemon {d - h:.2f} ms (p50 of paired "
        f"differences {paired:.2f} ms), of which an LSP round trip (zeke/status) is {f:.2f} ms"
        f"; load average {os.getloadavg()[0]:.1f}"
    )


def corpus_or_none(max_cases: int) -> list[Case] | None:
    try:
        return build_corpus(max_cases)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"(1) replay corpus skipped: cannot download the wheels ({exc})")
        return None


async def main_async(args: argparse.Namespace) -> None:
    fake = FakeProvider().start()
    try:
        if "replay" in args.parts:
            cases = corpus_or_none(args.max_cases)
            if cases:
                await replay(cases, fake)
        if "cursortab" in args.parts:
            await run_cursortab(fake)
        if "local" in args.parts:
            await run_local(fake, args.local_cases)
    finally:
        fake.stop()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-cases", type=int, default=250)
    parser.add_argument(
        "--parts",
        default="replay,cursortab",
        help="replay, cursortab, local (the bundled SmolLM2, slow)",
    )
    parser.add_argument("--local-cases", type=int, default=12)
    asyncio.run(main_async(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
