"""`zeke/status`: version, config sources and problems, aliases, endpoint health, usage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zeke_ls import __version__
from zeke_ls.config import FEATURES
from zeke_ls.routing import all_routes

if TYPE_CHECKING:
    from zeke_ls.server import ZekeServer

STATUS = "zeke/status"


def status_report(server: ZekeServer) -> dict[str, Any]:
    session = server.session
    config = session.config
    return {
        "version": __version__,
        "configSources": session.settings.sources,
        "problems": [p.to_json() for p in session.settings.problems],
        "workspaceRoots": [str(root) for root in session.roots],
        "aliases": [route.to_json() for route in all_routes(config)],
        "features": {feature: session.model_for(feature) for feature in FEATURES},
        "gateway": config.api.base_url,
        "health": session.health.snapshot(),
        "usage": {alias: usage.to_json() for alias, usage in session.usage.items()},
    }


def register(server: ZekeServer) -> None:
    @server.feature(STATUS)
    def status(params: Any) -> dict[str, Any]:
        return status_report(server)
