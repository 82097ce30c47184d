--- Find the daemon the way the user installed it, so the default works after the README's
--- install: `zeke-ls` on PATH, then the documented venv locations, then `python -m zeke_ls`
--- of the configured interpreter. An explicit `cmd` option is used as given.
local M = {}
local H = {}

--- The zeke_ls checkout this plugin lives in (clients/nvim/lua/zeke/ -> four levels up).
function H.checkout()
  local here = debug.getinfo(1, 'S').source:sub(2)
  return vim.fn.fnamemodify(here, ':p:h:h:h:h:h')
end

--- Executable locations, in order, as { label, path }.
function M.locations()
  local found = {}
  local on_path = vim.fn.exepath('zeke-ls')
  table.insert(found, { 'zeke-ls on PATH', on_path ~= '' and on_path or nil })
  if vim.env.VIRTUAL_ENV and vim.env.VIRTUAL_ENV ~= '' then
    table.insert(found, { '$VIRTUAL_ENV/bin/zeke-ls', vim.env.VIRTUAL_ENV .. '/bin/zeke-ls' })
  end
  local venv = H.checkout() .. '/.venv/bin/zeke-ls' -- README: `python3 -m venv .venv` in the checkout
  table.insert(found, { vim.fn.fnamemodify(venv, ':~'), venv })
  local user = vim.fn.expand('~/.local/bin/zeke-ls') -- pipx, pip install --user
  table.insert(found, { '~/.local/bin/zeke-ls', user })
  return found
end

--- True when `python` can import zeke_ls (a quick check, without importing it).
function H.has_module(python)
  if vim.fn.executable(python) ~= 1 then
    return false
  end
  local check = "import importlib.util, sys; sys.exit(importlib.util.find_spec('zeke_ls') is None)"
  local ok, done = pcall(function()
    return vim.system({ python, '-c', check }, { text = true }):wait(5000)
  end)
  return ok and done.code == 0
end

--- The command that starts the daemon, or nil and the list of what was tried.
function M.find(cfg)
  if #cfg.cmd > 0 then
    if vim.fn.executable(cfg.cmd[1]) == 1 then
      return cfg.cmd, {}
    end
    return nil, { table.concat(cfg.cmd, ' ') .. ' (the cmd option)' }
  end
  local tried = {}
  for _, location in ipairs(M.locations()) do
    local label, path = location[1], location[2]
    if path and vim.fn.executable(path) == 1 then
      return { path }, tried
    end
    table.insert(tried, label)
  end
  if H.has_module(cfg.python) then
    return { cfg.python, '-m', 'zeke_ls' }, tried
  end
  table.insert(tried, cfg.python .. ' -m zeke_ls')
  return nil, tried
end

--- The one message shown when nothing was found.
function M.message(tried)
  return ('cannot start the zeke-ls daemon: tried %s. Install it (pip install zeke-ls), or set '
    .. "cmd = { '/path/to/zeke-ls' } or python = '/path/to/python' in require('zeke').setup()")
    :format(table.concat(tried, ', '))
end

return M
