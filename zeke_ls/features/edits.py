"""`zeke/edit`, `zeke/editAccept`, `zeke/editReject`: model edits as previewed WorkspaceEdits.

The model's answer is parsed (any format), each hunk is placed with confidence or refused
with a reason, and the result is a proposal the user previews. Accepting applies the chosen
hunks through `workspace/applyEdit` for documents open in the editor (so undo works there)
and through Glyph `write_file` for files that are not. A document that changed since the
proposal is re-anchored or refused with StaleDocument: stale offsets are never applied.
`propose_edit()` is the reusable entry point (chat's /fix and /test call it).
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pydantic import Field
from pygls.protocol import default_converter
from pygls.uris import from_fs_path, to_fs_path

from zeke_ls.patch.parse import ParseError, parse_edit
from zeke_ls.patch.prompt import edit_messages
from zeke_ls.patch.proposal import (
    FileProposal,
    Source,
    StaleError,
    display_diff,
    propose_file,
    rebase,
)
from zeke_ls.patch.workspace_edit import FileChange, build_workspace_edit, plain_workspace_edit
from zeke_ls.workspace.paths import relative_name, resolve_in_roots
from zeke_ls.providers.base import ChatRequest, ProviderError
from zeke_ls.core.rpc import NotFound, Params, ProviderFailed, Refused, StaleDocument, parse_params

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer

EDIT, ACCEPT, REJECT, PROGRESS = (
    "zeke/edit",
    "zeke/editAccept",
    "zeke/editReject",
    "zeke/editProgress",
)
Progress = Callable[[dict[str, Any]], None]


class TextDocumentId(Params):
    uri: str


class EditParams(Params):
    text_document: TextDocumentId = Field(alias="textDocument")
    range: dict[str, Any] | None = None
    instruction: str = Field(min_length=1)
    alias: str | None = None


class AcceptParams(Params):
    edit_id: str = Field(alias="editId")
    hunks: list[str] | None = None


class RejectParams(Params):
    edit_id: str = Field(alias="editId")


def register(server: ZekeServer) -> None:
    @server.feature(EDIT)
    async def on_edit(params: Any) -> dict[str, Any]:
        args = parse_params(EditParams, params)
        request_id = server.protocol.msg_id

        def progress(data: dict[str, Any]) -> None:
            server.notify(PROGRESS, {"requestId": request_id, **data})

        return await propose_edit(
            server, args.text_document.uri, args.range, args.instruction, args.alias, progress
        )

    @server.feature(ACCEPT)
    async def on_accept(params: Any) -> dict[str, Any]:
        return await accept_edit(server, parse_params(AcceptParams, params))

    @server.feature(REJECT)
    def on_reject(params: Any) -> dict[str, Any]:
        edit_id = parse_params(RejectParams, params).edit_id
        if server.session.edit_proposals.pop(edit_id, None) is None:
            raise NotFound(f"unknown or already settled edit id: {edit_id}")
        return {"editId": edit_id, "rejected": True}


# --- proposing ------------------------------------------------------------------------------


async def propose_edit(
    server: ZekeServer,
    uri: str,
    range: dict[str, Any] | None,
    instruction: str,
    alias: str | None,
    on_progress: Progress,
) -> dict[str, Any]:
    """Ask the model for an edit of `uri` and return the proposal (stored until settled)."""
    session = server.session
    edit_id = f"edit-{uuid.uuid4().hex[:12]}"
    target = await load_source(server, uri)
    if target.text is None:
        raise NotFound(f"no such file: {uri}")
    alias = alias or session.model_for("edit")
    answer = await _generate(server, target, range, instruction, alias, edit_id, on_progress)
    on_progress({"editId": edit_id, "phase": "matching"})
    try:
        patches = parse_edit(answer, target.display)
    except ParseError as exc:
        raise Refused(
            f"the model's answer holds no usable edit: {exc}", data={"modelOutput": answer[-4000:]}
        ) from None
    files = await _propose_files(server, target, patches)
    session.edit_proposals[edit_id] = files
    result = _proposal_json(server, edit_id, files, instruction)
    on_progress({"editId": edit_id, "phase": "done", "hunks": result["hunks"]})
    return result


async def _generate(
    server: ZekeServer,
    target: Source,
    range: dict[str, Any] | None,
    instruction: str,
    alias: str,
    edit_id: str,
    on_progress: Progress,
) -> str:
    config = server.session.config
    edit_format = getattr(config.aliases.get(alias), "edit_format", None) or config.edit.format
    messages = edit_messages(
        target.display, target.text or "", instruction, edit_format, _selection(range)
    )
    if server.session.index is not None:  # definitions the selection uses, from other files
        messages[-1]["content"] = await server.session.index.edit_context(
            _selected_text(target.text or "", _selection(range)), Path(to_fs_path(target.uri) or "")
        ) + messages[-1]["content"]
    on_progress({"editId": edit_id, "phase": "generating", "alias": alias})
    parts: list[str] = []
    try:
        stream = server.session.router.chat(alias, ChatRequest(messages, temperature=0))
        async with contextlib.aclosing(stream) as deltas:  # closes the HTTP stream on any exit
            async for delta in deltas:
                if delta.text:
                    parts.append(delta.text)
                    on_progress({"editId": edit_id, "phase": "generating", "text": delta.text})
    except ProviderError as exc:
        raise ProviderFailed(str(exc)) from None
    return "".join(parts)


def _selected_text(text: str, selection: tuple[int, int] | None) -> str:
    lines = text.splitlines()
    return "\n".join(lines[selection[0] - 1 : selection[1]] if selection else lines[:400])


def _selection(range: dict[str, Any] | None) -> tuple[int, int] | None:
    try:
        return (int(range["start"]["line"]) + 1, int(range["end"]["line"]) + 1) if range else None
    except (KeyError, TypeError, ValueError):
        return None


async def _propose_files(
    server: ZekeServer, target: Source, patches: list[Any]
) -> list[FileProposal]:
    files: list[FileProposal] = []
    next_id = 1
    threshold = server.session.config.edit.fuzzy_threshold
    for patch in patches:
        uri = (
            target.uri
            if patch.path is None or _same_file(patch.path, target)
            else _uri_for(server, patch.path)
        )
        source = target if uri == target.uri else await load_source(server, uri)
        new_uri = _uri_for(server, patch.new_path) if patch.new_path else None
        proposal = propose_file(source, patch, next_id, threshold, new_uri)
        next_id += len(proposal.hunk_ids)
        files.append(proposal)
    return files


def _same_file(path: str, target: Source) -> bool:
    path = path[2:] if path.startswith("./") else path
    return target.display == path or target.display.endswith("/" + path)


def _proposal_json(
    server: ZekeServer, edit_id: str, files: list[FileProposal], label: str
) -> dict[str, Any]:
    shown = [f for f in files if not _refused_whole(f) and (f.after != f.source.text or f.whole)]
    changes = [
        FileChange(
            f.source.uri,
            None if f.patch.kind == "create" else f.source.text,
            f.after,
            f.source.version,
            f.new_uri,
        )
        for f in shown
    ]
    edit = build_workspace_edit(changes, label, _encoding(server))
    return {
        "editId": edit_id,
        "edit": _converter().unstructure(edit),
        "diff": display_diff(shown),
        "hunks": [{"file": f.source.uri, **o.to_json()} for f in files for o in f.outcomes],
    }


@functools.cache
def _converter() -> Any:
    """lsprotocol's converter, to send the WorkspaceEdit inside a plain JSON result."""
    return default_converter()


