"""`zeke/edit`, `zeke/editProgress`, `zeke/editAccept`, `zeke/editReject`."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from zeke_ls.protocol.common import Params, Range, Result, TextDocumentId


class EditParams(Params):
    text_document: TextDocumentId = Field(description="the document to edit")
    range: Range | None = Field(default=None, description="the selection the instruction is about")
    instruction: str = Field(min_length=1, description="what to change")
    alias: str | None = Field(default=None, description="alias for this request only")


class EditResult(Result):
    edit_id: str = Field(description="accept or reject it with this id")
    edit: dict[str, Any] = Field(description="the WorkspaceEdit (versioned, annotated)")
    diff: str = Field(description="a unified diff for display")
    hunks: list[dict[str, Any]] = Field(description="each hunk: applied or refused, and why")


class EditProgress(Result):
    request_id: Any = Field(description="the JSON-RPC id of the zeke/edit request")
    edit_id: str = Field(description="the proposal's id")
    phase: str = Field(description="generating, matching or done")
    alias: str | None = Field(default=None, description="generating: the alias asked")
    text: str | None = Field(
        default=None, description="generating: the next fragment of the answer"
    )
    hunks: list[dict[str, Any]] | None = Field(default=None, description="done: the hunks")


class AcceptParams(Params):
    edit_id: str = Field(description="the proposal to apply")
    hunks: list[str] | None = Field(
        default=None, description="hunk ids to apply; all applied by default"
    )


class AcceptResult(Result):
    edit_id: str = Field(description="the proposal")
    applied: list[str] = Field(description="hunk ids applied")
    files: list[str] = Field(description="URIs changed")


class RejectParams(Params):
    edit_id: str = Field(description="the proposal to drop")


class RejectResult(Result):
    edit_id: str = Field(description="the proposal")
    rejected: bool = Field(description="always true")
