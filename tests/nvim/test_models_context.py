""":ZekeModel and the context commands in a real headless Neovim."""

from __future__ import annotations

import pytest

from tests.fakes.provider import Reply
from tests.harness import loopback_config

pytestmark = pytest.mark.nvim

CONTEXT_VIEW = (
    "(function() for _, b in ipairs(vim.api.nvim_list_bufs()) do "
    "if vim.bo[b].filetype == 'zeke-context' then "
    "return table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, false), '\\n') end end end)()"
)


def test_zeke_model_switches_the_model_of_the_next_request(nvim, fake, workspace):
    fake.default = Reply(chunks=["a + b"])
    nvim.open(workspace / "sample.py")
    names = nvim.lua("return vim.fn.getcompletion('ZekeModel code', 'cmdline')")
    assert names == ["code-fast", "code-smart"]
    nvim.nvim.command("ZekeModel code-smart")
    nvim.wait_for(
        # Before the switch it shows "code-fast/code-smart": wait for one alias for all features.
        "require('zeke.statusline').alias() == 'code-smart'",
        what="the statusline to show the new alias",
    )
    nvim.feed("2GA")
    nvim.wait_for("require('zeke.inline').shown()")
    assert fake.calls("/completions")[-1].json["model"] == "fake-smart"


def test_zeke_model_for_one_feature(nvim, fake, workspace):
    fake.default = Reply(chunks=["ok"])
    nvim.open(workspace / "sample.py")
    nvim.nvim.command("ZekeModel local chat")
    nvim.wait_for("require('zeke.statusline').get() == 'zeke:code-fast/local ●'")
    nvim.nvim.command("ZekeChat hello")
    nvim.wait_for("not require('zeke.chat').busy()")
    assert fake.calls("/chat/completions")[-1].json["model"] == "fake-local"


def test_unknown_model_is_reported(nvim, workspace):
    nvim.open(workspace / "sample.py")
    nvim.nvim.command("ZekeModel nope")
    nvim.wait_for("vim.fn.execute('messages'):find('unknown alias') ~= nil")


def test_unknown_model_is_refused_with_the_known_aliases_behind_a_gateway(
    nvim, fake, workspace, config_path
):
    """Bug 6: with a gateway the daemon used to take any name; `nope` must be refused."""
    config_path.write_text(
        loopback_config(fake.url, f'[api]\nbase_url = "{fake.url}/v1"\n'), encoding="utf-8"
    )
    fake.default = Reply(chunks=["ok"])
    nvim.open(workspace / "sample.py")
    nvim.nvim.command("ZekeModel nope")
    nvim.wait_for("vim.fn.execute('messages'):find('nope') ~= nil")
    messages = nvim.messages()
    assert "now uses nope" not in messages, messages
    assert 'unknown alias "nope"' in messages and "code-fast, code-smart, local" in messages
    nvim.nvim.command("ZekeChat hello")
    nvim.wait_for("not require('zeke.chat').busy()")
    assert fake.calls("/chat/completions")[-1].json["model"] != "nope"


def test_visual_selection_appears_in_zeke_context(nvim, workspace):
    nvim.open(workspace / "sample.py")
    nvim.feed("Vj:ZekeAddSelection<CR>")
    nvim.wait_for("vim.fn.execute('messages'):find('added to context') ~= nil")
    nvim.nvim.command("ZekeContext")
    view = nvim.wait_for(CONTEXT_VIEW, what="the context list")
    header, line = view.splitlines()[:2]
    assert header.startswith("zeke context: ") and "tokens (code-smart)" in header
    tokens, fits, where = line.split(None, 2)
    assert int(tokens) > 5 and fits == "fits" and where == "sample.py lines 1-2"


def test_add_file_and_clear(nvim, workspace):
    (workspace / "notes.md").write_text("# Notes\n\nsome words here\n", encoding="utf-8")
    nvim.open(workspace / "sample.py")
    nvim.nvim.command("ZekeAddFile notes.md")
    nvim.wait_for("vim.fn.execute('messages'):find('notes.md') ~= nil")
    nvim.nvim.command("ZekeContextClear")
    nvim.wait_for("vim.fn.execute('messages'):find('context cleared') ~= nil")
    nvim.nvim.command("ZekeContext")
    assert "(the context set is empty)" in nvim.wait_for(CONTEXT_VIEW)


def test_file_tree_key_adds_the_file_under_the_cursor(nvim, workspace):
    nvim.open(workspace / "sample.py")
    nvim.nvim.command(f"Explore {workspace}")
    nvim.wait_for("vim.bo.filetype == 'netrw'")
    nvim.lua("vim.fn.search('^sample.py') return 1")
    nvim.feed("ga")
    nvim.wait_for("vim.fn.execute('messages'):find('added to context: sample.py') ~= nil")


def test_zeke_model_without_alias_offers_a_list(nvim, workspace):
    nvim.open(workspace / "sample.py")
    nvim.lua("""vim.ui.select = function(items, opts, on_choice)
        _G.zeke_offered = items
        on_choice('local')
      end return 1""")
    nvim.nvim.command("ZekeModel")
    nvim.wait_for("require('zeke.statusline').get() == 'zeke:local ●'", what="the switch to local")
    assert nvim.lua("return _G.zeke_offered") == ["code-fast", "code-smart", "local"]
