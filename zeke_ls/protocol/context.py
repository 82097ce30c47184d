"""`zeke/contextAdd`, `zeke/contextRemove`, `zeke/contextList`, `zeke/contextClear`,
`zeke/contextChanged`."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from zeke_ls.protocol.common import Params, Range, Result


class ContextAddParams(Params):
    uri: str | None = Field(default=None, description="a file to pin (with an optional range)")
    range: Range | None = Field(default=None, description="pin only these lines of `uri`")
    glob: str | None = Field(
        default=None, description="pin every file matching, relative to the roots"
    )

    @model_validator(mode="after")
    def _one_target(self) -> ContextAddParams:
        if (self.uri is None) == (self.glob is None):
            raise ValueError("give either uri (with an optional range) or glob")
        if self.range is not None and self.uri is None:
            raise ValueError("range needs uri")
        return self


class ContextRemoveParams(Params):
    id: str | None = Field(default=None, description="the item to remove")
    uri: str | None = Field(default=None, description="remove every item of this file")


class ContextListParams(Params):
    model: str | None = Field(
        default=None, description="budget against this alias instead of chat's"
    )


class ContextListing(Result):
    items: list[dict[str, Any]] = Field(description="the pinned items, each with its token count")
    total: int = Field(description="the items' tokens added up")
    used: int = Field(description="tokens as packed (with headings and fences)")
    budget: int = Field(description="the alias's window minus the reserved output tokens")
    alias: str = Field(description="the alias budgeted against")
    fits: bool = Field(description="nothing was trimmed or dropped")
    dropped: list[dict[str, Any]] = Field(description="items left out, and why")
    vanished: list[dict[str, Any]] = Field(description="items whose file disappeared")


class ContextAddResult(ContextListing):
    added: list[dict[str, Any]] = Field(description="the items this request added")
    skipped: list[dict[str, Any]] = Field(description="matched files refused, with the reason")
    truncated: bool | None = Field(default=None, description="the glob matched more than the cap")
    message: str | None = Field(default=None, description="why the glob was capped")


class ContextRemoveResult(ContextListing):
    removed: list[str] = Field(description="ids of the removed items")


class ContextClearResult(Result):
    removed: int = Field(description="how many items were removed")


class ContextChanged(Result):
    changed: list[dict[str, Any]] = Field(
        description="pinned files edited on disk: id, uri, tokens"
    )
    removed: list[dict[str, Any]] = Field(description="pinned files deleted: id, uri, reason")
