"""`zeke/indexStatus`, `zeke/search`, `zeke/repoMap`: the repository index."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from zeke_ls.protocol.common import Params, Result


class SearchParams(Params):
    query: str = Field(description="words or identifiers to look for")
    limit: int = Field(default=10, ge=1, le=100, description="at most this many chunks")


class SearchResult(Result):
    state: str = Field(description="the index's state (building, ready, ...)")
    results: list[dict[str, Any]] = Field(description="uri, path, name, score, text, range")


class RepoMapParams(Params):
    budget: int = Field(default=1024, ge=16, le=65_536, description="token budget of the map")
    focus: list[str] = Field(
        default_factory=list, description="document URIs the map is centred on (left out)"
    )


class RepoMapResult(Result):
    state: str = Field(description="the index's state")
    text: str = Field(description="the outline of signatures, most referenced files first")
    files: list[Any] = Field(description="the files in the map")
    tokens: int = Field(description="the map's size in tokens")


class IndexStatusResult(Result):
    state: str = Field(description="off, building, ready, ...")
