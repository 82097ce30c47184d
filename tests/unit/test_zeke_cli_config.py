"""The Zeke CLI's config formats (FINDINGS.md) load with notes and no errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from zeke_ls.config.store import ConfigStore
from zeke_ls.providers.routing import resolve

SEED = Path(__file__).parents[1] / "fixtures" / "seed-zeke.toml"

SCALARS = """
[providers]
default_provider = "ollama"
enabled_providers = ["ollama", "claude"]
fallback_enabled = true
default_model = "qwen2.5-coder:7b"
"""

ENDPOINTS = """
[providers.endpoints]
ollama = "http://localhost:11434"
openai = "https://api.openai.com/v1"
anthropic = "https://api.anthropic.com"
google = "https://generativelanguage.googleapis.com"
xai = "https://api.x.ai/v1"
azure = "https://myres.openai.azure.com/"
copilot = "https://api.githubcopilot.com"

[model_aliases]
fast = "llama3.2:3b"
smart = "claude-3-5-sonnet-20241022"
"""

MODEL_ALIASES = """
[providers]
default_provider = "claude"

[model_aliases]
fast = "llama3.2:3b"
smart = "claude-3-5-sonnet-20241022"
reason = "gpt-4o"
long = "gemini-1.5-pro"
witty = "grok-2"
house = "house-model-v1"
"""

MODELS = """
[[models]]
name = "gpt-4o-mini"
provider = "openai"
temperature = 0.2
max_tokens = 2048

[[models]]
name = "claude-3-5-haiku"
provider = "claude"

[[models]]
name = "grok-2"
provider = "xai"
"""

OTHER_TOOLS = """
[aliases]
code-fast = "ollama:qwen2.5-coder:7b"

[lsp]
enabled = true
[cache]
dir = "~/.cache/zeke"
[ui]
theme = "dark"
[keybindings]
ask = "C-a"
[storage]
path = "~/.local/share/zeke"
[daemon]
port = 7777
[[mcp_servers]]
name = "glyph"
command = "glyph"
[performance]
threads = 4
[security]
sandbox = true
"""

OLD_VERSIONS = """
[ollama]
host = "http://192.168.1.50:11434"
model = "deepseek-coder:6.7b"
keep_alive = "5m"

