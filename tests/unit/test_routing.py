"""Routing precedence, the out-of-the-box local aliases, `auto` rules and model info (pure)."""

from __future__ import annotations

import tomllib

import pytest

from zeke_ls.config.schema import ZekeConfig
from zeke_ls.providers.catalog import model_info
from zeke_ls.providers.routing import all_routes, choose_auto, resolve


def config(text: str) -> ZekeConfig:
    return ZekeConfig.model_validate(tomllib.loads(text))


SEED = """
[api]
base_url = "http://127.0.0.1:8080/v1"
[aliases]
code-fast = "ollama:deepseek-coder:14b"
code-smart = "openai:gpt-4o-mini"
reason-deep = "anthropic:claude-3-5-sonnet"
[providers.ollama]
endpoints = "http://127.0.0.1:11434,http://127.0.0.1:11435"
"""


def test_gateway_first_with_alias_name_then_direct_when_provider_has_a_section():
    route = resolve(config(SEED), "code-fast")
    assert [(t.provider, t.model) for t in route.targets] == [
        ("gateway", "code-fast"),
        ("ollama", "deepseek-coder:14b"),
    ]
    assert route.targets[1].endpoints == ("http://127.0.0.1:11434", "http://127.0.0.1:11435")
    # no [providers.openai] section: the gateway is the only way
    assert [t.provider for t in resolve(config(SEED), "code-smart").targets] == ["gateway"]


def test_send_model_resolved_sends_the_model_id_to_the_gateway():
    text = SEED.replace(
        'base_url = "http://127.0.0.1:8080/v1"',
        'base_url = "http://127.0.0.1:8080/v1"\nsend_model = "resolved"',
    )
    assert resolve(config(text), "reason-deep").targets[0].model == "claude-3-5-sonnet"


def test_without_gateway_aliases_go_direct_and_unknown_names_fail():
    text = SEED.replace('base_url = "http://127.0.0.1:8080/v1"', "")
    route = resolve(config(text), "reason-deep")
    assert [(t.kind, t.provider) for t in route.targets] == [("anthropic", "anthropic")]
    with pytest.raises(KeyError):
        resolve(config(text), "nope")


def test_gateway_passes_unknown_names_and_auto_through():
    for name in ("auto", "gpt-4.1"):
        route = resolve(config(SEED), name)
        assert [(t.provider, t.model) for t in route.targets] == [("gateway", name)]


def test_empty_config_routes_the_default_aliases_to_the_managed_local_model():
    empty = ZekeConfig()
    names = [route.alias for route in all_routes(empty)]
    assert names == ["code-fast", "code-smart", "local"]
    target = resolve(empty, "local").targets[0]
    assert (target.kind, target.endpoints) == ("llamacpp", ("managed",))
    info = model_info(empty, resolve(empty, "local"), None)
    assert info.supports_suffix is False and info.context_window == 2048


def test_auto_prefers_local_for_short_code_tasks_and_escalates_long_ones():
    text = (
        SEED.replace('base_url = "http://127.0.0.1:8080/v1"', "")
        + """
[routing]
prefer_local_for = ["completion", "explain"]
escalation_threshold = 100
"""
    )
    cfg = config(text)
    assert choose_auto(cfg, "completion", 50) == "code-fast"
    assert choose_auto(cfg, "completion", 500) == "code-smart"
    assert choose_auto(cfg, "chat", 10) == "code-smart"


def test_fallbacks_per_alias_win_over_routing_fallbacks():
    text = (
        SEED
        + """
[aliases.local]
route = "ollama:llama3.1:8b"
fallbacks = ["code-smart"]
[routing.fallbacks]
local = ["reason-deep"]
code-fast = ["reason-deep"]
"""
    )
    cfg = config(text)
    assert resolve(cfg, "local").fallbacks == ("code-smart",)
    assert resolve(cfg, "code-fast").fallbacks == ("reason-deep",)


def test_model_info_window_and_suffix_by_provider():
    text = (
        SEED
        + """
[aliases.gem]
route = "gemini:gemini-2.0-flash"
[aliases.chatonly]
route = "ollama:llama3.1:8b"
fim_template = "none"
context_window = 9000
"""
    )
    cfg = config(text)

    def info(name: str):
        return model_info(cfg, resolve(cfg, name), cfg.aliases[name])

    assert (info("code-fast").supports_suffix, info("code-fast").context_window) == (True, 4096)
    assert info("reason-deep").context_window == 200_000
    assert info("reason-deep").supports_suffix is False
    assert info("gem").supports_suffix is False and info("gem").kind == "openai"
    assert (info("chatonly").supports_suffix, info("chatonly").context_window) == (False, 9000)
    assert info("code-smart").supports_suffix is True
