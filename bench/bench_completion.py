"""Completion latency: zeke_ls vs the HTTP floor vs tabby-agent, and a typing burst.

Run from the repository root (tabby-agent is optional; its rows are skipped without it):

    npm install --prefix .cache/tabby tabby-agent@1.5.0
    .venv/bin/python -m bench.bench_completion [--requests 200] [--tabby .cache/tabby]

Every server is on 127.0.0.1. Both fakes answer instantly, so the figures are the cost of the
daemons themselves. Each timed request follows a document change, so no cache answers it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.fakes.provider import FakeProvider, Recorded, Reply, send_json
from tests.harness import loopback_config, open_document, zeke_session

SUGGESTION = "compute(value)"


def source(lines: int) -> str:
    """A Python file of `lines` lines; the cursor line is in the middle."""
    body = [f"def function_{i}(value):\n    return value * {i}\n" for i in range(lines // 2)]
    return "".join(body)


def cursor_line(lines: int) -> int:
    return (lines // 2) | 1  # a `    return ...` line


def edit(
    client: LanguageClient, uri: str, line: int, old_len: int, text: str, version: int
) -> None:
    """Replace the cursor line's text, as a keystroke would, so that no cache can answer."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(line, 0), types.Position(line, old_len)),
                    text=text,
                )
            ],
        )
    )


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered) * 1000, p95 * 1000


Request = Callable[[LanguageClient, str, int, int], Awaitable[Any]]
ROUNDS = 4
"""Measurements are interleaved in rounds, so that load from other processes hits all alike."""


class Typist:
    """One open document in one client; each request follows a change of the cursor line."""

    def __init__(self, client: LanguageClient, uri: str, lines: int):
        self.client, self.uri, self.lines = client, uri, lines
        self.line = cursor_line(lines)
        self.old_len = len(f"    return value * {self.line // 2}")
        self.version = 1

    async def once(self, request: Request) -> float:
        self.version += 1
        text = f"    result_{self.version} = value + "
        edit(self.client, self.uri, self.line, self.old_len, text, self.version)
        self.old_len = len(text)
        started = time.perf_counter()
        result = await request(self.client, self.uri, self.line, len(text))
        elapsed = time.perf_counter() - started
        if not has_items(result):
            raise RuntimeError(f"request {self.version} returned no suggestion: {result!r}")
        return elapsed

    async def many(self, request: Request, count: int) -> list[float]:
        return [await self.once(request) for _ in range(count)]


async def inline(client: LanguageClient, uri: str, line: int, character: int) -> Any:
    return await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line, character),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
    )


async def menu(client: LanguageClient, uri: str, line: int, character: int) -> Any:
    return await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line, character),
        )
    )


def has_items(result: Any) -> bool:
    items = getattr(result, "items", result)
    return bool(items)


# --- the floor: one direct HTTP call per request ----------------------------------------------


async def floor_openai(url: str, text: str, lines: int, count: int) -> list[float]:
    line_start = sum(len(x) for x in text.splitlines(True)[: cursor_line(lines)])
    body = {
        "model": "fake-fast",
        "prompt": text[:line_start][-6000:],
        "suffix": "\n",
        "stream": True,
        "max_tokens": 128,
    }
    samples = []
    async with httpx.AsyncClient() as client:
        for _ in range(count):
            started = time.perf_counter()
            async with client.stream("POST", f"{url}/v1/completions", json=body) as response:
                async for _ in response.aiter_lines():
                    pass
            samples.append(time.perf_counter() - started)
    return samples


async def floor_tabby(url: str, count: int) -> list[float]:
    body = {"language": "python", "segments": {"prefix": "x = ", "suffix": "\n"}}
    samples = []
    async with httpx.AsyncClient() as client:
        for _ in range(count):
            started = time.perf_counter()
            (await client.post(f"{url}/v1/completions", json=body)).raise_for_status()
            samples.append(time.perf_counter() - started)
    return samples


# --- the daemons -----------------------------------------------------------------------------


@asynccontextmanager
async def zeke_typist(fake: FakeProvider, lines: int) -> AsyncIterator[Typist]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
            uri = open_document(client, tmp_path / "workspace" / "bench.py", source(lines))
            yield Typist(client, uri, lines)


