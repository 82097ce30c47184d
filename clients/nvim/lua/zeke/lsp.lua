--- The daemon connection: start `zeke-ls` with vim.lsp.start, attach buffers, send requests.
--- Every other module talks to the daemon only through this one.
local M = {}
local H = {}

M.name = 'zeke'
--- What the statusline shows. `status`: 'off' | 'starting' | 'ready' | 'busy' | 'error';
--- `daemon_error`: why the daemon is not running; `failure`: why ghost text fails, until a
--- request succeeds again; `failures` counts failure reports (see inline.lua).
M.state = { status = 'off', inflight = 0, last_error = nil, daemon_error = nil, failure = nil, failures = 0 }

--- Notification handlers other modules register (method -> function(params, ctx)).
H.listeners = {}
--- Requests in flight (id -> true). Neovim drops the callback of a cancelled request, so a
--- cancel settles its request here: the statusline must not stay busy forever.
H.pending = {}

function M.on(method, fn)
  H.listeners[method] = fn
end

function H.dispatch(method)
  return function(err, params, ctx)
    local fn = H.listeners[method]
    if fn and not err then
      fn(params, ctx)
    end
  end
end

function H.capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.textDocument = caps.textDocument or {}
  -- LSP 3.18: the daemon serves textDocument/inlineCompletion to clients that advertise it.
  caps.textDocument.inlineCompletion = { dynamicRegistration = false }
  return caps
end

--- True for buffers the daemon should see: real files, not excluded filetypes.
function M.wants(buf, cfg)
  if not vim.api.nvim_buf_is_valid(buf) or vim.bo[buf].buftype ~= '' then
    return false
  end
  if vim.api.nvim_buf_get_name(buf) == '' then
    return false
  end
  return not vim.tbl_contains(cfg.exclude_filetypes, vim.bo[buf].filetype)
end

--- The daemon command (found once per setup()); nil after one clear message when none works.
function H.command(cfg)
  if H.cmd == nil then
    local cmd, tried = require('zeke.discover').find(cfg)
    H.cmd = cmd or false
    if not cmd then
      M.state.status, M.state.daemon_error = 'error', require('zeke.discover').message(tried)
      vim.notify('zeke: ' .. M.state.daemon_error, vim.log.levels.ERROR)
      M.changed()
    end
  end
  return H.cmd or nil
end

--- The command in use, or nil (for :checkhealth).
function M.command()
  return H.cmd or nil
end

--- Start the daemon if needed and attach `buf` to it (vim.lsp.start reuses a running client).
function M.attach(buf, cfg)
  if not M.wants(buf, cfg) then
    return nil
  end
  local cmd = H.command(cfg)
  if not cmd then
    return nil
  end
  -- A nested list gives the markers equal priority: the nearest directory with any of them.
  local root = vim.fs.root(buf, { cfg.root_markers }) or vim.fn.getcwd()
  if M.state.status == 'off' then
    M.state.status = 'starting'
  end
  return vim.lsp.start({
    name = M.name,
    cmd = cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fs.basename(root) } },
    init_options = { zeke = next(cfg.zeke) and cfg.zeke or vim.empty_dict() },
    capabilities = H.capabilities(),
    commands = require('zeke.actions').commands(),
    handlers = {
      ['zeke/chatDelta'] = H.dispatch('zeke/chatDelta'),
      ['zeke/editProgress'] = H.dispatch('zeke/editProgress'),
      ['zeke/contextChanged'] = H.dispatch('zeke/contextChanged'),
      ['window/logMessage'] = H.log_message,
    },
    on_init = function()
      M.state.status = 'ready'
      M.changed()
      vim.schedule(function()
        require('zeke.models').refresh(M.changed)
      end)
    end,
    on_exit = function(code)
      M.state.status = code == 0 and 'off' or 'error'
      M.state.daemon_error = code ~= 0 and ('the daemon exited with code ' .. code) or nil
      M.changed()
    end,
  }, { bufnr = buf })
end

--- The daemon reports failures of automatic ghost-text requests (an unset key, a 401, a
--- server that is down) as a warning `zeke completion: REASON` instead of an error per keystroke.
function H.log_message(err, params, ctx)
  local reason = params and type(params.message) == 'string' and params.message:match('^zeke completion: (.*)')
  if reason then
    M.inline_failed(reason)
  end
  return vim.lsp.handlers['window/logMessage'](err, params, ctx)
end

--- Reasons already notified since the last success: one notification per distinct failure.
H.notified = {}