[routing]
escalation_threshold = "medium"
"""


def load(tmp_path: Path, text: str) -> ConfigStore:
    path = tmp_path / "zeke.toml"
    path.write_text(text)
    store = ConfigStore(str(path), env={})
    store.reload()
    return store


def errors(store: ConfigStore) -> list[str]:
    return [str(p) for p in store.problems if p.severity == "error"]


def taken(store: ConfigStore) -> dict[str, str]:
    return {n.key: n.detail for n in store.notes if n.kind == "took"}


def left(store: ConfigStore) -> dict[str, str]:
    return {n.key: n.detail for n in store.notes if n.kind == "left"}


def route(store: ConfigStore, alias: str) -> str:
    return resolve(store.config, alias).route


def test_the_seed_format_is_unchanged(tmp_path):
    store = load(tmp_path, SEED.read_text())
    assert errors(store) == [] and store.notes == []
    assert route(store, "code-fast") == "ollama:deepseek-coder:14b"


def test_scalars_under_providers_are_not_an_error(tmp_path):
    store = load(tmp_path, SCALARS)
    assert errors(store) == []
    assert route(store, "default") == "ollama:qwen2.5-coder:7b"
    assert route(store, "code-smart") == "ollama:qwen2.5-coder:7b"
    assert store.config.chat.model == "code-smart"
    assert "providers.enabled_providers" in left(store)
    assert "providers.fallback_enabled" in left(store)
    assert set(store.config.providers) == set()


def test_provider_endpoints_become_base_urls(tmp_path):
    store = load(tmp_path, ENDPOINTS)
    providers = store.config.providers
    assert errors(store) == []
    assert providers["ollama"].endpoint_list() == ["http://localhost:11434"]
    assert providers["openai"].base_url == "https://api.openai.com/v1"
    assert providers["anthropic"].base_url == "https://api.anthropic.com"
    assert providers["gemini"].base_url.endswith("/v1beta/openai")  # claude/google renamed
    assert providers["xai"].kind == "openai" and providers["xai"].base_url == "https://api.x.ai/v1"
    assert providers["azure"].endpoint == "https://myres.openai.azure.com"
    assert "copilot" not in providers and "providers.endpoints.copilot" in left(store)
    assert taken(store)["providers.endpoints.google"].startswith("providers.gemini.base_url")
    assert route(store, "code-fast") == "ollama:llama3.2:3b"  # from the `fast` alias


def test_model_aliases_get_their_provider_inferred(tmp_path):
    store = load(tmp_path, MODEL_ALIASES)
    assert errors(store) == []
    assert route(store, "fast") == "ollama:llama3.2:3b"
    assert route(store, "smart") == "anthropic:claude-3-5-sonnet-20241022"
    assert route(store, "reason") == "openai:gpt-4o"
    assert route(store, "long") == "gemini:gemini-1.5-pro"
    assert route(store, "witty") == "xai:grok-2"
    assert route(store, "house") == "anthropic:house-model-v1"  # default_provider claude


def test_models_arrays_become_aliases(tmp_path):
    store = load(tmp_path, MODELS)
    assert errors(store) == []
    assert route(store, "gpt-4o-mini") == "openai:gpt-4o-mini"
    assert route(store, "claude-3-5-haiku") == "anthropic:claude-3-5-haiku"
    assert route(store, "grok-2") == "xai:grok-2"
    assert "temperature, max_tokens" in left(store)["models.0"]


def test_other_zeke_tools_sections_are_notes_not_warnings(tmp_path):
    store = load(tmp_path, OTHER_TOOLS)
    assert store.problems == []
    assert set(left(store)) == {
        "lsp",
        "cache",
        "ui",
        "keybindings",
        "storage",
        "daemon",
        "mcp_servers",
        "performance",
        "security",
    }
    assert route(store, "code-fast") == "ollama:qwen2.5-coder:7b"


def test_older_versions_ollama_table_and_word_thresholds(tmp_path):
    store = load(tmp_path, OLD_VERSIONS)
    assert errors(store) == []
    assert store.config.providers["ollama"].endpoint_list() == ["http://192.168.1.50:11434"]
    assert store.config.routing.escalation_threshold == 2000
    assert route(store, "default") == "ollama:deepseek-coder:6.7b"
    assert "keep_alive" in left(store)["ollama"]


def test_errors_in_keys_zeke_ls_owns_stay_errors(tmp_path):
    store = load(tmp_path, SCALARS + '\n[completion]\nmax_tokens = "lots"\n')
    assert any("completion.max_tokens" in e for e in errors(store))


def test_doctor_shows_what_it_took_from_where(tmp_path):
    path = tmp_path / "zeke.toml"
    path.write_text(ENDPOINTS + OTHER_TOOLS.replace("[aliases]\n", "[aliases]\n", 1))
    home = tmp_path / "home"
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(Path(__file__).parents[2]),
    }
    text = subprocess.run(
        [sys.executable, "-m", "zeke_ls", "doctor", "--config", str(path), "--no-probe"],
        env=env,
        capture_output=True,
        text=True,
    )
    report = subprocess.run(
        [sys.executable, "-m", "zeke_ls", "doctor", "--config", str(path), "--no-probe", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    data = json.loads(report.stdout)
    assert text.returncode == 0, text.stdout + text.stderr
    assert f"{path}: providers.endpoints.ollama -> providers.ollama.endpoints" in text.stdout
    assert (
        "left alone (notes, not errors)" in text.stdout and "lsp: another Zeke tool" in text.stdout
    )
    assert {
        "kind": "took",
        "source": str(path),
        "key": "model_aliases.smart",
        "detail": "aliases.smart = 'anthropic:claude-3-5-sonnet-20241022'",
    } in data["notes"]
    assert not [p for p in data["problems"] if p["severity"] == "error"]
