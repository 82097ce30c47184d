"""`zeke/nextEdit` and the next-edit feedback notifications."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from zeke_ls.protocol.common import Params, Position, Result


class NextEditDocument(Params):
    uri: str = Field(description="an open document")
    version: int | None = Field(default=None, description="its version, if the client knows it")


class NextEditParams(Params):
    text_document: NextEditDocument = Field(description="an open document")
    position: Position = Field(description="the cursor, in the negotiated position encoding")
    invoked: bool = Field(default=False, description="asked by the user: failures are errors")


class NextEditResult(Result):
    edit: dict[str, Any] | None = Field(description="id, range, newText, cursor, textDocument")
    quiet: str | None = Field(default=None, description="why there is no edit")


class NextEditFeedback(Params):
    id: str | None = Field(default=None, description="the edit's id")
