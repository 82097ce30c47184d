"""`zeke/contextAdd`, `zeke/contextRemove`, `zeke/contextList`, `zeke/contextClear`.

The context set is what the user pinned for chat: files, ranges, globs. Listing packs it
against the budget of the alias in use (its context window minus the tokens reserved for the
answer), so the client can show what fits before sending a message. Disk edits and deletions
reach the client as `zeke/contextChanged`. Walking, reading and counting run in a worker
thread (a glob over a large repository must not freeze the daemon), with `$/progress` and
cancellation, capped by `[context] max_glob_files`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pygls.uris import from_fs_path

from zeke_ls.context.budget import Pack, Piece, pack
from zeke_ls.context.sets import ContextItem, ContextSet, Span
from zeke_ls.core.progress import WorkProgress
from zeke_ls.core.rpc import NotFound, parse_params
from zeke_ls.protocol.common import Range
from zeke_ls.protocol.context import (
    ContextAddParams,
    ContextAddResult,
    ContextChanged,
    ContextClearResult,
    ContextListing,
    ContextListParams,
    ContextRemoveParams,
    ContextRemoveResult,
)
from zeke_ls.services.budget import budget_for
from zeke_ls.services.documents import parse_uri
from zeke_ls.services.pinned import pinned_pieces

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer
    from zeke_ls.core.session import Session

ADD, REMOVE, LIST = "zeke/contextAdd", "zeke/contextRemove", "zeke/contextList"
CLEAR = "zeke/contextClear"
CHANGED = "zeke/contextChanged"


def span_of(rng: Range) -> Span:
    return Span(rng.start.line, rng.start.character, rng.end.line, rng.end.character)


async def add(server: ZekeServer, params: ContextAddParams) -> ContextAddResult:
    session = server.session
    context = session.context_set
    if params.glob is not None:
        async with WorkProgress(server, f"Zeke: pinning {params.glob}") as progress:
            found = await session.workspace.glob(params.glob, progress)
            progress.report(f"reading {len(found.files)} files")
            accepted, skipped = await session.workspace.run(
                context.read_many, found.files, progress.cancelled
            )
            if progress.cancelled.is_set():
                raise asyncio.CancelledError
        if not accepted and not skipped:
            raise NotFound(f"glob {params.glob!r} matched no files in the workspace roots")
        added = context.adopt(accepted, params.glob)
        extra: dict[str, Any] = {}
        if found.truncated:
            cap = session.config.context.max_glob_files
            extra = {
                "truncated": True,
                "message": f"the glob matched more than {cap} files; "
                f"only the first {cap} were pinned ([context] max_glob_files)",
            }
    else:
        assert params.uri is not None
        added, skipped, extra = [await add_one(server, params)], [], {}
    report = await listing(server, None)
    ids = {item.id for item in added}
    return ContextAddResult(
        added=[i for i in report.items if i["id"] in ids], skipped=skipped, **report.dump(), **extra
    )


async def add_one(server: ZekeServer, params: ContextAddParams) -> ContextItem:
    """One file or range: confined before anything is read (issue: a range check used to
    read a file outside the roots first, and told its length)."""
    session = server.session
    uri = parse_uri(params.uri)
    path = session.documents.path(uri)
    span = span_of(params.range) if params.range else None
    if params.range is not None:
        text = await session.workspace.run(session.documents.text, uri)
        session.documents.check_range(text, params.range.start.pair(), params.range.end.pair(), uri)
    return await session.workspace.run(session.context_set.add_file, path, span)


async def remove(server: ZekeServer, params: ContextRemoveParams) -> ContextRemoveResult:
    if params.id is None and params.uri is None:
        raise NotFound("give the id (or uri) of the item to remove")
    path = parse_uri(params.uri).path if params.uri else None
    removed = server.session.context_set.remove(params.id, path)
    report = await listing(server, None)
    return ContextRemoveResult(removed=[r.id for r in removed], **report.dump())


def item_json(item: ContextItem, piece: Piece, packed: Pack, session: Session) -> dict[str, Any]:
    included = {p.key: p for p in packed.included}
    found = included.get(item.id)
    data: dict[str, Any] = {
        "id": item.id,
        "kind": item.kind,
        "uri": from_fs_path(str(item.path)),
        "label": piece.label,
        "tokens": session.token_counter.count(piece.text),
        "included": found is not None,
        "trimmed": bool(found and found.trimmed),
        "fits": bool(found and not found.trimmed),
    }
    if item.span:
        data["range"] = item.span.to_json()
    if item.glob:
        data["glob"] = item.glob
    return data


def compute_listing(session: Session, alias: str) -> ContextListing:
    """Pack the set against an alias's budget (blocking: counts tokens)."""
    pieces, vanished = pinned_pieces(session)
    budget = budget_for(session, alias)
    packed = pack(pieces, budget, session.token_counter)
    items = session.context_set.items
    listed = [item_json(items[p.key], p, packed, session) for p in pieces if p.key in items]
    return ContextListing(
        items=listed,
        total=sum(item["tokens"] for item in listed),
        used=packed.used,
        budget=budget,
        alias=alias,
        fits=not packed.dropped and not packed.trimmed,
        dropped=[d.to_json() for d in packed.dropped],
        vanished=vanished,
    )


async def listing(server: ZekeServer, alias: str | None) -> ContextListing:
    session = server.session
    alias = session.models.check(alias) if alias else session.models.for_feature("chat")
    return await session.workspace.run(compute_listing, session, alias)


def on_changed(server: ZekeServer, event: dict[str, Any]) -> None:
    """Tell the client which pinned files changed on disk (with new counts) or left the set."""
    context = server.session.context_set
    changed = []
    for entry in event["changed"]:
        item = context.items.get(entry["id"])
        if item is None:
            continue
        try:
            tokens = server.session.token_counter.count(context.item_text(item))
            changed.append({"id": item.id, "uri": from_fs_path(str(item.path)), "tokens": tokens})
        except Exception as exc:
            changed.append(
                {
                    "id": item.id,
                    "uri": from_fs_path(str(item.path)),
                    "tokens": 0,
                    "error": getattr(exc, "message", str(exc)),
                }
            )
    removed = [
        {"id": e["id"], "uri": from_fs_path(e["path"]), "reason": e["reason"]}
        for e in event["removed"]
    ]
    server.notify(CHANGED, ContextChanged(changed=changed, removed=removed).dump())


def start_watching(server: ZekeServer) -> ContextSet:
    session = server.session
    session.context_set.subscribe(lambda event: on_changed(server, event))
    return session.context_set


def register(server: ZekeServer) -> None:
    watching: list[bool] = []

    def context_set() -> ContextSet:
        if not watching:  # the watcher task starts with the first use of the set
            watching.append(True)
            start_watching(server)
            server.session.spawn(server.session.context_set.watch())
        return server.session.context_set

    @server.feature(ADD)
    async def context_add(params: Any) -> dict[str, Any]:
        context_set()
        return (await add(server, parse_params(ContextAddParams, params))).dump()

    @server.feature(REMOVE)
    async def context_remove(params: Any) -> dict[str, Any]:
        context_set()
        return (await remove(server, parse_params(ContextRemoveParams, params))).dump()

    @server.feature(LIST)
    async def context_list(params: Any) -> dict[str, Any]:
        return (await listing(server, parse_params(ContextListParams, params).model)).dump()

    @server.feature(CLEAR)
    def context_clear(params: Any) -> dict[str, Any]:
        return ContextClearResult(removed=context_set().clear()).dump()
