"""Friction a daily user met (issue 11), in a real headless Neovim: finding the daemon, the
context list's remove key, a readable :ZekeStatus, statusline refreshes, and the glue of the
Neovim 0.12 engine (`inline.engine = 'core'`)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.fakes.provider import Reply
from tests.nvim.conftest import SAMPLE
from tests.nvim.driver import PLUGIN, REPO, NvimDriver

pytestmark = pytest.mark.nvim

NO_DAEMON_PATH = "/usr/bin:/bin"  # no zeke-ls there; the venv's bin (which has one) is left out
CONTEXT_VIEW = (
    "(function() for _, b in ipairs(vim.api.nvim_list_bufs()) do "
    "if vim.bo[b].filetype == 'zeke-context' then "
    "return table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, false), '\\n') end end end)()"
)


@pytest.fixture
def plugin_copy(tmp_path: Path) -> Path:
    """The plugin outside any checkout, so no `.venv/bin/zeke-ls` sits next to it."""
    copy = tmp_path / "plugins" / "zeke.nvim"
    shutil.copytree(PLUGIN, copy, ignore=shutil.ignore_patterns("tags"))
    return copy


def driver(tmp_path, config_path, plugin, env, setup):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    variables = {"ZEKE_TEST_KEY": "sk-test-secret-value-123", "VIRTUAL_ENV": "", **env}
    return NvimDriver(config_path, home, env=variables, setup=setup, plugin=plugin)


def test_no_daemon_found_fails_once_with_one_clear_message(tmp_path, config_path, plugin_copy):
    nvim = driver(
        tmp_path,
        config_path,
        plugin_copy,
        {"PATH": NO_DAEMON_PATH},
        {"cmd": [], "python": "/nonexistent/python3"},
    )
    try:
        for name in ["a.py", "b.py"]:
            (tmp_path / name).write_text(SAMPLE, encoding="utf-8")
            nvim.nvim.command(f"edit {tmp_path / name}")
        nvim.wait_for("require('zeke.lsp').state.status == 'error'")
        messages = nvim.messages()
        assert messages.count("cannot start the zeke-ls daemon") == 1, messages
        for tried in [
            "zeke-ls on PATH",
            "/.venv/bin/zeke-ls",
            "/.local/bin/zeke-ls",
            "/nonexistent/python3 -m zeke_ls",
            "cmd = {",
        ]:
            assert tried in messages, (tried, messages)
        assert "✗ cannot start" in nvim.lua("return require('zeke.statusline').get()")
        nvim.nvim.command("checkhealth zeke")
        report = "\n".join(nvim.lines())
        assert "open a file" not in report
        assert report.count("cannot start the zeke-ls daemon") >= 1, report
    finally:
        nvim.close()


def test_daemon_found_as_python_m_zeke_ls_of_the_configured_interpreter(
    tmp_path, config_path, plugin_copy
):
    env = {"PATH": NO_DAEMON_PATH, "ZEKE_CONFIG": str(config_path), "PYTHONPATH": str(REPO)}
    nvim = driver(tmp_path, config_path, plugin_copy, env, {"cmd": [], "python": sys.executable})
    try:
        (tmp_path / "a.py").write_text(SAMPLE, encoding="utf-8")
        nvim.open(tmp_path / "a.py")
        assert nvim.lua("return require('zeke.lsp').command()") == [sys.executable, "-m", "zeke_ls"]
    finally:
        nvim.close()


def test_daemon_found_on_path_first(tmp_path, config_path, plugin_copy):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "zeke-ls"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m zeke_ls --config {config_path} "$@"\n')
    shim.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{NO_DAEMON_PATH}", "PYTHONPATH": str(REPO)}
    nvim = driver(tmp_path, config_path, plugin_copy, env, {"cmd": [], "python": sys.executable})
    try:
        (tmp_path / "a.py").write_text(SAMPLE, encoding="utf-8")
        nvim.open(tmp_path / "a.py")
        assert nvim.lua("return require('zeke.lsp').command()") == [str(shim)]
    finally:
        nvim.close()


def test_context_list_key_removes_the_item_under_the_cursor(nvim, workspace):
    (workspace / "notes.md").write_text("# Notes\n\nsome words here\n", encoding="utf-8")
    nvim.open(workspace / "sample.py")
    nvim.nvim.command("ZekeAddFile notes.md")
    nvim.feed("Vj:ZekeAddSelection<CR>")
    # The keys are fed asynchronously: open the view once the daemon holds both items.
    nvim.wait_for(
        "#((select(2, require('zeke.lsp').request_sync('zeke/contextList', {}, 1000)) or {})"
        ".items or {}) == 2",
        what="both items pinned",
    )
    nvim.nvim.command("ZekeContext")
    view = nvim.wait_for(f"({CONTEXT_VIEW} or ''):find('sample.py') and {CONTEXT_VIEW}")
    assert "notes.md" in view
    line = next(i for i, text in enumerate(view.splitlines(), 1) if "notes.md" in text)
    nvim.lua(f"vim.api.nvim_win_set_cursor(0, {{ {line}, 0 }}) return 1")
    nvim.feed("dd")
    view = nvim.wait_for(f"not {CONTEXT_VIEW}:find('notes.md') and {CONTEXT_VIEW}")
    assert "sample.py lines 1-2" in view


def test_zeke_status_is_readable_text(nvim, fake, workspace):
    fake.default = Reply(chunks=["a + b"])
    nvim.open(workspace / "sample.py")
    nvim.nvim.command("ZekeStatus")
    text = nvim.wait_for(
        "vim.fn.bufnr('zeke://status') ~= -1 and table.concat("
        "vim.api.nvim_buf_get_lines(vim.fn.bufnr('zeke://status'), 0, -1, false), '\\n')"
    )
    assert text.startswith("zeke-ls ")
    assert "models             chat = code-smart, completion = code-fast" in text
    assert "ghost text         shown 0, accepted 0" in text
    assert "daemon command" in text and "{" not in text  # not a Lua table dump


def test_statusline_refreshes_after_start_and_after_zeke_model(nvim, workspace):
    nvim.lua("""_G.zeke_refreshes = 0
        vim.api.nvim_create_autocmd('User', { pattern = 'ZekeStatusChanged',
          callback = function() _G.zeke_refreshes = _G.zeke_refreshes + 1 end })
        return 1""")
    nvim.open(workspace / "sample.py")
    nvim.wait_for(
        "_G.zeke_refreshes >= 1 and require('zeke.models').cache ~= nil",
        what="a refresh once the daemon is up",
    )
    before = nvim.lua("return _G.zeke_refreshes")
    nvim.nvim.command("ZekeModel local")
    nvim.wait_for(f"_G.zeke_refreshes > {before}")
    assert nvim.lua("return require('zeke.statusline').get()") == "zeke:local ●"


CORE_STUB = """
-- A stand-in for Neovim 0.12's vim.lsp.inline_completion (documented API only), recording calls:
-- the real one cannot be installed here. It checks the plugin's glue, not Neovim.
_G.core_calls = {}
_G.core_item = { insert_text = 'total_sum + other', client_id = 1 }
vim.lsp.inline_completion = {
  enable = function(on, filter) table.insert(_G.core_calls, { 'enable', on, filter.bufnr ~= nil,
    filter.client_id ~= nil }) end,
  is_enabled = function() return true end,
  select = function(opts) table.insert(_G.core_calls, { 'select', opts.count }) end,
  get = function(opts)
    table.insert(_G.core_calls, { 'get', opts ~= nil and opts.on_accept ~= nil })
    if opts and opts.on_accept then
      local item = opts.on_accept(vim.deepcopy(_G.core_item))
      table.insert(_G.core_calls, { 'applied', item ~= nil })
    end
    return true
  end,
}
return 1
"""


def test_core_engine_glue_calls_the_documented_api(nvim, fake, workspace):
    fake.default = Reply(chunks=[""])
    nvim.lua(CORE_STUB)
    assert nvim.lua(
        "return require('zeke').setup({ cmd = ..., inline = { engine = 'core' } })", nvim.cmd
    )
    nvim.open(workspace / "sample.py")
    nvim.wait_for("#_G.core_calls > 0")
    assert nvim.lua("return _G.core_calls[1]") == ["enable", True, True, True]
    nvim.feed("2GA<CR>")
    nvim.lua("_G.core_calls = {} return 1")
    nvim.feed("<C-Right>")  # word accept: the plugin inserts the word itself
    assert nvim.lines()[2].strip() == "total_sum"
    nvim.feed("<M-]>")
    nvim.feed("<Tab>")
    nvim.feed("<C-]>")
    assert nvim.lua("return _G.core_calls") == [
        ["get", True],
        ["applied", False],  # word: on_accept inserted it, core applies nothing
        ["select", 1],
        ["get", False],  # whole accept: core's own (it runs the item's zeke.didAccept command)
        ["get", True],
        ["applied", False],  # dismiss: an accept that applies nothing
    ]
