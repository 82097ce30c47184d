"""Feature modules that load on their first request.

A `zeke/*` feature needs nothing at `initialize` but its method names: pygls dispatches by
name, and a custom method adds no capability options. So each is declared by name with a
placeholder handler; the first request for any of its methods imports the module, whose
`register()` replaces the placeholders, and from then on pygls calls the real handlers.
Importing every feature at start-up would load pydantic, httpx, the patch and chat engines
before the first `initialize` answer (bench/bench_startup.py).
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer

log = logging.getLogger(__name__)


def register_lazily(server: ZekeServer, module: str, methods: tuple[str, ...]) -> None:
    """Declare `methods`; import `module` and call its `register(server)` on the first call."""
    loader = _Loader(server, module, methods)
    server.lazy_features[module.rpartition(".")[2]] = loader
    for method in methods:
        server.feature(method)(loader.placeholder(method))


def require_feature(server: ZekeServer, name: str) -> None:
    """Load a lazy feature now: another feature needs what its register() installs (actions
    run chat turns through `session.chat_runner`, /fix proposes edits through
    `session.edit_proposer`)."""
    loader = server.lazy_features.get(name)
    if loader is not None:
        loader.load()


class _Loader:
    def __init__(self, server: ZekeServer, module: str, methods: tuple[str, ...]):
        self.server = server
        self.module = module
        self.methods = methods
        self.loaded = False

    def placeholder(self, method: str) -> Callable[[Any], Any]:
        # Async whatever the real handler is: pygls then runs it as a task, which keeps the
        # request id (a context variable) and lets the request be cancelled.
        async def first_call(params: Any) -> Any:
            self.load()
            result = self.server.protocol.fm.features[method](params)
            return await result if inspect.isawaitable(result) else result

        first_call.__name__ = f"load_{method.replace('/', '_')}"
        return first_call

    def load(self) -> None:
        if self.loaded:
            return
        features = self.server.protocol.fm.features
        placeholders = {m: features.pop(m) for m in self.methods if m in features}
        try:
            importlib.import_module(self.module).register(self.server)
        except BaseException:
            for method, handler in placeholders.items():  # retried on the next call
                features.setdefault(method, handler)
            raise
        self.loaded = True
        log.debug("loaded %s", self.module)
        for method in self.methods:
            if method not in features:
                log.error("%s declares %s but does not register it", self.module, method)
