--- :ZekeStatus: what the daemon runs with (`zeke/status`) and what the plugin sees, as text
--- in a scratch window (q closes it).
local lsp = require('zeke.lsp')

local M = {}
local H = {}

function H.list(values)
  return (values and #values > 0) and table.concat(values, ', ') or 'none'
end

function H.reachable(entry)
  if entry.reachable == true then
    return ('reachable (%s ms)'):format(entry.latencyMs and string.format('%.0f', entry.latencyMs) or '?')
  elseif entry.reachable == false then
    return 'UNREACHABLE: ' .. (entry.error or ('HTTP ' .. tostring(entry.status)))
  end
  return 'not probed yet'
end

--- The plugin's side: daemon command, state, the last ghost-text failure.
function H.plugin_lines()
  local state = lsp.state
  local cmd = lsp.command()
  local lines = {
    'plugin',
    ('  daemon command   %s'):format(cmd and table.concat(cmd, ' ') or 'none'),
    ('  state            %s, %d request(s) in flight'):format(state.status, state.inflight),
  }
  if state.daemon_error then
    table.insert(lines, '  daemon error     ' .. state.daemon_error)
  end
  table.insert(lines, '  ghost text       ' .. (state.failure and ('FAILING: ' .. state.failure) or 'ok'))
  return lines
end

--- Readable lines for a `zeke/status` result.
function M.format(status)
  local lines = { ('zeke-ls %s'):format(status.version or '?'), '' }
  local function add(fmt, ...)
    table.insert(lines, fmt:format(...))
  end
  add('workspace roots    %s', H.list(status.workspaceRoots))
  add('config sources     %s', H.list(status.configSources))
  for _, p in ipairs(status.problems or {}) do
    add('  %s %s: %s: %s', (p.severity or 'warning'):upper(), p.source or '?', p.keyPath or '?', p.message or '')
  end
  local features = {}
  for feature, alias in pairs(status.features or {}) do
    table.insert(features, feature .. ' = ' .. alias)
  end
  table.sort(features)
  add('models             %s', H.list(features))
  for _, alias in ipairs(status.aliases or {}) do
    add('  %-16s %s', alias.alias or alias.name or '?', alias.route or '')
  end
  if status.gateway then
    add('gateway            %s', status.gateway)
  end
  for _, e in ipairs(status.health or {}) do
    add('endpoint           %s %s: %s', e.kind or '?', e.url or '?', H.reachable(e))
  end
  local c = status.completion or {}
  add('ghost text         shown %d, accepted %d (%d characters)', c.shown or 0, c.accepted or 0, c.acceptedChars or 0)
  for alias, u in pairs(status.usage or {}) do
    add('usage              %s: %d request(s), %d prompt + %d completion tokens', alias, u.requests or 0,
      u.promptTokens or 0, u.completionTokens or 0)
  end
  table.insert(lines, '')
  vim.list_extend(lines, H.plugin_lines())
  return lines
end

--- Show `lines` in the reused `zeke://status` scratch split.
function H.show(lines)
  local buf = vim.fn.bufnr('zeke://status')
  if buf == -1 then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, 'zeke://status')
    vim.bo[buf].bufhidden, vim.bo[buf].filetype = 'wipe', 'zeke-status'
    vim.keymap.set('n', 'q', '<cmd>close<cr>', { buffer = buf, desc = 'zeke: close the status' })
  end
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  if vim.fn.bufwinid(buf) == -1 then
    vim.cmd(('botright %dsplit'):format(math.min(#lines, 20)))
    vim.api.nvim_win_set_buf(0, buf)
  end
end

--- :ZekeStatus. Without a daemon, the plugin's side alone (why it is not running).
function M.show()
  if not lsp.client() then
    H.show(vim.list_extend({ 'zeke-ls is not running', '' }, H.plugin_lines()))
    return
  end
  lsp.request('zeke/status', {}, function(err, status)
    if not lsp.report(err, 'zeke/status') then
      H.show(M.format(status or {}))
    end
  end)
end

return M
