"""The zeke.toml schema, layering and secrets: pure, no daemon."""

from __future__ import annotations

from pathlib import Path

import pytest

from zeke_ls.config.schema import SecretError, ZekeConfig, resolve_secret, secret_status
from zeke_ls.config.store import ConfigStore, deep_merge, user_config_path
from zeke_ls.providers.routing import all_endpoints, resolve

SEED = Path(__file__).parent.parent / "fixtures" / "seed-zeke.toml"


def store_for(tmp_path: Path, text: str) -> ConfigStore:
    path = tmp_path / "zeke.toml"
    path.write_text(text, encoding="utf-8")
    store = ConfigStore(str(path), env={})
    store.reload()
    return store


def test_seed_config_parses_to_its_aliases_and_providers():
    store = ConfigStore(str(SEED), env={})
    problems = store.reload()
    config = store.config
    assert [p for p in problems if p.severity == "error"] == []
    assert {name: a.route for name, a in config.aliases.items()} == {
        "code-fast": "ollama:deepseek-coder:14b",
        "code-plus": "ollama:deepseek-coder:33b",
        "code-smart": "openai:gpt-4o-mini",
        "reason-deep": "anthropic:claude-3-5-sonnet",
        "local": "ollama:llama3.1:8b-instruct",
    }
    assert set(config.providers) == {"openai", "azure", "anthropic", "ollama"}
    assert config.providers["ollama"].endpoint_list() == [
        "http://127.0.0.1:11434",
        "http://192.168.1.50:11434",
    ]
    assert config.providers["ollama"].timeout_ms == 45000
    assert config.api.base_url == "http://localhost:8080/v1"
    assert config.api.api_key == "env:ZEKE_API_KEY"


def test_gateway_route_sends_alias_then_falls_back_to_direct_provider():
    config = ConfigStore(str(SEED), env={})
    config.reload()
    route = resolve(config.config, "code-fast")
    gateway, direct = route.targets
    assert (gateway.provider, gateway.model, gateway.endpoints) == (
        "gateway",
        "code-fast",
        ("http://localhost:8080/v1",),
    )
    assert (direct.kind, direct.model) == ("ollama", "deepseek-coder:14b")


def test_send_model_resolved_sends_the_model_id_to_the_gateway(tmp_path):
    store = store_for(
        tmp_path,
        '[api]\nbase_url="http://127.0.0.1:9/v1"\nsend_model="resolved"\n'
        '[aliases]\nfast="ollama:qwen2.5-coder:7b"\n',
    )
    assert resolve(store.config, "fast").targets[0].model == "qwen2.5-coder:7b"
    assert resolve(store.config, "auto").targets[0].model == "auto"


def test_every_field_has_a_default():
    config = ZekeConfig()
    assert config.completion.model == "code-fast"
    assert config.services.glyph.mcp_transport == "embedded"
    assert config.aliases == {}


