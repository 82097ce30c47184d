"""The wire format for each provider kind; imported lazily so unused formats cost nothing."""

from __future__ import annotations

import importlib
from functools import cache

from zeke_ls.providers.base import ProviderError
from zeke_ls.providers.wire import WireFormat

FORMAT_CLASSES = {
    "openai": ("zeke_ls.providers.openai", "OpenAIFormat"),
    "llamacpp": ("zeke_ls.providers.openai", "OpenAIFormat"),
    "azure": ("zeke_ls.providers.azure", "AzureFormat"),
    "anthropic": ("zeke_ls.providers.anthropic", "AnthropicFormat"),
    "ollama": ("zeke_ls.providers.ollama", "OllamaFormat"),
}


@cache
def get(kind: str) -> WireFormat:
    try:
        module, name = FORMAT_CLASSES[kind]
    except KeyError:
        raise ProviderError(
            f'no wire format "{kind}" (use openai, azure, anthropic, ollama)'
        ) from None
    format_class = getattr(importlib.import_module(module), name)
    return format_class()
