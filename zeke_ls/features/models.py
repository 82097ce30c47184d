"""`zeke/models` and `zeke/setModel`: which aliases exist, and which one each feature uses.

A `zeke/setModel` choice lasts for the session (the Models service's overrides) and wins over
the config, so the next request of that feature goes to the new alias; an unknown alias is
NotFound listing the known ones. The context window reported here is the one the token
budgeter packs against.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zeke_ls.core.rpc import parse_params
from zeke_ls.protocol.session import ModelsResult, SetModelParams, SetModelResult
from zeke_ls.providers.routing import Route, all_routes
from zeke_ls.services.budget import alias_window

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer
    from zeke_ls.core.session import Session

MODELS = "zeke/models"
SET_MODEL = "zeke/setModel"


def reachable(session: Session, route: Route) -> bool | None:
    """True if any endpoint of the route answered last time, False if all failed, None if
    none was tried yet."""
    states = [
        session.health.entries[url].reachable
        for target in route.targets
        for url in target.endpoints
        if url in session.health.entries
    ]
    if any(state is True for state in states):
        return True
    if states and all(state is False for state in states):
        return False
    return None


def alias_json(session: Session, route: Route) -> dict[str, Any]:
    return {
        "name": route.alias,
        "route": route.route,
        "reachable": reachable(session, route),
        "contextWindow": alias_window(session, route.alias),
        "targets": route.to_json()["targets"],
        "fallbacks": list(route.fallbacks),
    }


def models_report(session: Session) -> ModelsResult:
    return ModelsResult(
        aliases=[alias_json(session, route) for route in all_routes(session.config)],
        features=session.models.features(),
        overrides=dict(session.models.overrides),
    )


def register(server: ZekeServer) -> None:
    @server.feature(MODELS)
    def models(params: Any) -> dict[str, Any]:
        return models_report(server.session).dump()

    @server.feature(SET_MODEL)
    def switch(params: Any) -> dict[str, Any]:
        args = parse_params(SetModelParams, params)
        return SetModelResult(
            features=server.session.models.choose(args.alias, args.feature)
        ).dump()
