"""Token budgets per alias: the context window the packer fills, minus the answer's share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zeke_ls.providers.base import ProviderError

if TYPE_CHECKING:
    from zeke_ls.core.session import Session


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


def budget_for(session: Session, alias: str) -> int:
    """Prompt tokens available to a chat or edit on this alias."""
    return alias_window(session, alias) - session.config.context.reserve_output_tokens
