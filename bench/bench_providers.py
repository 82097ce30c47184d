"""Benchmark the provider layer: what zeke_ls's Router adds to a streamed chat, next to what a
LiteLLM proxy adds to the same request.

One fake provider (its own process, so it never competes for the GIL with the timing client)
serves an OpenAI-style SSE chat of `--chunks` chunks. Interleaved in one run, round-robin per
iteration, each way streams the same request:

  plain    httpx POST to the fake, SSE lines read until `[DONE]`        (the floor)
  router   zeke_ls Router.chat(alias) -> direct openai provider -> fake
  litellm  httpx POST to a LiteLLM proxy -> fake                       (if litellm is installed)
  router+litellm  Router.chat(alias) with the proxy as [api] base_url  (if litellm is installed)

Each iteration runs every way once, in a shuffled order. Time to first token (first content
chunk) and total time; p50 and p95 over `--requests` requests per way; "added" is the p50 over
`plain`.

Run from the repository root: .venv/bin/python -m bench.bench_providers [--requests 200]
(ZEKE_LITELLM=/path/to/litellm to use a LiteLLM installed elsewhere).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import statistics
import time
import tomllib
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection

import httpx

from tests.fakes.provider import FakeProvider, Reply
from tests.interop.litellm_proxy import MASTER_KEY, LiteLLMProxy, litellm_executable
from zeke_ls.config.schema import ZekeConfig
from zeke_ls.providers.base import ChatRequest
from zeke_ls.providers.health import HealthBook
from zeke_ls.providers.router import Router

Timing = tuple[float, float]
Way = Callable[[], Awaitable[Timing]]
BODY = {"messages": [{"role": "user", "content": "hi"}], "stream": True, "max_tokens": 64}


def serve_fake(chunks: int, port_pipe: Connection) -> None:
    fake = FakeProvider().start()
    fake.default = Reply(chunks=[f"tok{i} " for i in range(chunks)])
    fake.responder = lambda request: None
    port_pipe.send(fake.port)
    port_pipe.recv()  # block until told to stop
    fake.stop()


async def plain(
    client: httpx.AsyncClient, url: str, model: str, headers: dict[str, str] | None = None
) -> Timing:
    """The floor: the least a client must do to stream the answer (raw bytes, no SSE parser)."""
    started = time.perf_counter()
    first = 0.0
    async with client.stream(
        "POST", url, json=BODY | {"model": model}, headers=headers or {}
    ) as response:
        async for chunk in response.aiter_raw():
            if not first and b'"content":' in chunk and b'"content": ""' not in chunk:
                first = time.perf_counter() - started
        # read to the end (not break at [DONE]) so the connection is reused, as the router does
    return first, time.perf_counter() - started


async def through_router(router: Router, alias: str) -> Timing:
    started = time.perf_counter()
    first = 0.0
    request = ChatRequest(messages=[{"role": "user", "content": "hi"}], max_tokens=64)
    async for delta in router.chat(alias, request):
        if delta.text and not first:
            first = time.perf_counter() - started
    return first, time.perf_counter() - started


def router_for(text: str) -> Router:
    config = ZekeConfig.model_validate(tomllib.loads(text))
    return Router(lambda: config, HealthBook())


def direct_config(fake_url: str) -> str:
    return (
        '[aliases]\ncode-fast = "openai:fake-fast"\n'
        f'[providers.openai]\nbase_url = "{fake_url}/v1"\n'
    )


def gateway_config(proxy_url: str) -> str:
    return (
        f'[api]\nbase_url = "{proxy_url}/v1"\napi_key = "{MASTER_KEY}"\n'
        '[aliases]\ncode-fast = "openai:fake-fast"\n'
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(results: dict[str, list[Timing]]) -> str:
    base_ttft = statistics.median(t for t, _ in results["plain"])
    base_total = statistics.median(t for _, t in results["plain"])
    added: dict[str, tuple[float, float]] = {}
    rows = [
        "| way | n | TTFT p50 ms | TTFT p95 ms | total p50 ms | total p95 ms "
        "| added TTFT p50 ms | added total p50 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for way, timings in results.items():
        ttft = [t * 1000 for t, _ in timings]
        total = [t * 1000 for _, t in timings]
        add = (
            statistics.median(ttft) - base_ttft * 1000,
            statistics.median(total) - base_total * 1000,
        )
        added[way] = add
        rows.append(
            f"| {way} | {len(timings)} | {statistics.median(ttft):.2f} | "
            f"{percentile(ttft, 0.95):.2f} | {statistics.median(total):.2f} | "
            f"{percentile(total, 0.95):.2f} | {add[0]:+.2f} | {add[1]:+.2f} |"
        )
    if "litellm" in added and added["litellm"][0] > 0:
        ratio_ttft = added["router"][0] / added["litellm"][0]
        ratio_total = added["router"][1] / added["litellm"][1]
        rows.append(
            f"\nrouter overhead / litellm overhead (p50): TTFT {ratio_ttft:.3f}, "
            f"total {ratio_total:.3f} (goal < 0.1)"
        )
    return "\n".join(rows)


async def run(requests: int, fake_url: str, proxy: LiteLLMProxy | None) -> dict[str, list[Timing]]:
    limits = httpx.Limits(max_keepalive_connections=8)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        direct = router_for(direct_config(fake_url))
        ways: dict[str, Way] = {
            "plain": lambda: plain(client, fake_url + "/v1/chat/completions", "fake-fast"),
            "router": lambda: through_router(direct, "code-fast"),
        }
        gateway = None
        if proxy is not None:
            gateway = router_for(gateway_config(proxy.url))
            auth = {"Authorization": f"Bearer {MASTER_KEY}"}
            ways["litellm"] = lambda: plain(
                client, proxy.url + "/v1/chat/completions", "code-fast", auth
            )
            ways["router+litellm"] = lambda: through_router(gateway, "code-fast")
        results: dict[str, list[Timing]] = {name: [] for name in ways}
        for _ in range(10):  # warm up connections and code paths
            for way in ways.values():
                await way()
        order = list(ways)
        for _ in range(requests):
            random.shuffle(order)  # no way always runs right after the proxy's after-work
            for name in order:
                results[name].append(await ways[name]())
        await direct.aclose()
        if gateway is not None:
            await gateway.aclose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--no-litellm", action="store_true")
    args = parser.parse_args()
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve_fake, args=(args.chunks, theirs), daemon=True)
    server.start()
    fake_url = f"http://127.0.0.1:{ours.recv()}"
    executable = None if args.no_litellm else litellm_executable()
    proxy = LiteLLMProxy(executable, fake_url).start() if executable else None
    try:
        results = asyncio.run(run(args.requests, fake_url, proxy))
    finally:
        if proxy is not None:
            proxy.stop()
        ours.send("stop")
        server.join(10)
    print(f"streamed chat, {args.chunks} chunks, {args.requests} requests per way, interleaved")
    if proxy is None:
        print("(LiteLLM proxy not installed: litellm rows skipped)")
    print(report(results))


if __name__ == "__main__":
    main()