def _refused_whole(f: FileProposal) -> bool:
    return f.whole and f.outcomes[0].status != "applied"


# --- accepting ------------------------------------------------------------------------------


async def accept_edit(server: ZekeServer, args: AcceptParams) -> dict[str, Any]:
    """Apply the chosen (default: every applied) hunks of a proposal, or refuse precisely."""
    files: list[FileProposal] | None = server.session.edit_proposals.get(args.edit_id)
    if files is None:
        raise NotFound(f"unknown or already settled edit id: {args.edit_id}")
    applicable = {o.id for f in files for o in f.outcomes if o.status == "applied"}
    chosen = set(args.hunks) if args.hunks is not None else applicable
    unknown = chosen - applicable
    if unknown:
        raise Refused(
            f"hunk(s) {', '.join(sorted(unknown))} were refused or do not exist in {args.edit_id}"
        )
    changes = await _current_changes(server, files, chosen)
    open_changes = [(c, s) for c, s in changes if s.is_open]
    if open_changes:
        await _apply_in_editor(server, [c for c, _ in open_changes])
    for change, _ in (c for c in changes if not c[1].is_open):
        await _write_through_glyph(server, change)
    del server.session.edit_proposals[args.edit_id]
    return {
        "editId": args.edit_id,
        "applied": sorted(chosen, key=lambda i: int(i[1:])),
        "files": [c.uri for c, _ in changes],
    }


