"""Endpoint reachability: one short probe per endpoint, and the last known result of each.

A probe sends no credentials: any HTTP answer (even 401) proves the endpoint is reachable,
and a key never travels to a health URL.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

PROBE_PATHS = {
    "openai": "/models",
    "ollama": "/api/version",
    "anthropic": "/v1/models",
    "azure": "/openai/models?api-version=2024-10-21",
    "llamacpp": "/v1/models",
}


@dataclass
class EndpointHealth:
    kind: str
    url: str
    reachable: bool | None = None
    """None until the first probe or request."""
    latency_ms: float | None = None
    status: int | None = None
    error: str | None = None
    checked_at: float | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "url": self.url,
            "reachable": self.reachable,
            "latencyMs": None if self.latency_ms is None else round(self.latency_ms, 1),
            "status": self.status,
            "error": self.error,
            "checkedAt": self.checked_at,
        }


class HealthBook:
    """The last known health of every endpoint, written by probes and by real requests."""

    def __init__(self) -> None:
        self.entries: dict[str, EndpointHealth] = {}

    def get(self, kind: str, url: str) -> EndpointHealth:
        return self.entries.setdefault(url, EndpointHealth(kind, url))

    def record(
        self,
        kind: str,
        url: str,
        *,
        ok: bool,
        latency_ms: float | None = None,
        status: int | None = None,
        error: str | None = None,
    ) -> EndpointHealth:
        entry = self.get(kind, url)
        entry.reachable, entry.latency_ms, entry.status = ok, latency_ms, status
        entry.error, entry.checked_at = error, time.time()
        return entry

    def snapshot(self) -> list[dict[str, object]]:
        return [entry.to_json() for entry in self.entries.values()]


async def probe(client: httpx.AsyncClient, kind: str, url: str, timeout_s: float) -> EndpointHealth:
    """GET the endpoint's health or models URL once; never raises."""
    import httpx  # ~5 MB: not while the daemon idles (the session's health book is eager)

    target = url.rstrip("/") + PROBE_PATHS.get(kind, "/models")
    started = time.perf_counter()
    entry = EndpointHealth(kind, url)
    try:
        response = await client.get(target, timeout=timeout_s)
    except httpx.TimeoutException:
        entry.reachable, entry.error = False, f"no answer within {timeout_s:g} s"
    except httpx.HTTPError as exc:
        entry.reachable, entry.error = (
            False,
            f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
        )
    else:
        entry.reachable, entry.status = True, response.status_code
    entry.latency_ms = (time.perf_counter() - started) * 1000
    entry.checked_at = time.time()
    return entry


async def probe_all(endpoints: list[tuple[str, str]], timeout_s: float) -> list[EndpointHealth]:
    import httpx

    async with httpx.AsyncClient(follow_redirects=False) as client:
        return list(await asyncio.gather(*(probe(client, k, u, timeout_s) for k, u in endpoints)))
