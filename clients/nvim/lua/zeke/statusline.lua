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

--- At most `n` characters of `text`, on one line, without URLs (the notification has them).
function M.short(text, n)
  text = text:gsub('%a[%w+.-]*://%S+%s*', ''):gsub('%s+', ' ')
  return vim.fn.strchars(text) > n and (vim.fn.strcharpart(text, 0, n - 1) .. '…') or text
end

function M.get()
  local state = lsp.state
  local status = (lsp.client() or state.status == 'error') and state.status or 'off'
  local alias = M.alias()
  local text = ('zeke%s %s'):format(alias and (':' .. alias) or '', M.icons[status] or status)
  local reason = status == 'error' and state.daemon_error or (status ~= 'off' and state.failure)
  if reason then
    text = ('%s%s %s'):format(text, status == 'error' and '' or (' ' .. M.icons.error), M.short(reason, M.width))
  end
  return (text:gsub('%%', '%%%%'))
end

--- How much of a failure reason the statusline shows (the notification has all of it).
M.width = 40

return M
