"""The pydantic base of `zeke/*` params. Apart from `rpc` so that the LSP core starts without
pydantic (~7 MB, ~0.15 s): it loads with the first feature that validates params."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Params(BaseModel):
    """Base for `zeke/*` params: camelCase on the wire, unknown fields ignored."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")
