"""How often zeke_ls applies imperfect model diffs correctly, refuses, or misapplies them,
compared with `git apply --recount` and `patch --fuzz=3` on the same inputs.

Corpus: real code changes between consecutive releases of pure-Python packages from PyPI
(wheels downloaded with `pip download --no-deps` into .cache/pypi). Each changed file's diff
is split into hunks; each hunk is one case (the old file, the hunk, and the expected new
file with only that hunk applied). Each case is damaged the way models damage diffs.

    .venv/bin/python bench/bench_patch.py [--max-cases N] [--tools zeke,git,patch]
"""

from __future__ import annotations

import argparse
import difflib
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zeke_ls.patch.apply import apply_hunks  # noqa: E402
from zeke_ls.patch.parse import ParseError, parse_edit  # noqa: E402

CACHE = ROOT / ".cache" / "pypi"
PAIRS = [
    ("attrs", "23.1.0", "23.2.0"),
    ("click", "8.1.6", "8.1.7"),
    ("requests", "2.31.0", "2.32.0"),
    ("packaging", "23.1", "23.2"),
    ("jinja2", "3.1.2", "3.1.3"),
    ("rich", "13.6.0", "13.7.0"),
    ("click", "8.1.7", "8.1.8"),
    ("rich", "13.7.0", "13.7.1"),
    ("packaging", "23.2", "24.0"),
    ("requests", "2.32.2", "2.32.3"),
]


@dataclass
class Case:
    name: str
    old: str
    new: str
    old_lines: list[str]
    new_lines: list[str]
    header: tuple[int, int, int, int]
    body: list[str]
    """Hunk body lines with their ' ', '-', '+' prefixes (no line endings)."""


# --- corpus ---------------------------------------------------------------------------------


def wheel(name: str, version: str) -> Path:
    found = [
        p for p in CACHE.glob("*.whl") if p.name.lower().startswith(f"{name.lower()}-{version}-")
    ]
    if found:
        return found[0]
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary",
            ":all:",
            f"{name}=={version}",
            "-d",
            str(CACHE),
        ],
        check=True,
    )
    return wheel(name, version)


