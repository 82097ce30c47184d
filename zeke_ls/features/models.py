"""`zeke/models` and `zeke/setModel`: which aliases exist, and which one each feature uses.

A `zeke/setModel` choice lasts for the session (`session.model_overrides`) and wins over the
config, so the next request of that feature goes to the new alias. The context window reported
here is the one the token budgeter packs against.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from zeke_ls.config.schema import FEATURES
from zeke_ls.core.rpc import NotFound, Params, parse_params
from zeke_ls.providers.base import ProviderError
from zeke_ls.providers.routing import Route, all_routes, effective_config, resolve

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer
    from zeke_ls.core.session import Session

MODELS = "zeke/models"
SET_MODEL = "zeke/setModel"


class SetModelParams(Params):
    alias: str
    feature: Literal["completion", "chat", "edit"] | None = None


def alias_window(session: Session, alias: str) -> int:
    """The alias's context window as the router knows it; the config's default otherwise."""
    try:
        return session.router.info(alias).context_window
    except (ProviderError, KeyError, ValueError):
        config = session.config
        found = config.aliases.get(alias)
        if found is not None and found.context_window:
            return found.context_window
        return config.context.default_context_window


def reachable(session: Session, route: Route) -> bool | None:
    """True if any endpoint of the route answered last time, False if all failed, None if
    none was tried yet."""
    states = [session.health.entries[url].reachable
              for target in route.targets for url in target.endpoints
              if url in session.health.entries]
    if any(state is True for state in states):
        return True
    if states and all(state is False for state in states):
        return False
    return None


def alias_json(session: Session, route: Route) -> dict[str, Any]:
    return {"name": route.alias, "route": route.route, "reachable": reachable(session, route),
            "contextWindow": alias_window(session, route.alias),
            "targets": route.to_json()["targets"], "fallbacks": list(route.fallbacks)}


def models_report(session: Session) -> dict[str, Any]:
    return {
        "aliases": [alias_json(session, route) for route in all_routes(session.config)],
        "features": {feature: session.model_for(feature) for feature in FEATURES},
        "overrides": dict(session.model_overrides),
    }


def set_model(session: Session, params: SetModelParams) -> dict[str, Any]:
    """Switch one feature (or all of them) to a known alias for this session."""
    config = effective_config(session.config)
    if params.alias not in config.aliases and not (params.alias == "auto" or config.api.base_url):
        known = ", ".join(sorted(config.aliases)) or "none"
        raise NotFound(f'unknown alias "{params.alias}"; known aliases: {known}')
    try:
        resolve(config, params.alias)
    except KeyError:
        if params.alias != "auto":
            raise NotFound(f'unknown alias "{params.alias}"') from None
    for feature in [params.feature] if params.feature else list(FEATURES):
        session.model_overrides[feature] = params.alias
    return {"features": {feature: session.model_for(feature) for feature in FEATURES}}


def register(server: ZekeServer) -> None:
    @server.feature(MODELS)
    def models(params: Any) -> dict[str, Any]:
        return models_report(server.session)

    @server.feature(SET_MODEL)
    def switch(params: Any) -> dict[str, Any]:
        return set_model(server.session, parse_params(SetModelParams, params))
