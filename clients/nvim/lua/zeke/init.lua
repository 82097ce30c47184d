--- zeke.nvim: a thin client of the zeke_ls daemon. setup() merges and validates the options,
--- then starts the daemon for file buffers and wires ghost text, chat, edits and context.
local M = {}

M.did_setup = false

function M.setup(opts)
  local config = require('zeke.config')
  local cfg, problem = config.resolve(opts)
  if not cfg then
    vim.notify(problem, vim.log.levels.ERROR)
    return false
  end
  config.current = cfg
  vim.api.nvim_set_hl(0, 'ZekeGhostText', { link = 'Comment', default = true })
  vim.api.nvim_set_hl(0, 'ZekeGhostCounter', { link = 'NonText', default = true })
  vim.api.nvim_set_hl(0, 'ZekeWaiting', { link = 'DiagnosticInfo', default = true })
  for _, name in ipairs({ 'inline', 'chat', 'diff', 'context', 'nextedit' }) do
    require('zeke.' .. name).setup(cfg)
  end
  require('zeke.lsp').setup(cfg)
  M.did_setup = true
  return true
end

--- Commands call this, so the plugin works with defaults even without setup().
function M.ensure()
  if not M.did_setup then
    M.setup({})
  end
end

return M