async def _current_changes(
    server: ZekeServer, files: list[FileProposal], chosen: set[str]
) -> list[tuple[FileChange, Source]]:
    """Rebase every chosen hunk on the current texts first: nothing is written unless all fit."""
    threshold = server.session.config.edit.fuzzy_threshold
    changes = []
    for proposal in files:
        current = await load_source(server, proposal.source.uri)
        try:
            change = rebase(proposal, current, chosen, threshold)
        except StaleError as exc:
            raise StaleDocument(str(exc), data={"hunks": exc.details}) from None
        if change is not None:
            changes.append((change, current))
    return changes


async def _apply_in_editor(server: ZekeServer, changes: list[FileChange]) -> None:
    """One `workspace/applyEdit`, in the richest form the client declared it supports."""
    caps = _edit_capabilities(server)
    if caps is not None and caps.document_changes:
        annotate = bool(caps.change_annotation_support)
        edit = build_workspace_edit(changes, "zeke edit", _encoding(server), annotate)
    else:
        edit = plain_workspace_edit(changes, _encoding(server))
    result = await server.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label="Zeke edit")
    )
    if not result.applied:
        raise Refused(f"the editor did not apply the edit: {result.failure_reason or 'declined'}")


async def _write_through_glyph(server: ZekeServer, change: FileChange) -> None:
    glyph = glyph_client(server)
    path = _path_of(server, change.uri)
    if change.after is None:
        await glyph.delete_file(path)
        return
    target = _path_of(server, change.new_uri) if change.new_uri else path
    await glyph.write_file(target, change.after)
    if change.new_uri:
        await glyph.delete_file(path)


# --- files ----------------------------------------------------------------------------------


async def load_source(server: ZekeServer, uri: str) -> Source:
    """The open document (text, version) or the file on disk through Glyph (None: missing)."""
    path = _path_of(server, uri)
    display = _display(server, path)
    document = _open_document(server, uri, path)
    if document is not None:
        return Source(document.uri, display, document.source, document.version, is_open=True)
    if not path.exists():
        return Source(uri, display, None)
    return Source(uri, display, await glyph_client(server).read_file(path))


def _open_document(server: ZekeServer, uri: str, path: Path) -> Any:
    """The open document for a file, whatever spelling of its URI the client used."""
    documents = server.workspace.text_documents
    if uri in documents:
        return documents[uri]
    for doc_uri, document in documents.items():
        fs_path = to_fs_path(doc_uri) if doc_uri.startswith("file:") else None
        if fs_path and Path(fs_path).resolve() == path:
            return document
    return None


def glyph_client(server: ZekeServer) -> Any:
    """The session's Glyph client, created on first use (the MCP SDK is imported then)."""
    session = server.session
    if session.glyph is None:
        from zeke_ls.glyph.client import GlyphClient

        session.glyph = GlyphClient(
            session.config.services.glyph, session.roots, session.config.context.max_file_bytes
        )
        session.closers.append(session.glyph.close)
    return session.glyph


def _path_of(server: ZekeServer, uri: str) -> Path:
    """The real path behind a file URI, refused unless inside a workspace root."""
    fs_path = to_fs_path(uri) if uri.startswith("file:") else None
    if not fs_path:
        raise Refused(f"not a file URI: {uri}")
    real = resolve_in_roots(Path(fs_path), server.session.roots)
    if real is None:
        raise Refused(f"outside the workspace roots: {fs_path}")
    return real


def _uri_for(server: ZekeServer, path: str) -> str:
    roots = server.session.roots
    if not roots:
        raise Refused(f"no workspace root to resolve {path}")
    real = resolve_in_roots(path, roots)
    if real is None:
        raise Refused(f"the model's edit targets a file outside the workspace roots: {path}")
    return from_fs_path(str(real)) or ""


def _display(server: ZekeServer, path: Path) -> str:
    return relative_name(path, server.session.roots)


def _edit_capabilities(server: ZekeServer) -> types.WorkspaceEditClientCapabilities | None:
    workspace = server.client_capabilities.workspace
    return workspace.workspace_edit if workspace else None


def _encoding(server: ZekeServer) -> str:
    encoding = server.workspace.position_encoding
    return str(getattr(encoding, "value", encoding) or "utf-16")
