"""Param models shared by the chat, action and context methods (camelCase on the wire)."""

from __future__ import annotations

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel
from pygls.exceptions import JsonRpcInvalidParams

from zeke_ls.context.sets import Span, line_offset
from zeke_ls.core.rpc import Params


class CamelParams(Params):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Position(CamelParams):
    line: int = Field(ge=0)
    character: int = Field(ge=0)


class Range(CamelParams):
    start: Position
    end: Position

    def span(self) -> Span:
        return Span(self.start.line, self.start.character, self.end.line, self.end.character)


class TextDocumentId(CamelParams):
    uri: str


def check_range(text: str, span: Span, uri: str) -> None:
    """A range must lie inside the document: a clear error beats silently empty context."""
    lines = text.splitlines(keepends=True) or [""]
    last = len(lines) if text.endswith(("\n", "\r")) else len(lines) - 1
    where = f"{span.start_line}:{span.start_char}-{span.end_line}:{span.end_char}"
    if span.start_line > last or span.end_line > last:
        raise JsonRpcInvalidParams(message=f"range {where} is outside {uri} ({len(lines)} lines)")
    start = line_offset(lines, span.start_line, span.start_char)
    if start > line_offset(lines, span.end_line, span.end_char):
        raise JsonRpcInvalidParams(message=f"range {where} starts after it ends in {uri}")