function M.inline_failed(reason)
  M.state.failures = M.state.failures + 1
  if not H.notified[reason] then
    H.notified[reason] = true
    vim.notify('zeke: ghost text failed: ' .. reason, vim.log.levels.WARN)
  end
  if M.state.failure ~= reason then
    M.state.failure = reason
    M.changed()
  end
end

function M.inline_succeeded()
  if M.state.failure then
    M.state.failure, H.notified = nil, {}
    M.changed()
  end
end

--- Attach every normal file buffer, now and when one is opened.
function M.setup(cfg)
  H.cmd = nil -- find the daemon again with these options
  if M.state.status == 'error' and not M.client() then
    M.state.status, M.state.daemon_error = 'off', nil
  end
  local group = vim.api.nvim_create_augroup('zeke.lsp', { clear = true })
  vim.api.nvim_create_autocmd({ 'FileType', 'BufReadPost', 'BufNewFile' }, {
    group = group,
    callback = function(ev)
      vim.schedule(function()
        M.attach(ev.buf, cfg)
      end)
    end,
  })
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) then
      M.attach(buf, cfg)
    end
  end
end

--- The zeke client attached to `buf` (or any zeke client when `buf` is nil).
function M.client(buf)
  local clients = vim.lsp.get_clients({ name = M.name, bufnr = buf })
  if #clients == 0 and buf ~= nil then
    clients = vim.lsp.get_clients({ name = M.name })
  end
  return clients[1]
end

--- The zeke client attached to `buf` itself (nil for chat, preview and other scratch buffers).
function M.attached(buf)
  return vim.lsp.get_clients({ name = M.name, bufnr = buf })[1]
end

function H.fail(message)
  vim.notify('zeke: ' .. message, vim.log.levels.ERROR)
end

--- Params as a JSON object: an empty Lua table would be sent as `[]`.
function H.object(params)
  if params == nil or (type(params) == 'table' and next(params) == nil) then
    return vim.empty_dict()
  end
  return params
end

--- Send a request; `cb(err, result)` runs on the main loop. Returns the request id or nil.
function M.request(method, params, cb, buf)
  params = H.object(params)
  local client = M.client(buf)
  if not client then
    H.fail(M.state.daemon_error or 'the daemon is not running (open a file, or see :checkhealth zeke)')
    return nil
  end
  local id
  local ok, sent = client:request(method, params, function(err, result)
    H.settle(id)
    M.state.last_error = err and err.message or nil
    if cb then
      cb(err, result)
    end
  end, buf or 0)
  if not ok then
    return nil
  end
  id = sent
  H.pending[id] = true
  H.count()
  return id
end

--- Recount the requests in flight and the busy/ready state.
function H.count()
  M.state.inflight = vim.tbl_count(H.pending)
  local was = M.state.status
  if was == 'busy' or was == 'ready' then
    M.state.status = M.state.inflight > 0 and 'busy' or 'ready'
  end
  if M.state.status ~= was then -- ◐/● without waiting for the next redraw (no User event here)
    vim.schedule(function()
      pcall(vim.cmd.redrawstatus)
    end)
  end
end

function H.settle(id)
  if id and H.pending[id] then
    H.pending[id] = nil
    H.count()
  end
end

--- Blocking request with a timeout in ms (for command completion and health). Returns err, result.
function M.request_sync(method, params, timeout, buf)
  params = H.object(params)
  local client = M.client(buf)
  if not client then
    return { message = 'the daemon is not running' }, nil
  end
  local response, err = client:request_sync(method, params, timeout or 1000, buf or 0)
  if not response then
    return { message = err or 'no response' }, nil
  end
  return response.err, response.result
end

function M.notify(method, params, buf)
  local client = M.client(buf)
  if client then
    client:notify(method, params)
  end
end

function M.cancel(id, buf)
  local client = M.client(buf)
  if client and id then
    client:cancel_request(id)
  end
  H.settle(id)
end

--- Tell statusline components that the state changed: redraw, and `User ZekeStatusChanged`
--- for statusline plugins that cache their text (lualine, heirline).
function M.changed()
  vim.schedule(function()
    pcall(vim.cmd.redrawstatus, { bang = true })
    vim.api.nvim_exec_autocmds('User', { pattern = 'ZekeStatusChanged', modeline = false })
  end)
end

--- Report an error returned by the daemon; true when there was one.
function M.report(err, what)
  if not err then
    return false
  end
  H.fail(('%s failed: %s'):format(what, err.message or vim.inspect(err)))
  return true
end

return M
