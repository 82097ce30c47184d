"""doc/zeke.txt must cover every command, key and option of the plugin, and be valid help."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.nvim.driver import PLUGIN, nvim_binary

pytestmark = pytest.mark.nvim

LIST_PLUGIN = """
vim.opt.rtp:prepend(%r)
vim.cmd('runtime plugin/zeke.lua')
local names = {}
for name in pairs(vim.api.nvim_get_commands({})) do
  if name:match('^Zeke') then table.insert(names, ':' .. name) end
end
local function walk(t, prefix)
  for k, v in pairs(t) do
    local key = prefix .. k
    if type(v) == 'table' and not vim.islist(v) and next(v) ~= nil and k ~= 'keys' then
      walk(v, key .. '.')
    else
      table.insert(names, 'zeke-option-' .. key)
      if k == 'keys' then
        for _, lhs in pairs(v) do table.insert(names, 'key ' .. lhs) end
      end
    end
  end
end
walk(require('zeke.config').defaults, '')
io.write(table.concat(names, '\\n'))
"""


def run_lua(code: str) -> str:
    done = subprocess.run(
        [nvim_binary(), "--clean", "--headless", "-l", "-"],
        input=code,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout + done.stderr


def test_every_command_option_and_key_is_documented():
    doc = (PLUGIN / "doc" / "zeke.txt").read_text(encoding="utf-8")
    names = run_lua(LIST_PLUGIN % str(PLUGIN)).split("\n")
    assert len(names) > 30
    missing = []
    for name in names:
        if name.startswith("key "):
            if name[4:] not in doc:
                missing.append(name)
        elif f"*{name}*" not in doc:
            missing.append(name)
    assert not missing, f"not in doc/zeke.txt: {missing}"


def test_helptags_build_without_errors(tmp_path):
    shutil.copytree(PLUGIN / "doc", tmp_path / "doc")
    output = run_lua(f"vim.cmd('helptags {tmp_path / 'doc'}') io.write('ok')")
    assert output.strip() == "ok", output
    assert "zeke-inline-keys" in (tmp_path / "doc" / "tags").read_text(encoding="utf-8")


def test_help_works_after_a_plain_runtimepath_install(tmp_path):
    """Bug 7: a clone put on 'runtimepath' has no doc/tags; `:help zeke` must still work."""
    plugin = tmp_path / "zeke.nvim"
    shutil.copytree(PLUGIN, plugin, ignore=shutil.ignore_patterns("tags"))
    output = run_lua(f"""
vim.opt.rtp:prepend({str(plugin)!r})
vim.cmd('runtime plugin/zeke.lua')
local ok, err = pcall(vim.cmd, 'help zeke')
io.write(ok and vim.fn.expand('%:t') or ('failed: ' .. tostring(err)))
""")
    assert output.strip() == "zeke.txt", output
