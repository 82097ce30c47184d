"""The custom surface as advertised at `initialize` (`capabilities.experimental.zeke`).

Kept free of the typed models (pydantic) so that answering `initialize` stays light: the
client -> server methods are read off the registered features, and the server -> client
notifications are listed here. tests/unit/test_protocol_doc.py checks both against
`zeke_ls.protocol.METHODS`, the typed contract.
"""

from __future__ import annotations

from collections.abc import Iterable

PROTOCOL_VERSION = 2
"""Bumped when a method changes incompatibly; new methods and fields do not bump it."""

SERVER_NOTIFICATIONS = ("zeke/chatDelta", "zeke/contextChanged", "zeke/editProgress")


def experimental_capability(version: str, registered: Iterable[str]) -> dict[str, object]:
    methods = sorted({*(m for m in registered if m.startswith("zeke/")), *SERVER_NOTIFICATIONS})
    return {"version": version, "protocol": PROTOCOL_VERSION, "methods": methods}