def tabby_fake() -> FakeProvider:
    """A fake Tabby server: health, server settings, completions, events."""
    fake = FakeProvider()
    fake.routes.clear()

    async def health(f: FakeProvider, r: Recorded, reply: Reply, w: asyncio.StreamWriter) -> None:
        await send_json(
            w,
            200,
            {
                "model": "FakeCoder",
                "device": "cpu",
                "arch": "x86_64",
                "cpu_info": "fake",
                "cpu_count": 1,
                "cuda_devices": [],
                "version": {
                    "git_describe": "v0.20.0",
                    "build_date": "",
                    "build_timestamp": "",
                    "git_sha": "",
                },
            },
        )

    async def setting(f: FakeProvider, r: Recorded, reply: Reply, w: asyncio.StreamWriter) -> None:
        await send_json(w, 200, {"disable_client_side_telemetry": True})

    async def complete(f: FakeProvider, r: Recorded, reply: Reply, w: asyncio.StreamWriter) -> None:
        await send_json(
            w, 200, {"id": f"cmpl-{len(f.requests)}", "choices": [{"index": 0, "text": SUGGESTION}]}
        )

    async def events(f: FakeProvider, r: Recorded, reply: Reply, w: asyncio.StreamWriter) -> None:
        await send_json(w, 200, {})

    fake.routes.update(
        {
            ("GET", "/v1/health"): health,
            ("GET", "/v1beta/server_setting"): setting,
            ("POST", "/v1/completions"): complete,
            ("POST", "/v1/events"): events,
        }
    )
    return fake.start()


