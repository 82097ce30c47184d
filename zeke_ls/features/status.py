"""`zeke/status` (version, config, aliases, endpoint health, usage) and `zeke/documentState`."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from pydantic import Field

from zeke_ls import __version__
from zeke_ls.config.schema import FEATURES
from zeke_ls.providers.routing import all_routes
from zeke_ls.core.rpc import NotFound, Params, parse_params

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer

STATUS = "zeke/status"
DOCUMENT_STATE = "zeke/documentState"


class TextDocumentId(Params):
    uri: str


class DocumentStateParams(Params):
    text_document: TextDocumentId = Field(alias="textDocument")
    include_text: bool = Field(default=False, alias="includeText")


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
        "completion": dict(session.completion_stats),
        "index": session.index.status() if session.index else {"state": "off"},
    }


def document_state(server: ZekeServer, params: DocumentStateParams) -> dict[str, Any]:
    """The daemon's view of an open document, so a client can check that sync is intact."""
    uri = params.text_document.uri
    if uri not in server.workspace.text_documents:
        raise NotFound(f"document not open: {uri}")
    document = server.workspace.get_text_document(uri)
    text = document.source
    state: dict[str, Any] = {
        "uri": uri,
        "version": document.version,
        "languageId": document.language_id,
        "lineCount": len(document.lines),
        "utf16Length": len(text.encode("utf-16-le")) // 2,
        "sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
    }
    if params.include_text:
        state["text"] = text
    return state


def register(server: ZekeServer) -> None:
    @server.feature(STATUS)
    def status(params: Any) -> dict[str, Any]:
        return status_report(server)

    @server.feature(DOCUMENT_STATE)
    def state(params: Any) -> dict[str, Any]:
        return document_state(server, parse_params(DocumentStateParams, params))
