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
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.protocol import default_converter
from pygls.uris import from_fs_path, to_fs_path

from zeke_ls.core.rpc import NotFound, Refused, StaleDocument, ToolFailed, parse_params
from zeke_ls.glyph.client import GlyphError
from zeke_ls.patch.guards import EditRefused, check_finish, check_proposals, guard_patches
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
from zeke_ls.protocol.edits import (
    AcceptParams,
    AcceptResult,
    EditParams,
    EditProgress,
    EditResult,
    RejectParams,
    RejectResult,
)
from zeke_ls.providers.base import ChatRequest, ProviderError
from zeke_ls.services.client_ui import supports_create_file
from zeke_ls.services.documents import parse_uri
from zeke_ls.services.edits import Proposal, closed_write, preflight, write_all
from zeke_ls.workspace.paths import relative_name, resolve_in_roots

if TYPE_CHECKING:
    from zeke_ls.core.server import ZekeServer

EDIT, ACCEPT, REJECT, PROGRESS = (
    "zeke/edit",
    "zeke/editAccept",
    "zeke/editReject",
    "zeke/editProgress",
)
Progress = Callable[[dict[str, Any]], None]


def register(server: ZekeServer) -> None:
    def proposer(
        uri: str, rng: dict[str, Any] | None, instruction: str, alias: str | None, request_id: Any
    ) -> Any:
        def progress(data: dict[str, Any]) -> None:
            server.notify(PROGRESS, EditProgress(request_id=request_id, **data).dump())

        return propose_edit(server, uri, rng, instruction, alias, progress)

    server.session.edit_proposer = lambda uri, rng, instruction, alias, on_progress: propose_edit(
        server, uri, rng, instruction, alias, on_progress
    )

    async def acceptor(edit_id: str) -> dict[str, Any]:
        return (await accept_edit(server, AcceptParams(edit_id=edit_id))).dump()

    server.session.edit_acceptor = acceptor

    @server.feature(EDIT)
    async def on_edit(params: Any) -> dict[str, Any]:
        args = parse_params(EditParams, params)
        rng = args.range.model_dump() if args.range else None
        return await proposer(
            args.text_document.uri, rng, args.instruction, args.alias, server.protocol.msg_id
        )

    @server.feature(ACCEPT)
    async def on_accept(params: Any) -> dict[str, Any]:
        return (await accept_edit(server, parse_params(AcceptParams, params))).dump()

    @server.feature(REJECT)
    def on_reject(params: Any) -> dict[str, Any]:
        edit_id = parse_params(RejectParams, params).edit_id
        server.session.edits.reject(edit_id)
        return RejectResult(edit_id=edit_id, rejected=True).dump()


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
    edit_id = session.edits.new_id()
    alias = session.models.check(alias) if alias else session.model_for("edit")
    target = await load_source(server, uri)
    if target.text is None:
        raise NotFound(f"no such file: {uri}")
    answer = await _generate(server, target, range, instruction, alias, edit_id, on_progress)
    on_progress({"editId": edit_id, "phase": "matching"})
    try:
        patches = parse_edit(answer, target.display)
    except ParseError as exc:
        raise Refused(
            f"the model's answer holds no usable edit: {exc}", data={"modelOutput": answer[-4000:]}
        ) from None
    try:  # guards (patch/guards.py): splice bare snippets, refuse wrecked results
        patches = guard_patches(patches, target.text, target.display, _edit_format(server, alias))
        files = await _propose_files(server, target, patches)
        check_proposals(list(files), instruction)
    except EditRefused as exc:
        raise Refused(str(exc), data={"modelOutput": answer[-4000:], "guard": True}) from None
    session.edits.add(edit_id, files)
    result = _proposal_json(server, edit_id, files, instruction)
    on_progress({"editId": edit_id, "phase": "done", "hunks": result.hunks})
    return result.dump()


