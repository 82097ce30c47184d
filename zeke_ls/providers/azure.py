"""Azure OpenAI: the OpenAI wire format on deployment URLs, with an `api-key` header.

`{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...`; the deployment
is looked up in `[providers.azure] deployments` by model id, and a model without an entry is
taken to be its own deployment name (the common setup).
"""

from __future__ import annotations

from urllib.parse import quote

from zeke_ls.providers.openai import OpenAIFormat
from zeke_ls.providers.wire import Endpoint

DEFAULT_API_VERSION = "2024-10-21"


class AzureFormat(OpenAIFormat):
    def url(self, endpoint: Endpoint, path: str) -> str:
        section = endpoint.section
        deployment = quote(section.deployments.get(endpoint.model, endpoint.model), safe="")
        version = section.api_version or DEFAULT_API_VERSION
        base = endpoint.url.rstrip("/")
        return f"{base}/openai/deployments/{deployment}{path}?api-version={version}"

    def headers(self, endpoint: Endpoint) -> dict[str, str]:
        found = {"Content-Type": "application/json"}
        if endpoint.api_key:
            found["api-key"] = endpoint.api_key
        return found