def sources(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {
            n: archive.read(n).decode("utf-8")
            for n in archive.namelist()
            if n.endswith(".py") and ".dist-info/" not in n
        }


def build_corpus() -> list[Case]:
    cases: list[Case] = []
    for name, v1, v2 in PAIRS:
        before, after = sources(wheel(name, v1)), sources(wheel(name, v2))
        for path in sorted(set(before) & set(after)):
            if before[path] != after[path]:
                cases += file_cases(f"{name}-{v1}..{v2}:{path}", before[path], after[path])
    return cases


def file_cases(name: str, old: str, new: str) -> list[Case]:
    a, b = old.splitlines(), new.splitlines()
    cases = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for index, group in enumerate(matcher.get_grouped_opcodes(3)):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        body: list[str] = []
        for tag, x1, x2, y1, y2 in group:
            if tag == "equal":
                body += [" " + line for line in a[x1:x2]]
                continue
            body += ["-" + line for line in a[x1:x2]] + ["+" + line for line in b[y1:y2]]
        expected = a[:i1] + b[j1:j2] + a[i2:]
        new_text = "\n".join(expected) + ("\n" if old.endswith("\n") else "")
        cases.append(
            Case(
                f"{name}#{index}",
                old,
                new_text,
                a,
                expected,
                (i1 + 1, i2 - i1, j1 + 1, j2 - j1),
                body,
            )
        )
    return cases


# --- perturbations --------------------------------------------------------------------------


def as_udiff(case: Case, body: list[str], header: str | None = None) -> str:
    o1, on, n1, nn = case.header
    head = header if header is not None else f"@@ -{o1},{on} +{n1},{nn} @@"
    return "--- a/f.py\n+++ b/f.py\n" + head + "\n" + "\n".join(body) + "\n"


def exact(case: Case, rng: random.Random) -> str:
    return as_udiff(case, case.body)


def no_numbers(case: Case, rng: random.Random) -> str:
    return as_udiff(case, case.body, "@@ ... @@")


def shifted(case: Case, rng: random.Random) -> str:
    o1, on, n1, nn = case.header
    delta = rng.choice([-40, -12, 9, 25, 60])
    return as_udiff(
        case, case.body, f"@@ -{max(1, o1 + delta)},{on + 1} +{max(1, n1 + delta)},{nn} @@"
    )


def trimmed_context(case: Case, rng: random.Random) -> str:
    """Keep one context line at each end (models trim context), counts left stale."""
    body = list(case.body)
    while len(body) > 1 and body[0].startswith(" ") and body[1].startswith(" "):
        body.pop(0)
    while len(body) > 1 and body[-1].startswith(" ") and body[-2].startswith(" "):
        body.pop()
    return as_udiff(case, body)


def dropped_line(case: Case, rng: random.Random) -> str:
    """One unchanged line missing from the middle of a context run (models skip lines they
    think do not matter); where no run has a middle, the first context line goes."""
    body = list(case.body)

    def context(i: int) -> bool:
        return 0 <= i < len(body) and body[i].startswith(" ")

    middle = [i for i in range(len(body)) if context(i - 1) and context(i) and context(i + 1)]
    if middle:
        del body[rng.choice(middle)]
    elif context(0):
        del body[0]
    return as_udiff(case, body, "@@ @@")


def whitespace(case: Case, rng: random.Random) -> str:
    """Trailing whitespace on context lines, tabs turned to spaces, blank lines unprefixed."""
    body = [line + "  " if line.startswith(" ") and line.strip() else line for line in case.body]
    body = ["" if line == " " else line.replace("\t", "    ") for line in body]
    return as_udiff(case, body)


def dedented(case: Case, rng: random.Random) -> str:
    """The whole hunk re-indented (a snippet copied out of its block)."""
    texts = [line[1:] for line in case.body if line[1:].strip()]
    common = min((len(t) - len(t.lstrip(" ")) for t in texts), default=0)
    cut = min(common, 4)
    if cut == 0:
        return as_udiff(
            case, [line[0] + "  " + line[1:] if line[1:].strip() else line for line in case.body]
        )
    return as_udiff(
        case, [line[0] + line[1 + cut :] if line[1:].strip() else line for line in case.body]
    )


def elided(case: Case, rng: random.Random) -> str:
    """An interior run of unchanged lines replaced by `...` (or the trailing context)."""
    body = list(case.body)
    runs, start = [], None
    for i, line in enumerate([*body, "-"]):
        if line.startswith(" ") and start is None:
            start = i
        elif not line.startswith(" ") and start is not None:
            runs.append((start, i))
            start = None

    def anchored(piece: list[str]) -> bool:
        return any(not line.startswith("+") for line in piece)

    interior = [
        (s, e)
        for s, e in runs
        if s > 0 and e < len(body) and anchored(body[:s]) and anchored(body[e:])
    ]
    s, e = (
        interior[0]
        if interior
        else (runs[-1] if runs and runs[-1][1] == len(body) else (len(body), len(body)))
    )
    return as_udiff(case, [*body[:s], "...", *body[e:]], "@@ @@")


def blanks_dropped(case: Case, rng: random.Random) -> str:
    """Every blank context line left out (small models skip them when copying context)."""
    body = [line for line in case.body if not (line[:1] == " " and not line[1:].strip())]
    return as_udiff(case, body if any(line[:1] in "+-" for line in body) else case.body, "@@ @@")


def blanks_added(case: Case, rng: random.Random) -> str:
    """A blank context line that the file does not have, after the first context line."""
    body = list(case.body)
    first = next((i for i, line in enumerate(body) if line[:1] == " " and line[1:].strip()), None)
    if first is not None:
        body.insert(first + 1, " ")
    return as_udiff(case, body, "@@ @@")


def reindented(case: Case, rng: random.Random) -> str:
    """The whole hunk indented four spaces deeper (a block copied into a class body)."""
    return as_udiff(
        case, [line[0] + "    " + line[1:] if line[1:].strip() else line for line in case.body]
    )


def search_replace_ws(case: Case, rng: random.Random) -> str:
    """SEARCH/REPLACE whose lines differ in whitespace: trailing blanks on SEARCH lines, and
    the unchanged blank lines left out of both sides (copied context collapsed)."""
    kept = [line for line in case.body if line[0] != " " or line[1:].strip()]
    old = [line[1:] + "  " if line[1:].strip() else "" for line in kept if line[0] != "+"]
    new = [line[1:] for line in kept if line[0] != "-"]
    if not any(line.strip() for line in old):
        return search_replace(case, rng)
    return (
        "f.py\n<<<<<<< SEARCH\n"
        + "\n".join(old)
        + "\n=======\n"
        + "\n".join(new)
        + "\n>>>>>>> REPLACE\n"
    )


def search_replace(case: Case, rng: random.Random) -> str:
    old = [line[1:] for line in case.body if line[0] != "+"]
    new = [line[1:] for line in case.body if line[0] != "-"]
    return (
        "f.py\n<<<<<<< SEARCH\n"
        + "\n".join(old)
        + "\n=======\n"
        + "\n".join(new)
        + "\n>>>>>>> REPLACE\n"
    )


PERTURBATIONS: dict[str, Callable[[Case, random.Random], str]] = {
    "exact": exact,
    "no_numbers": no_numbers,
    "shifted": shifted,
    "trimmed_context": trimmed_context,
    "dropped_line": dropped_line,
    "whitespace": whitespace,
    "dedented": dedented,
    "elided": elided,
    "search_replace": search_replace,
    "blanks_dropped": blanks_dropped,
    "blanks_added": blanks_added,
    "reindented": reindented,
    "search_replace_ws": search_replace_ws,
}


def is_subset_change(case: Case, partial: str) -> bool:
    """Every changed block between old and partial is also in the true change, in place."""
    old, got = case.old.splitlines(), partial.splitlines()
    truth = difflib.SequenceMatcher(None, old, case.new_lines, autojunk=False).get_opcodes()
    true_blocks = {
        (i1, i2, tuple(case.new_lines[j1:j2])) for tag, i1, i2, j1, j2 in truth if tag != "equal"
    }
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, old, got, autojunk=False
    ).get_opcodes():
        if tag != "equal" and (i1, i2, tuple(got[j1:j2])) not in true_blocks:
            return False
    return True