async def _generate(
    server: ZekeServer,
    target: Source,
    range: dict[str, Any] | None,
    instruction: str,
    alias: str,
    edit_id: str,
    on_progress: Progress,
) -> str:
    edit_format = _edit_format(server, alias)
    messages = edit_messages(
        target.display, target.text or "", instruction, edit_format, _selection(range)
    )
    if server.session.index is not None:  # definitions the selection uses, from other files
        messages[-1]["content"] = (
            await server.session.index.edit_context(
                _selected_text(target.text or "", _selection(range)),
                Path(to_fs_path(target.uri) or ""),
            )
            + messages[-1]["content"]
        )
    on_progress({"editId": edit_id, "phase": "generating", "alias": alias})
    parts: list[str] = []
    finish: str | None = None
    try:
        stream = server.session.router.chat(alias, ChatRequest(messages, temperature=0))
        async with contextlib.aclosing(stream) as deltas:  # closes the HTTP stream on any exit
            async for delta in deltas:
                finish = delta.finish_reason or finish
                if delta.text:
                    parts.append(delta.text)
                    on_progress({"editId": edit_id, "phase": "generating", "text": delta.text})
    except ProviderError as exc:
        raise server.session.models.error(exc, "edit", alias) from None
    try:
        check_finish(finish)  # a truncated answer must never become a whole-file rewrite
    except EditRefused as exc:
        raise Refused(
            str(exc), data={"modelOutput": "".join(parts)[-4000:], "guard": True}
        ) from None
    return "".join(parts)


def _edit_format(server: ZekeServer, alias: str) -> str:
    config = server.session.config
    return getattr(config.aliases.get(alias), "edit_format", None) or config.edit.format


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
) -> EditResult:
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
    return EditResult(
        edit_id=edit_id,
        edit=_converter().unstructure(edit),
        diff=display_diff(shown),
        hunks=[{"file": f.source.uri, **o.to_json()} for f in files for o in f.outcomes],
    )


@functools.cache
def _converter() -> Any:
    """lsprotocol's converter, to send the WorkspaceEdit inside a plain JSON result."""
    return default_converter()


def _refused_whole(f: FileProposal) -> bool:
    return f.whole and f.outcomes[0].status != "applied"


# --- accepting ------------------------------------------------------------------------------


async def accept_edit(server: ZekeServer, args: AcceptParams) -> AcceptResult:
    """Apply the chosen (default: every applied) hunks of a proposal, all or nothing."""
    proposal = server.session.edits.take(args.edit_id)  # before any await: one accept wins
    try:
        result = await _accept(server, proposal, args)
    except BaseException:
        server.session.edits.put_back(proposal)  # nothing was changed (or it was restored)
        raise
    server.session.edits.settle(proposal)
    return result


async def _accept(server: ZekeServer, proposal: Proposal, args: AcceptParams) -> AcceptResult:
    files = proposal.files
    applicable = {o.id for f in files for o in f.outcomes if o.status == "applied"}
    chosen = set(args.hunks) if args.hunks is not None else applicable
    unknown = chosen - applicable
    if unknown:
        raise Refused(
            f"hunk(s) {', '.join(sorted(unknown))} were refused or do not exist in {args.edit_id}"
        )
    changes = await _current_changes(server, files, chosen)
    # Open documents, and new files when the client can create them (CreateFile), change
    # through the editor's applyEdit; the rest is written through Glyph.
    open_changes = [c for c, s in changes if s.is_open or _create_in_editor(server, c)]
    closed = [
        closed_write(
            c,
            _path_of(server, c.uri),
            _path_of(server, c.new_uri) if c.new_uri else _path_of(server, c.uri),
        )
        for c, s in changes
        if c not in open_changes
    ]
    preflight(closed)

    async def apply_open() -> None:
        if open_changes:
            await _apply_in_editor(server, open_changes)

    if closed:
        try:
            await write_all(glyph_client(server), closed, apply_open)
        except GlyphError as exc:
            raise glyph_error(exc) from None
    else:
        await apply_open()
    return AcceptResult(
        edit_id=args.edit_id,
        applied=sorted(chosen, key=lambda i: int(i[1:])),
        files=[c.uri for c, _ in changes],
    )


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


def glyph_error(exc: GlyphError) -> Refused | ToolFailed:
    """Glyph refusing a path is Refused (-32005); failing or unreachable is ToolFailed."""
    return Refused(exc.message) if exc.refused else ToolFailed(exc.message)


def _create_in_editor(server: ZekeServer, change: FileChange) -> bool:
    """A new file goes into the editor's edit (`CreateFile`) when the client supports it."""
    return change.before is None and change.after is not None and supports_create_file(server)


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
    try:
        return Source(uri, display, await glyph_client(server).read_file(path))
    except GlyphError as exc:
        raise glyph_error(exc) from None


def _open_document(server: ZekeServer, uri: str, path: Path) -> Any:
    """The open document for a file, whatever spelling of its URI the client used."""
    return server.session.documents.find(parse_uri(uri))


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
    return server.session.documents.path(parse_uri(uri))


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
    return server.session.documents.codec.encoding
