"""`zeke/status`, `zeke/documentState`, `zeke/models`, `zeke/setModel`, and the completion
feedback notifications."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from zeke_ls.protocol.common import Params, Result, TextDocumentId


class NoParams(Params):
    pass


class StatusResult(Result):
    version: str = Field(description="zeke_ls's version")
    config_sources: list[str] = Field(description="config layers in effect, lowest first")
    problems: list[dict[str, Any]] = Field(description="config warnings and errors")
    workspace_roots: list[str] = Field(description="the roots file access is confined to")
    aliases: list[dict[str, Any]] = Field(description="each alias and where it goes")
    features: dict[str, str] = Field(description="the alias each feature uses now")
    gateway: str | None = Field(description="the gateway's base URL, if any")
    health: list[dict[str, Any]] = Field(description="last known state of each endpoint")
    usage: dict[str, Any] = Field(description="tokens per alias this session")
    completion: dict[str, int] = Field(description="suggestions shown and accepted")
    edits: dict[str, int] = Field(description="pending edit proposals")
    index: dict[str, Any] = Field(description="the repository index: state, files, uses")
    next_edit: dict[str, Any] | None = Field(
        default=None, description="next-edit suggestions shown, accepted, ..."
    )


class DocumentStateParams(Params):
    text_document: TextDocumentId = Field(description="an open document")
    include_text: bool = Field(default=False, description="also return the text")


class DocumentStateResult(Result):
    uri: str = Field(description="the document's URI as it was opened")
    version: int | None = Field(description="the last version received")
    language_id: str | None = Field(description="as sent in didOpen")
    line_count: int = Field(description="LSP lines")
    utf16_length: int = Field(description="length in UTF-16 code units")
    sha256: str = Field(description="of the UTF-8 text")
    text: str | None = Field(default=None, description="with includeText")


class ModelsResult(Result):
    aliases: list[dict[str, Any]] = Field(description="name, route, reachable, contextWindow, ...")
    features: dict[str, str] = Field(description="the alias each feature uses now")
    overrides: dict[str, str] = Field(description="zeke/setModel choices in effect")


class SetModelParams(Params):
    alias: str = Field(description="a known alias")
    feature: Literal["completion", "chat", "edit"] | None = Field(
        None, description="the feature to switch; all three when absent"
    )


class SetModelResult(Result):
    features: dict[str, str] = Field(description="the alias each feature uses now")


class CompletionFeedback(Params):
    uri: str | None = Field(default=None, description="the document")
    text: str | None = Field(default=None, description="the suggestion shown or accepted")
    accepted_length: int | None = Field(
        default=None, description="partial accepts: characters taken"
    )