# --- appliers -------------------------------------------------------------------------------


THRESHOLD = [0.9]
"""`[edit] fuzzy_threshold` used for zeke_ls (the config default); --threshold changes it."""


def run_zeke(case: Case, text: str, workdir: Path) -> str | None:
    try:
        patches = parse_edit(text)
    except ParseError:
        return None
    hunks = [(f"h{i}", h) for p in patches for i, h in enumerate(p.hunks)]
    result = apply_hunks(case.old, hunks, threshold=THRESHOLD[0])
    if any(o.status != "applied" for o in result.outcomes):
        return None if result.text == case.old else "PARTIAL:" + result.text
    return result.text


def run_tool(command: list[str], case: Case, text: str, workdir: Path) -> str | None:
    target = workdir / "f.py"
    target.write_text(case.old, encoding="utf-8")
    for leftover in workdir.glob("f.py.*"):
        leftover.unlink()
    done = subprocess.run(
        command, input=text.encode(), cwd=workdir, capture_output=True, check=False
    )
    after = target.read_text(encoding="utf-8")
    return None if done.returncode != 0 and after == case.old else after


TOOLS: dict[str, Callable[[Case, str, Path], str | None]] = {
    "zeke_ls": run_zeke,
    "git apply": lambda c, t, w: run_tool(["git", "apply", "--recount", "-"], c, t, w),
    "patch --fuzz=3": lambda c, t, w: run_tool(
        ["patch", "-p1", "--fuzz=3", "--no-backup-if-mismatch", "-r", "-", "-s", "f.py"], c, t, w
    ),
}


def verdict(result: str | None, case: Case) -> str:
    """A partial result (some pieces refused) counts as refused only if what was applied is
    exactly a subset of the true change; anything else is misapplied."""
    if result is None:
        return "refused"
    if result.startswith("PARTIAL:"):
        return "refused" if is_subset_change(case, result[8:]) else "misapplied"
    return "correct" if result == case.new else "misapplied"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-cases", type=int, default=0)
    parser.add_argument("--tools", default="zeke_ls,git apply,patch --fuzz=3")
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--only", default="", help="comma-separated perturbations to run")
    args = parser.parse_args()
    THRESHOLD[0] = args.threshold
    cases = build_corpus()
    if args.max_cases:
        cases = cases[: args.max_cases]
    print(f"corpus: {len(cases)} hunks from {len(PAIRS)} package release pairs")
    tools = [t for t in TOOLS if t in args.tools.split(",")]
    table: dict[tuple[str, str], Counter[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for pname, perturb in PERTURBATIONS.items():
            if args.only and pname not in args.only.split(","):
                continue
            rng = random.Random(7)
            for case in cases:
                text = perturb(case, rng)
                for tool in tools:
                    started = time.perf_counter()
                    result = TOOLS[tool](case, text, Path(tmp))
                    outcome = verdict(result, case)
                    counter = table.setdefault((pname, tool), Counter())
                    counter[outcome] += 1
                    counter["ms"] += int((time.perf_counter() - started) * 1000)
                    if args.show_failures and tool == "zeke_ls" and outcome == "misapplied":
                        print(f"MISAPPLIED {pname} {case.name}\n{text}")
    print_table(table, tools, len(cases))
    return 0


def print_table(table: dict[tuple[str, str], Counter[str]], tools: list[str], n: int) -> None:
    print(f"\n| perturbation | {' | '.join(tools)} |")
    print("|---|" + "---|" * len(tools))
    totals = {t: Counter() for t in tools}
    for pname in [p for p in PERTURBATIONS if (p, tools[0]) in table]:
        cells = []
        for tool in tools:
            c = table[(pname, tool)]
            totals[tool].update(c)
            cells.append(f"{c['correct']} / {c['refused']} / {c['misapplied']}")
        print(f"| {pname} | {' | '.join(cells)} |")
    cells = []
    for tool in tools:
        c = totals[tool]
        total = c["correct"] + c["refused"] + c["misapplied"]
        cells.append(
            f"**{100 * c['correct'] / total:.1f}% / {100 * c['refused'] / total:.1f}% / "
            f"{100 * c['misapplied'] / total:.1f}%**"
        )
    ran = len({p for p, _ in table})
    print(f"| all ({n} hunks x {ran}) | {' | '.join(cells)} |")
    print("\ncells: correct / refused / misapplied")


if __name__ == "__main__":
    raise SystemExit(main())
