"""`zeke-ls ask`: one streamed answer from a shell, through exactly the daemon's routing.

It lets a user check a setup without an editor: the answer goes to stdout as it streams,
problems go to stderr, and the exit status is non-zero on any failure.
"""

from __future__ import annotations

import asyncio
import sys

from zeke_ls.config.store import ConfigStore
from zeke_ls.providers.base import ChatRequest, ProviderError
from zeke_ls.providers.health import HealthBook
from zeke_ls.providers.router import Router


def run_ask(config_path: str | None, alias: str | None, prompt: str, system: str | None) -> int:
    store = ConfigStore(config_path)
    problems = store.reload()
    for problem in problems:
        print(f"zeke-ls: {problem}", file=sys.stderr)
    if any(p.severity == "error" for p in problems):
        return 2
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": prompt})
    chosen = alias or store.config.chat.model
    try:
        return asyncio.run(stream_answer(store, chosen, ChatRequest(messages=messages)))
    except KeyboardInterrupt:
        return 130


async def stream_answer(store: ConfigStore, alias: str, request: ChatRequest) -> int:
    router = Router(lambda: store.config, HealthBook())
    wrote_newline = True
    try:
        async for delta in router.chat(alias, request):
            if delta.text:
                sys.stdout.write(delta.text)
                sys.stdout.flush()
                wrote_newline = delta.text.endswith("\n")
            for call in delta.tool_calls:
                if call.name:
                    sys.stderr.write(f"[tool call: {call.name}]\n")
    except ProviderError as exc:
        if not wrote_newline:
            sys.stdout.write("\n")
        print(f"zeke-ls: {alias}: {exc}", file=sys.stderr)
        return 1
    finally:
        await router.aclose()
    if not wrote_newline:
        sys.stdout.write("\n")
    return 0
