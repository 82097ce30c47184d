"""The Models service: which alias each feature uses, alias validation, and the one mapping
from provider failures to JSON-RPC errors that every feature uses.

Error mapping (protocol.md, "Errors"):
- `UnknownAlias` -> NotFound (-32003), listing the known aliases;
- `ProviderConfigError` (an unset `env:VAR`, no local-model extra) -> ConfigInvalid (-32002);
- any other `ProviderError` -> ProviderFailed (-32001) with `data: {provider, endpoint,
  status}`, `provider` never empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from zeke_ls.config.schema import FEATURES
from zeke_ls.core.rpc import ConfigInvalid, NotFound, ProviderFailed, ZekeError
from zeke_ls.providers.base import ProviderConfigError, ProviderError, UnknownAlias
from zeke_ls.providers.routing import effective_config, resolve

if TYPE_CHECKING:
    from zeke_ls.config.schema import ZekeConfig
    from zeke_ls.providers.router import Router


class Models:
    def __init__(self, config: Callable[[], ZekeConfig], router: Callable[[], Router]):
        self._config = config
        self._router = router
        self.overrides: dict[str, str] = {}
        """Feature -> alias chosen at run time by zeke/setModel; wins over the config."""

    @property
    def router(self) -> Router:
        return self._router()

    def known(self) -> list[str]:
        return sorted(effective_config(self._config()).aliases)

    def check(self, alias: str) -> str:
        """The alias if it can be routed, else NotFound listing the known aliases. With a
        gateway, names the config does not define go to the gateway as they are; `auto`
        picks an alias per request."""
        if alias == "auto":
            return alias
        try:
            resolve(effective_config(self._config()), alias)
        except KeyError:
            raise self.unknown(alias) from None
        return alias

    def unknown(self, alias: str) -> NotFound:
        known = ", ".join(self.known()) or "none"
        return NotFound(
            f'unknown alias "{alias}"; known aliases: {known}',
            data={"alias": alias, "known": self.known()},
        )

    def for_feature(self, feature: str) -> str:
        """The alias a feature uses now: a zeke/setModel choice, else the config's."""
        if feature not in FEATURES:
            raise ValueError(f"unknown feature {feature!r}")
        return self.overrides.get(feature) or self._config().feature_model(feature)

    def features(self) -> dict[str, str]:
        return {feature: self.for_feature(feature) for feature in FEATURES}

    def choose(self, alias: str, feature: str | None) -> dict[str, str]:
        """Switch one feature (or all) to a known alias for this session."""
        self.check(alias)
        for name in [feature] if feature else list(FEATURES):
            self.overrides[name] = alias
        return self.features()

    def error(self, exc: ProviderError, what: str, alias: str | None = None) -> ZekeError:
        """The JSON-RPC error for a failed model call; `what` names the feature's action."""
        if isinstance(exc, UnknownAlias):
            return self.unknown(alias or _quoted_alias(str(exc)))
        data = self.error_data(exc, alias)
        if isinstance(exc, ProviderConfigError):
            return ConfigInvalid(f"{what} failed: {exc}", data=data)
        return ProviderFailed(f"{what} failed: {exc}", data=data)

    def error_data(self, exc: ProviderError, alias: str | None) -> dict[str, Any]:
        return {
            "provider": exc.provider or self._provider_of(alias),
            "endpoint": exc.endpoint or None,
            "status": exc.status,
        }

    def _provider_of(self, alias: str | None) -> str:
        """The first target's provider of an alias, for errors raised before any attempt."""
        if alias:
            try:
                route = resolve(effective_config(self._config()), alias)
                if route.targets:
                    return route.targets[0].provider
            except KeyError:
                pass
        return "unknown"


def _quoted_alias(message: str) -> str:
    start = message.find('"')
    end = message.find('"', start + 1)
    return message[start + 1 : end] if 0 <= start < end else message
