"""Turn before/after texts into an LSP WorkspaceEdit a client can preview and apply.

Edits are minimal (one per changed line block, with the common prefix and suffix trimmed), so
a client's undo, cursor and folding survive, and untouched line endings are never rewritten.
Positions are in the negotiated encoding (UTF-16 unless the client chose otherwise). Every
edit carries a change annotation with `needsConfirmation`, so clients that support it show a
preview before applying.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from lsprotocol import types

from zeke_ls.context.positions import PositionCodec

ANNOTATION_ID = "zekeEdit"


@dataclass
class FileChange:
    """One file's part of a proposal. `before` None: create; `after` None: delete."""

    uri: str
    before: str | None
    after: str | None
    version: int | None = None
    new_uri: str | None = None


def position_at(text: str, offset: int, encoding: str = "utf-16") -> types.Position:
    """The LSP position of a character offset; columns counted in `encoding` code units."""
    line, character = PositionCodec.of(encoding).position(text, offset)
    return types.Position(line=line, character=character)


def minimal_edits(before: str, after: str, encoding: str = "utf-16") -> list[types.TextEdit]:
    """Non-overlapping edits, in document order, that turn `before` into `after`."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    offsets = [0]
    for line in old:
        offsets.append(offsets[-1] + len(line))
    edits: list[types.TextEdit] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            edits.append(_trimmed(before, offsets[i1], offsets[i2], "".join(new[j1:j2]), encoding))
    return edits


def _trimmed(text: str, start: int, end: int, replacement: str, encoding: str) -> types.TextEdit:
    original = text[start:end]
    prefix = 0
    limit = min(len(original), len(replacement))
    while prefix < limit and original[prefix] == replacement[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < limit - prefix
        and original[len(original) - 1 - suffix] == replacement[len(replacement) - 1 - suffix]
    ):
        suffix += 1
    prefix, suffix = _keep_pairs(original, prefix, suffix)
    rng = types.Range(
        start=position_at(text, start + prefix, encoding),
        end=position_at(text, end - suffix, encoding),
    )
    return types.TextEdit(range=rng, new_text=replacement[prefix : len(replacement) - suffix])


def _keep_pairs(text: str, prefix: int, suffix: int) -> tuple[int, int]:
    """Never let an edit end inside a CRLF pair: clients would see a lone CR."""
    if 0 < prefix <= len(text) - 1 and text[prefix - 1] == "\r" and text[prefix] == "\n":
        prefix -= 1
    end = len(text) - suffix
    if 0 < end < len(text) and text[end - 1] == "\r" and text[end] == "\n":
        suffix -= 1
    return prefix, suffix


def annotated(edits: list[types.TextEdit]) -> list[types.TextEdit | types.AnnotatedTextEdit]:
    return [
        types.AnnotatedTextEdit(range=e.range, new_text=e.new_text, annotation_id=ANNOTATION_ID)
        for e in edits
    ]


def build_workspace_edit(
    changes: list[FileChange], label: str, encoding: str = "utf-16", annotate: bool = True
) -> types.WorkspaceEdit:
    """Document changes with create/delete/rename operations, all needing confirmation
    (`annotate=False` for clients without `changeAnnotationSupport`)."""
    annotation_id = ANNOTATION_ID if annotate else None
    operations: list[
        types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile
    ] = []
    for change in changes:
        operations += _operations(change, encoding, annotation_id)
    if not annotate:
        return types.WorkspaceEdit(document_changes=operations)
    annotation = types.ChangeAnnotation(
        label="Zeke edit", needs_confirmation=True, description=label
    )
    return types.WorkspaceEdit(
        document_changes=operations, change_annotations={ANNOTATION_ID: annotation}
    )


def plain_workspace_edit(
    changes: list[FileChange], encoding: str = "utf-16"
) -> types.WorkspaceEdit:
    """The `changes` form (uri -> edits) for clients without `documentChanges` support (Grim
    sends empty capabilities): no versions, no file operations, no annotations."""
    return types.WorkspaceEdit(
        changes={
            c.uri: minimal_edits(c.before, c.after, encoding)
            for c in changes
            if c.before is not None and c.after is not None
        }
    )


def _operations(
    change: FileChange, encoding: str, annotation_id: str | None
) -> list[types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile]:
    ops: list[types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile] = []
    if change.after is None:
        return [
            types.DeleteFile(
                uri=change.uri,
                annotation_id=annotation_id,
                options=types.DeleteFileOptions(ignore_if_not_exists=False),
            )
        ]
    if change.before is None:
        ops.append(
            types.CreateFile(
                uri=change.uri,
                annotation_id=annotation_id,
                options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False),
            )
        )
    edits = minimal_edits(change.before or "", change.after, encoding)
    if edits:
        version = change.version if change.before is not None else None
        doc = types.OptionalVersionedTextDocumentIdentifier(uri=change.uri, version=version)
        ops.append(
            types.TextDocumentEdit(
                text_document=doc, edits=annotated(edits) if annotation_id else edits
            )
        )
    if change.new_uri:
        ops.append(
            types.RenameFile(
                old_uri=change.uri, new_uri=change.new_uri, annotation_id=annotation_id
            )
        )
    return ops


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str = "utf-16") -> str:
    """Apply LSP edits to a text (used by tests and by Glyph writes of closed files)."""
    spans = sorted(
        (
            (
                _offset(text, e.range.start, encoding),
                _offset(text, e.range.end, encoding),
                e.new_text,
            )
            for e in edits
        ),
        reverse=True,
    )
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


def _offset(text: str, pos: types.Position, encoding: str) -> int:
    return PositionCodec.of(encoding).offset(text, pos.line, pos.character)


def unified_diff(path: str, before: str | None, after: str | None) -> str:
    """A git-style diff for display (the client shows it; it is never parsed back)."""
    old = (before or "").splitlines(keepends=True)
    new = (after or "").splitlines(keepends=True)
    old_name = f"a/{path}" if before is not None else "/dev/null"
    new_name = f"b/{path}" if after is not None else "/dev/null"
    lines = difflib.unified_diff(old, new, old_name, new_name)
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
