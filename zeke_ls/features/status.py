"""`zeke/status` (version, config, aliases, endpoint health, usage) and `zeke/documentState`."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from zeke_ls import __version__
from zeke_ls.core.rpc import parse_params
from zeke_ls.protocol.session import DocumentStateParams, DocumentStateResult, StatusResult
from zeke_ls.providers.routing import all_routes
from zeke_ls.services.documents import parse_uri

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer

STATUS = "zeke/status"
DOCUMENT_STATE = "zeke/documentState"


def status_report(server: ZekeServer) -> StatusResult:
    session = server.session
    config = session.config
    return StatusResult(
        version=__version__,
        config_sources=session.settings.sources,
        problems=[p.to_json() for p in session.settings.problems],
        workspace_roots=[str(root) for root in session.roots],
        aliases=[route.to_json() for route in all_routes(config)],
        features=session.models.features(),
        gateway=config.api.base_url,
        health=session.health.snapshot(),
        usage={alias: usage.to_json() for alias, usage in session.usage.items()},
        completion=dict(session.completion_stats),
        edits={"pending": len(session.edits)},
        index=session.index.status() if session.index else {"state": "off"},
        **{name: report() for name, report in session.status_sections.items()},
    )


def document_state(server: ZekeServer, params: DocumentStateParams) -> DocumentStateResult:
    """The daemon's view of an open document, so a client can check that sync is intact."""
    document = server.session.documents.require_open(parse_uri(params.text_document.uri))
    text = document.source
    state = DocumentStateResult(
        uri=document.uri,
        version=document.version,
        language_id=document.language_id,
        line_count=len(document.lines),
        utf16_length=len(text.encode("utf-16-le", "surrogatepass")) // 2,
        sha256=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
    )
    if params.include_text:
        state.text = text
    return state


def register(server: ZekeServer) -> None:
    @server.feature(STATUS)
    def status(params: Any) -> dict[str, Any]:
        return status_report(server).dump()

    @server.feature(DOCUMENT_STATE)
    def state(params: Any) -> dict[str, Any]:
        return document_state(server, parse_params(DocumentStateParams, params)).dump()
