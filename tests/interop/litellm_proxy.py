"""Start a real LiteLLM proxy on loopback in front of a fake provider (tests and bench).

LiteLLM runs offline (`LITELLM_LOCAL_MODEL_COST_MAP=True`), needs a master key, and has
cooldowns disabled so that one scripted failure does not bench a deployment for seconds.
The executable is `$ZEKE_LITELLM`, else `litellm` beside the running Python, else in the
repository's `.venv-litellm` (a separate venv keeps LiteLLM's pins, such as an older
`websockets`, out of the daemon's), else on PATH.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

MASTER_KEY = "sk-litellm-master-test"


def litellm_executable() -> str | None:
    repo = Path(__file__).resolve().parents[2]
    candidates = [
        os.environ.get("ZEKE_LITELLM"),
        str(Path(sys.executable).parent / "litellm"),
        str(repo / ".venv-litellm" / "bin" / "litellm"),
        shutil.which("litellm"),
    ]
    return next((c for c in candidates if c and Path(c).exists()), None)


def proxy_config(fake_url: str) -> str:
    return f"""
model_list:
  - model_name: code-fast
    litellm_params: {{ model: "openai/fake-fast", api_base: "{fake_url}/v1", api_key: "sk-fake" }}
  - model_name: code-smart
    litellm_params: {{ model: "anthropic/claude-fake", api_base: "{fake_url}", api_key: "sk-fake" }}
  - model_name: local
    litellm_params: {{ model: "ollama_chat/qwen2.5-coder:7b", api_base: "{fake_url}" }}
  - model_name: embed
    litellm_params: {{ model: "openai/fake-embed", api_base: "{fake_url}/v1", api_key: "sk-fake" }}
general_settings:
  master_key: "{MASTER_KEY}"
router_settings:
  disable_cooldowns: true
  num_retries: 0
litellm_settings:
  telemetry: false
  drop_params: true
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiteLLMProxy:
    def __init__(self, executable: str, fake_url: str):
        self.executable = executable
        self.fake_url = fake_url
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="zeke-litellm-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 90) -> LiteLLMProxy:
        config = self.folder / "litellm.yaml"
        config.write_text(proxy_config(self.fake_url))
        env = dict(
            os.environ,
            LITELLM_LOCAL_MODEL_COST_MAP="True",
            LITELLM_TELEMETRY="False",
            NO_PROXY="127.0.0.1,localhost",
            HOME=str(self.folder),
        )
        log = (self.folder / "proxy.log").open("wb")
        self.process = subprocess.Popen(
            [
                self.executable,
                "--config",
                str(config),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--num_workers",
                "1",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.folder,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"litellm exited: {self.log_tail()}")
            try:
                if httpx.get(self.url + "/health/liveliness", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"litellm not ready in {timeout_s} s: {self.log_tail()}")

    def log_tail(self) -> str:
        path = self.folder / "proxy.log"
        return path.read_text("utf-8", "replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)