def test_missing_default_file_means_defaults(tmp_path):
    store = ConfigStore(None, env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert store.reload() == []
    assert store.sources == ["defaults"]


def test_explicit_missing_file_is_an_error(tmp_path):
    store = ConfigStore(str(tmp_path / "nope.toml"), env={})
    problems = store.reload()
    assert [p.message for p in problems] == ["file not found"]


def test_lookup_order_flag_then_env_then_xdg(tmp_path):
    env = {"ZEKE_CONFIG": "/e/zeke.toml", "XDG_CONFIG_HOME": "/x"}
    assert user_config_path("/flag.toml", env) == Path("/flag.toml")
    assert user_config_path(None, env) == Path("/e/zeke.toml")
    assert user_config_path(None, {"XDG_CONFIG_HOME": "/x"}) == Path("/x/zeke/zeke.toml")


def test_unknown_keys_are_warnings_with_key_paths(tmp_path):
    store = store_for(tmp_path, "[completion]\ndebounce=5\n[providers.ollama]\nendpoint_csv='x'\n")
    assert {(p.severity, p.key_path) for p in store.problems} == {
        ("warning", "completion.debounce"),
        ("warning", "providers.ollama.endpoint_csv"),
    }
    assert all(p.source.endswith("zeke.toml") for p in store.problems)


def test_wrong_type_is_an_error_naming_the_key_and_keeps_defaults(tmp_path):
    store = store_for(tmp_path, "[completion]\nmax_suggestions='many'\n")
    [problem] = store.problems
    assert (problem.severity, problem.key_path) == ("error", "completion.max_suggestions")
    assert "many" in problem.hint
    assert store.config.completion.max_suggestions == 3


def test_not_toml_is_one_clear_error(tmp_path):
    store = store_for(tmp_path, "[api\nbase_url = \n")
    [problem] = store.problems
    assert problem.severity == "error" and "not valid TOML" in problem.message
    assert "line 1" in problem.message


def test_alias_to_unknown_provider_is_an_error(tmp_path):
    store = store_for(tmp_path, '[aliases]\nfast = "olama:qwen"\n')
    errors = {p.key_path: p.message for p in store.problems if p.severity == "error"}
    assert errors == {"aliases.fast": 'unknown provider "olama"'}


def test_alias_without_provider_is_an_error(tmp_path):
    store = store_for(tmp_path, '[aliases]\nbad = "no-colon"\n')
    errors = {p.key_path: p.message for p in store.problems if p.severity == "error"}
    assert "provider:model" in errors["aliases.bad"]


def test_invalid_reload_keeps_last_good_config(tmp_path):
    store = store_for(tmp_path, '[aliases]\nfast = "ollama:qwen"\n')
    assert "fast" in store.config.aliases
    (tmp_path / "zeke.toml").write_text("[aliases\n", encoding="utf-8")
    problems = store.reload()
    assert problems and problems[0].severity == "error"
    assert "fast" in store.config.aliases


def test_overlays_apply_in_order_and_are_attributed(tmp_path):
    store = store_for(tmp_path, '[completion]\nmodel = "a"\nmax_tokens = 10\n')
    store.set_overlay("initializationOptions", {"completion": {"model": "b"}})
    store.set_overlay("didChangeConfiguration", {"completion": {"max_tokens": "x"}})
    problems = store.reload()
    assert [(p.source, p.key_path) for p in problems] == [
        ("didChangeConfiguration", "completion.max_tokens")
    ]
    store.set_overlay("didChangeConfiguration", {"completion": {"max_tokens": 20}})
    assert store.reload() == []
    assert (store.config.completion.model, store.config.completion.max_tokens) == ("b", 20)


def test_overlay_that_is_not_a_table_is_refused(tmp_path):
    store = store_for(tmp_path, "")
    [problem] = store.set_overlay("initializationOptions", ["junk"])
    assert "expected a table" in problem.message


def test_workspace_file_overlays_user_file(tmp_path):
    store = store_for(tmp_path, '[chat]\nmodel = "user"\n')
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".zeke.toml").write_text('[chat]\nmodel = "workspace"\n', encoding="utf-8")
    store.set_workspace_root(ws)
    store.reload()
    assert store.config.chat.model == "workspace"
    assert store.sources[-1].endswith(".zeke.toml")


def test_deep_merge_merges_tables_and_replaces_values():
    assert deep_merge({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": 3}, "d": [2]}) == {
        "a": {"b": 3, "c": 2},
        "d": [2],
    }


def test_env_secret_resolves_at_use_and_errors_name_only_the_variable():
    assert resolve_secret("env:KEY", {"KEY": "sk-secret"}) == "sk-secret"
    assert resolve_secret("literal", {}) == "literal"
    with pytest.raises(SecretError) as info:
        resolve_secret("env:MISSING_KEY", {})
    assert "MISSING_KEY" in str(info.value)
    assert secret_status("env:KEY", {"KEY": "sk-secret"}) == "env:KEY (set)"
    assert "sk-secret" not in secret_status("env:KEY", {"KEY": "sk-secret"})


def test_all_endpoints_lists_gateway_and_direct_targets():
    store = ConfigStore(str(SEED), env={})
    store.reload()
    urls = [url for _kind, url in all_endpoints(store.config)]
    assert urls[0] == "http://localhost:8080/v1"
    assert "http://192.168.1.50:11434" in urls and "https://api.anthropic.com" in urls
