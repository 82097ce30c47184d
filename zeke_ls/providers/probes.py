"""Background health probes: keep `HealthBook` fresh for endpoints that the router must choose
between (several Ollama endpoints) and for endpoints that failed, so they are found again."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from zeke_ls.providers.health import probe
from zeke_ls.providers.routing import all_routes

if TYPE_CHECKING:
    from zeke_ls.providers.router import Router

log = logging.getLogger(__name__)
PROBE_TIMEOUT_S = 5.0


def probe_targets(router: Router) -> list[tuple[str, str, float]]:
    """(kind, url, timeout) of every endpoint in a multi-endpoint target or known to be down."""
    config = router.config
    found: dict[str, tuple[str, str, float]] = {}
    for route in all_routes(config):
        for target in route.targets:
            section = config.providers.get(target.provider)
            timeout = min(PROBE_TIMEOUT_S, (section.timeout_ms if section else 5000) / 1000)
            for url in target.endpoints:
                entry = router.health.entries.get(url)
                down = entry is not None and entry.reachable is False
                if url != "managed" and (len(target.endpoints) > 1 or down):
                    found[url] = (target.kind, url, timeout)
    return list(found.values())


async def probe_once(router: Router) -> None:
    targets = probe_targets(router)
    results = await asyncio.gather(
        *(probe(router.client, kind, url, timeout) for kind, url, timeout in targets)
    )
    for entry in results:
        router.health.record(
            entry.kind,
            entry.url,
            ok=bool(entry.reachable),
            latency_ms=entry.latency_ms,
            status=entry.status,
            error=entry.error,
        )


async def probe_loop(router: Router) -> None:
    """Runs until cancelled (at shutdown), every `[routing] health_interval_ms`."""
    while True:
        try:
            await probe_once(router)
        except Exception:  # a probe must never take the daemon down
            log.exception("health probe failed")
        await asyncio.sleep(router.config.routing.health_interval_ms / 1000)
