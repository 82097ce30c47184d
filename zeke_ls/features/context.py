"""`zeke/contextAdd`, `zeke/contextRemove`, `zeke/contextList`, `zeke/contextClear`.

The context set is what the user pinned for chat: files, ranges, globs. Listing packs it
against the budget of the alias in use (its context window minus the tokens reserved for the
answer), so the client can show what fits before sending a message. Disk edits and deletions
reach the client as `zeke/contextChanged`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import model_validator
from pygls.uris import from_fs_path, to_fs_path

from zeke_ls.chat.wire import CamelParams, Range, check_range
from zeke_ls.context.budget import Pack, Piece, pack
from zeke_ls.context.sets import ContextItem, ContextSet
from zeke_ls.core.rpc import NotFound, Refused, parse_params
from zeke_ls.features.models import alias_window

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer
    from zeke_ls.core.session import Session

ADD, REMOVE, LIST = "zeke/contextAdd", "zeke/contextRemove", "zeke/contextList"
CLEAR = "zeke/contextClear"
CHANGED = "zeke/contextChanged"


class AddParams(CamelParams):
    uri: str | None = None
    range: Range | None = None
    glob: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> AddParams:
        if (self.uri is None) == (self.glob is None):
            raise ValueError("give either uri (with an optional range) or glob")
        return self


class RemoveParams(CamelParams):
    id: str | None = None
    uri: str | None = None


class ListParams(CamelParams):
    model: str | None = None
    """Budget against this alias instead of the chat feature's."""


def uri_path(uri: str) -> Path:
    path = to_fs_path(uri)
    if not path:
        raise Refused(f"{uri} is not a file URI")
    return Path(path)


def context_set_of(server: ZekeServer) -> ContextSet:
    """The session's context set, created (and its watcher started) on first use."""
    session = server.session
    if session.context_set is None:
        session.context_set = ContextSet(lambda: session.roots,
                                         lambda: session.config.context.max_file_bytes)
        session.context_set.subscribe(lambda event: on_changed(server, event))
        session.spawn(session.context_set.watch())
    return session.context_set


def open_texts(server: ZekeServer) -> dict[Path, str]:
    """Open editor buffers by resolved path: they win over the disk (unsaved edits count)."""
    found: dict[Path, str] = {}
    for uri, document in server.workspace.text_documents.items():
        path = to_fs_path(uri)
        if path:
            found[Path(path).resolve()] = document.source
    return found


def add(server: ZekeServer, params: AddParams) -> dict[str, Any]:
    context = context_set_of(server)
    if params.glob is not None:
        added, skipped = context.add_glob(params.glob)
        if not added and not skipped:
            raise NotFound(f"glob {params.glob!r} matched no files in the workspace roots")
    else:
        assert params.uri is not None
        path = uri_path(params.uri)
        span = params.range.span() if params.range else None
        if span is not None:
            resolved = path.resolve()
            text = open_texts(server).get(resolved)
            check_range(context.text(resolved) if text is None else text, span, params.uri)
        added, skipped = [context.add_file(path, span)], []
    report = listing(server, None)
    ids = {item.id for item in added}
    return {"added": [i for i in report["items"] if i["id"] in ids], "skipped": skipped, **report}


def remove(server: ZekeServer, params: RemoveParams) -> dict[str, Any]:
    if params.id is None and params.uri is None:
        raise NotFound("give the id (or uri) of the item to remove")
    path = uri_path(params.uri) if params.uri else None
    removed = context_set_of(server).remove(params.id, path)
    return {"removed": [r.id for r in removed], **listing(server, None)}


def set_pieces(server: ZekeServer) -> tuple[list[Piece], list[dict[str, Any]]]:
    """The set's items as budget pieces; items whose file vanished leave the set."""
    context = context_set_of(server)
    texts = open_texts(server)
    pieces, vanished = [], []
    for item in list(context.items.values()):
        try:
            text = context.item_text(item, texts.get)
        except (NotFound, Refused) as exc:
            context.items.pop(item.id, None)
            vanished.append({"id": item.id, "uri": from_fs_path(str(item.path)),
                             "reason": exc.message})
            continue
        pieces.append(Piece(item.id, item.kind, item.label(server.session.roots), text))
    return pieces, vanished


def item_json(item: ContextItem, piece: Piece, packed: Pack, session: Session) -> dict[str, Any]:
    included = {p.key: p for p in packed.included}
    found = included.get(item.id)
    data: dict[str, Any] = {
        "id": item.id, "kind": item.kind, "uri": from_fs_path(str(item.path)),
        "label": piece.label, "tokens": session.token_counter.count(piece.text),
        "included": found is not None, "trimmed": bool(found and found.trimmed),
        "fits": bool(found and not found.trimmed)}
    if item.span:
        data["range"] = item.span.to_json()
    if item.glob:
        data["glob"] = item.glob
    return data


def budget_for(session: Session, alias: str) -> int:
    return alias_window(session, alias) - session.config.context.reserve_output_tokens


def listing(server: ZekeServer, alias: str | None) -> dict[str, Any]:
    session = server.session
    alias = alias or session.model_for("chat")
    pieces, vanished = set_pieces(server)
    budget = budget_for(session, alias)
    packed = pack(pieces, budget, session.token_counter)
    items = context_set_of(server).items
    listed = [item_json(items[p.key], p, packed, session) for p in pieces]
    total = sum(item["tokens"] for item in listed)
    return {"items": listed, "total": total, "used": packed.used, "budget": budget,
            "alias": alias, "fits": not packed.dropped and not packed.trimmed,
            "dropped": [d.to_json() for d in packed.dropped], "vanished": vanished}


def on_changed(server: ZekeServer, event: dict[str, Any]) -> None:
    """Tell the client which pinned files changed on disk (with new counts) or left the set."""
    context = context_set_of(server)
    changed = []
    for entry in event["changed"]:
        item = context.items.get(entry["id"])
        if item is None:
            continue
        try:
            tokens = server.session.token_counter.count(context.item_text(item))
        except (NotFound, Refused) as exc:
            tokens, entry["error"] = 0, exc.message
        changed.append({"id": item.id, "uri": from_fs_path(str(item.path)), "tokens": tokens,
                        **({"error": entry["error"]} if "error" in entry else {})})
    removed = [{"id": e["id"], "uri": from_fs_path(e["path"]), "reason": e["reason"]}
               for e in event["removed"]]
    server.notify(CHANGED, {"changed": changed, "removed": removed})


def register(server: ZekeServer) -> None:
    @server.feature(ADD)
    def context_add(params: Any) -> dict[str, Any]:
        return add(server, parse_params(AddParams, params))

    @server.feature(REMOVE)
    def context_remove(params: Any) -> dict[str, Any]:
        return remove(server, parse_params(RemoveParams, params))

    @server.feature(LIST)
    def context_list(params: Any) -> dict[str, Any]:
        return listing(server, parse_params(ListParams, params).model)

    @server.feature(CLEAR)
    def context_clear(params: Any) -> dict[str, Any]:
        return {"removed": context_set_of(server).clear()}
