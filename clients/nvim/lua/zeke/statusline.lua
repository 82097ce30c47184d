--- A statusline component: the active alias and the daemon state, e.g. `zeke:code-fast ●`.
--- Use `%{%v:lua.require'zeke.statusline'.get()%}` or call it from a statusline plugin.
local lsp = require('zeke.lsp')

local M = {}

M.icons = { off = '○', starting = '◌', ready = '●', busy = '◐', error = '✗' }

--- The alias in use: one name when every feature agrees, else completion/chat.
function M.alias()
  local cache = require('zeke.models').cache
  local features = cache and cache.features
  if type(features) ~= 'table' then
    return nil
  end
  local completion, chat = features.completion, features.chat
  if completion == chat or not chat then
    return completion
  end
  return ('%s/%s'):format(completion or '?', chat)
end

function M.get()
  local status = lsp.client() and lsp.state.status or 'off'
  local alias = M.alias()
  return ('zeke%s %s'):format(alias and (':' .. alias) or '', M.icons[status] or status)
end

return M
