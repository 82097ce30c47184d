"""The command line as a user runs it: doctor, models, --help, --version."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from tests.harness import daemon_env

SEED = Path(__file__).parent.parent / "fixtures" / "seed-zeke.toml"
ALIASES = ["code-fast", "code-plus", "code-smart", "reason-deep", "local"]


def zeke(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zeke_ls", *args],
        capture_output=True,
        text=True,
        env=daemon_env(tmp_path, env),
        timeout=60,
    )


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loopback_seed(tmp_path: Path, reachable_url: str | None = None) -> tuple[Path, dict[str, str]]:
    """The seed config with every endpoint moved to an unused loopback port (or the fake)."""
    text = SEED.read_text()
    ports = {
        name: unused_port() for name in ("gw", "ollama1", "ollama2", "azure", "openai", "anthropic")
    }
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    if reachable_url:
        urls["ollama1"] = reachable_url
    text = text.replace("http://localhost:8080/v1", urls["gw"] + "/v1")
    text = text.replace(
        "http://127.0.0.1:11434,http://192.168.1.50:11434", f"{urls['ollama1']},{urls['ollama2']}"
    )
    text = text.replace("https://your-aoai.openai.azure.com/", urls["azure"])
    text = text.replace(
        "[providers.openai]\n", f'[providers.openai]\nbase_url = "{urls["openai"]}/v1"\n'
    )
    text = text.replace(
        "[providers.anthropic]\n", f'[providers.anthropic]\nbase_url = "{urls["anthropic"]}"\n'
    )
    assert "192.168" not in text and "azure.com" not in text
    path = tmp_path / "seed-loopback.toml"
    path.write_text(text)
    return path, urls


def test_doctor_no_probe_lists_every_seed_alias_with_its_route(tmp_path):
    result = zeke(tmp_path, "doctor", "--no-probe", "--config", str(SEED))
    assert result.returncode == 0, result.stdout + result.stderr
    for alias in ALIASES:
        assert f"  {alias} " in result.stdout
    assert "gateway(openai) model=code-fast @ http://localhost:8080/v1" in result.stdout
    assert "ollama(ollama) model=deepseek-coder:14b" in result.stdout
    assert "not probed" in result.stdout
    assert "ZEKE_API_KEY is not set" in result.stdout


def test_doctor_probe_says_which_endpoints_are_unreachable(tmp_path, fake):
    path, urls = loopback_seed(tmp_path, reachable_url=fake.url)
    result = zeke(tmp_path, "doctor", "--config", str(path), "--timeout", "1")
    lines = result.stdout.splitlines()
    assert any(line.strip().startswith("reachable") and fake.url in line for line in lines), (
        result.stdout
    )
    for name in ("gw", "ollama2", "azure", "anthropic"):
        assert any("UNREACHABLE" in line and urls[name] in line for line in lines), (
            name,
            result.stdout,
        )
    assert result.returncode == 0  # one endpoint answers: the config is usable
    assert fake.calls("/api/version"), "the ollama endpoint was probed on its health path"


def test_doctor_exits_non_zero_when_nothing_is_reachable(tmp_path):
    path, _urls = loopback_seed(tmp_path)
    result = zeke(tmp_path, "doctor", "--config", str(path), "--json", "--timeout", "1")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["reason"] == "no endpoint is reachable"
    assert all(e["reachable"] is False for e in report["endpoints"])
    assert len(report["endpoints"]) == 6


def test_doctor_reports_broken_config_precisely(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[aliases]\nfast = "olama:qwen"\n[completion]\nmax_sugestions = 2\n')
    result = zeke(tmp_path, "doctor", "--no-probe", "--config", str(path))
    assert result.returncode == 1
    assert f'error: {path}: aliases.fast: unknown provider "olama"' in result.stdout
    assert "completion.max_sugestions: unknown key" in result.stdout
    assert "NOT usable" in result.stdout


def test_doctor_never_prints_a_secret(tmp_path):
    result = zeke(
        tmp_path,
        "doctor",
        "--no-probe",
        "--json",
        "--config",
        str(SEED),
        env={"OPENAI_API_KEY": "sk-very-secret-value-999"},
    )
    assert "sk-very-secret" not in result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert "providers.openai.api_key" not in {p["keyPath"] for p in report["problems"]}
    assert "providers.azure.api_key" in {p["keyPath"] for p in report["problems"]}


def test_models_json_lists_aliases_and_targets(tmp_path):
    result = zeke(tmp_path, "models", "--json", "--config", str(SEED))
    routes = json.loads(result.stdout)
    assert [r["alias"] for r in routes] == ALIASES
    assert routes[2]["targets"][1] == {
        "kind": "openai",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "endpoints": ["https://api.openai.com/v1"],
    }


def test_help_lists_every_command_and_version_prints(tmp_path):
    help_text = zeke(tmp_path, "--help").stdout
    for command in ("serve", "doctor", "models", "ask", "glyph"):
        assert command in help_text
    for option in ("--tcp", "--ws", "--config", "--log-file", "--verbose"):
        assert option in help_text
    assert zeke(tmp_path, "--version").stdout.startswith("zeke-ls ")
