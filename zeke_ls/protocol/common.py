"""Shared wire types of the `zeke/*` methods: camelCase JSON, typed with pydantic.

Params ignore unknown fields (newer clients may send more); results are built from models and
dumped with `dump()`, which leaves out optional fields that were never set, so a result carries
exactly the fields protocol.md promises for its case.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Params(BaseModel):
    """Base of every params model: camelCase on the wire, unknown fields ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Result(BaseModel):
    """Base of every result and notification model."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def dump(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")


class Position(Params):
    line: int = Field(ge=0, description="zero-based line")
    character: int = Field(ge=0, description="column in the negotiated position encoding")

    def pair(self) -> tuple[int, int]:
        return self.line, self.character


class Range(Params):
    start: Position
    end: Position


class TextDocumentId(Params):
    uri: str = Field(description="the document's URI, as the client names it")