@asynccontextmanager
async def tabby_typist(tabby_dir: Path, url: str, lines: int) -> AsyncIterator[Typist]:
    """tabby-agent over stdio, configured as the issue says (fixed debounce of 0 ms)."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        config_dir = home / ".tabby-client" / "agent"
        config_dir.mkdir(parents=True)
        (config_dir / "config.toml").write_text(
            f'[server]\nendpoint = "{url}"\ntoken = "fake-token"\n\n'
            '[completion.debounce]\nmode = "fixed"\ninterval = 0\n\n'
            "[anonymousUsageTracking]\ndisable = true\n",
            encoding="utf-8",
        )
        cli = tabby_dir / "node_modules" / "tabby-agent" / "dist" / "cli.js"
        config = ClientServerConfig(
            server_command=["node", str(cli), "--lsp", "--stdio"],
            server_env={**os.environ, "HOME": str(home)},
        )
        client = await config.start()
        workspace = home / "workspace"
        workspace.mkdir()
        await client.initialize_session(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=from_fs_path(str(workspace)),
                workspace_folders=[
                    types.WorkspaceFolder(uri=from_fs_path(str(workspace)) or "", name="ws")
                ],
            )
        )
        try:
            uri = open_document(client, workspace / "bench.py", source(lines))
            await asyncio.sleep(1.0)  # let it finish its health check
            yield Typist(client, uri, lines)
        finally:
            await client.shutdown_session()
            await client.stop()


async def measure_size(
    fake: FakeProvider, tabby: FakeProvider | None, tabby_dir: Path | None, lines: int, count: int
) -> list[tuple[str, str, list[float]]]:
    """All paths for one file size, interleaved in ROUNDS rounds after a warm-up."""
    names = [
        "direct HTTP to fake /v1/completions (floor)",
        "zeke_ls textDocument/inlineCompletion",
        "zeke_ls textDocument/completion",
        "direct HTTP to fake Tabby /v1/completions",
        "tabby-agent textDocument/completion",
    ]
    samples: dict[str, list[float]] = {name: [] for name in names}
    async with AsyncExitStack() as stack:
        zeke = await stack.enter_async_context(zeke_typist(fake, lines))
        other = None
        if tabby is not None and tabby_dir is not None:
            other = await stack.enter_async_context(tabby_typist(tabby_dir, tabby.url, lines))
        text = source(lines)
        for round_number in range(ROUNDS + 1):
            n = 10 if round_number == 0 else count // ROUNDS
            batch = {
                names[0]: await floor_openai(fake.url, text, lines, n),
                names[1]: await zeke.many(inline, n),
                names[2]: await zeke.many(menu, n),
            }
            if other is not None and tabby is not None:
                batch[names[3]] = await floor_tabby(tabby.url, n)
                batch[names[4]] = await other.many(menu, n)
            if round_number:  # round 0 is the warm-up
                for name, values in batch.items():
                    samples[name] += values
    return [(name, str(lines), values) for name, values in samples.items() if values]


# --- typing burst -----------------------------------------------------------------------------


async def typing_burst(
    fake: FakeProvider, keystrokes: int = 30, gap_s: float = 0.03, answer_s: float = 0.2
) -> dict[str, Any]:
    """One request per keystroke against a provider taking `answer_s` to answer."""
    fake.reset()
    fake.default = Reply(chunks=[SUGGESTION], first_delay_s=answer_s)
    lines = 50
    line = cursor_line(lines)
    sent_at: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        async with zeke_session(tmp_path, loopback_config(fake.url)) as client:
            uri = open_document(client, tmp_path / "workspace" / "bench.py", source(lines))
            await asyncio.sleep(1.0)  # as in an editor: the daemon starts before typing does
            old_len = len(f"    return value * {line // 2}")
            pending = []
            for i in range(keystrokes):
                text = "    x = " + "abcdefghijklmnopqrstuvwxy"[: i % 25 + 1] + "0" * (i // 25)
                edit(client, uri, line, old_len, text, version=i + 2)
                old_len = len(text)
                sent_at.append(time.monotonic())
                pending.append(asyncio.ensure_future(inline(client, uri, line, len(text))))
                await asyncio.sleep(gap_s)
            results = await asyncio.gather(*pending)
            await asyncio.sleep(0.3)
    calls = fake.calls("/completions")
    close_ms = []
    for call in calls:
        # The keystroke that superseded this call: the first one sent after it reached the fake.
        # (Pairing calls and keystrokes by index is wrong once the daemon skips a keystroke.)
        later = [t for t in sent_at if t > call.received_at]
        if call.disconnected_at is not None and later:
            close_ms.append((call.disconnected_at - later[0]) * 1000)
    superseded = [c for c in calls if not c.completed]
    return {
        "keystrokes": keystrokes,
        "upstream_started": len(calls),
        "upstream_completed": sum(1 for c in calls if c.completed),
        "superseded_closed": sum(1 for c in superseded if c.disconnected_at is not None),
        "superseded": len(superseded),
        "non_empty_results": sum(1 for r in results if r.items),
        "close_p50_ms": statistics.median(close_ms) if close_ms else float("nan"),
        "close_max_ms": max(close_ms) if close_ms else float("nan"),
    }


# --- main -------------------------------------------------------------------------------------


async def main(count: int, tabby_dir: Path | None) -> None:
    fake = FakeProvider().start()
    fake.default = Reply(chunks=[SUGGESTION])
    tabby = tabby_fake() if tabby_dir is not None else None
    rows: list[tuple[str, str, list[float]]] = []
    try:
        for lines in (50, 5000):
            rows += await measure_size(fake, tabby, tabby_dir, lines, count)
        burst = await typing_burst(fake)
    finally:
        fake.stop()
        if tabby is not None:
            tabby.stop()
    print_table(rows, count, burst)


def print_table(
    rows: list[tuple[str, str, list[float]]], count: int, burst: dict[str, Any]
) -> None:
    print(f"\nRound trip, {count} requests each, fake provider answering instantly\n")
    print(f"| {'path':<45} | {'lines':>5} | {'p50 ms':>7} | {'p95 ms':>7} |")
    print(f"|{'-' * 47}|{'-' * 7}:|{'-' * 9}:|{'-' * 9}:|")
    for name, lines, samples in rows:
        p50, p95 = stats(samples)
        print(f"| {name:<45} | {lines:>5} | {p50:>7.2f} | {p95:>7.2f} |")
    print(
        "\nTyping burst: 30 keystrokes 30 ms apart, one inlineCompletion each, provider "
        "answering after 200 ms\n"
    )
    for key, value in burst.items():
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"| {key:<22} | {shown:>8} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--tabby",
        type=Path,
        default=Path(".cache/tabby"),
        help="directory holding node_modules/tabby-agent",
    )
    args = parser.parse_args()
    found = (args.tabby / "node_modules" / "tabby-agent" / "dist" / "cli.js").exists()
    if not found:
        print(f"tabby-agent not found under {args.tabby}: its rows are skipped", file=sys.stderr)
    asyncio.run(main(args.requests, args.tabby if found else None))
