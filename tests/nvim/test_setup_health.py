"""zeke.nvim start-up in a real headless Neovim: options, attaching, :checkhealth zeke."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.nvim


def test_attaches_to_file_buffers_only(nvim, workspace):
    nvim.open(workspace / "sample.py")
    assert nvim.lua("return vim.lsp.get_clients({name='zeke'})[1].config.init_options.zeke") == {}
    nvim.nvim.command("enew | setlocal buftype=nofile")
    assert nvim.lua("return #vim.lsp.get_clients({name='zeke', bufnr=0})") == 0


def test_setup_reports_every_bad_option_in_one_message(nvim):
    ok = nvim.lua(
        "return require('zeke').setup({ colour = 'red', inline = { debounce_ms = 'fast' },"
        " chat = { layout = 'tab' } })"
    )
    assert ok is False
    messages = nvim.messages()
    assert 'unknown option "colour"' in messages
    assert '"inline.debounce_ms" must be a number, got string' in messages
    assert '"chat.layout" must be one of float, split, got "tab"' in messages
    assert messages.count("invalid options") == 1


def test_checkhealth_reports_daemon_and_status(nvim, fake, workspace):
    nvim.open(workspace / "sample.py")
    nvim.nvim.command("ZekeChat hi")  # one request, so the endpoint's health is known
    nvim.wait_for("not require('zeke.chat').busy()")
    nvim.nvim.command("checkhealth zeke")
    report = "\n".join(nvim.lines())
    assert "ERROR" not in report, report
    assert "daemon: zeke-ls" in report
    assert "running: zeke-ls" in report
    assert "zeke.toml" in report  # config sources from zeke/status
    assert "models: chat=code-smart, completion=code-fast" in report
    assert f"{fake.url}/v1 reachable" in report, report


def test_statusline_shows_alias_and_state(nvim, workspace):
    assert nvim.lua("return require('zeke.statusline').get()") == "zeke ○"
    nvim.open(workspace / "sample.py")
    assert nvim.wait_for("require('zeke.statusline').get():find('●') ~= nil", timeout=10)


def test_project_root_is_found_by_the_daemons_dot_zeke_toml(nvim, tmp_path):
    """Bug 5: `proj/.zeke.toml` (no .git) marks the root, so its overlay is read."""
    proj = tmp_path / "proj"
    (proj / "src").mkdir(parents=True)
    (proj / ".zeke.toml").write_text('[chat]\nmodel = "local"\n', encoding="utf-8")
    (proj / "src" / "a.py").write_text("x = 1\n", encoding="utf-8")
    nvim.nvim.command(f"cd {proj / 'src'}")
    nvim.open(proj / "src" / "a.py")
    assert nvim.lua("return require('zeke.lsp').client(0).config.root_dir") == str(proj)
    err, status = nvim.lua("return { require('zeke.lsp').request_sync('zeke/status', {}, 3000) }")
    assert err is None or err == {}, err
    assert status["features"]["chat"] == "local"
    assert any(source.endswith(".zeke.toml") for source in status["configSources"]), status
