--- Insert-mode keys that cooperate with the rest of the user's setup.
---
--- Every ghost-text action exists as a `<Plug>(zeke-...)` mapping. The keys of `inline.keys`
--- are set per buffer when the daemon attaches (LspAttach); when there is nothing to accept,
--- a key runs what it did before in that buffer: a snippet jump, a completion plugin, the
--- user's own mapping, or the built-in key.
local M = {}
local H = {}

--- Per buffer: lhs -> the mapping it had before ours (false when it had none).
H.previous = {}

--- action name -> { option key in inline.keys, <Plug> name, description, falls back? }
M.actions = {
  { key = 'accept', plug = 'accept', desc = 'accept suggestion', fallback = true },
  { key = 'accept_word', plug = 'accept-word', desc = 'accept word', fallback = true },
  { key = 'accept_line', plug = 'accept-line', desc = 'accept line', fallback = true },
  { key = 'next', plug = 'next', desc = 'next suggestion', fallback = false },
  { key = 'prev', plug = 'prev', desc = 'previous suggestion', fallback = false },
  { key = 'dismiss', plug = 'dismiss', desc = 'dismiss suggestion', fallback = true },
}

--- What `lhs` does in insert mode in `buf` now (its buffer-local map, else the global one),
--- unless it is one of ours.
function H.capture(buf, lhs)
  local map = vim.api.nvim_buf_call(buf, function()
    return vim.fn.maparg(lhs, 'i', false, true)
  end)
  if vim.tbl_isempty(map) or (map.desc or ''):match('^zeke: ') then
    return false
  end
  return map
end

--- The keys a mapping produces: its rhs, or what its expression or callback returns.
function H.keys_of(map)
  if map.callback then
    local out = map.callback()
    return map.expr == 1 and out or nil, map.replace_keycodes == 1
  end
  if map.expr == 1 then
    return vim.api.nvim_eval(map.rhs), false
  end
  return map.rhs, true
end

--- Run what the key did before: `map` (from maparg) or, without one, the built-in key.
function M.fallback(lhs, map)
  if not map then
    vim.api.nvim_feedkeys(vim.keycode(lhs), 'ni', false)
    return
  end
  local keys, termcodes = H.keys_of(map)
  if type(keys) ~= 'string' or keys == '' then
    return
  end
  if termcodes then
    keys = vim.api.nvim_replace_termcodes(keys, true, true, true)
  end
  -- 'i': before any typeahead, so keys typed after this one still come after it.
  vim.api.nvim_feedkeys(keys, (map.noremap == 1 and 'n' or 'm') .. 'i', false)
end

--- Set the keys of `inline.keys` on `buf`, remembering what each did before.
function M.attach(buf, keys, actions)
  H.previous[buf] = H.previous[buf] or {}
  local previous = H.previous[buf]
  for _, action in ipairs(M.actions) do
    local lhs = keys[action.key]
    if lhs then
      if previous[lhs] == nil then
        previous[lhs] = H.capture(buf, lhs)
      end
      vim.keymap.set('i', lhs, function()
        if not actions[action.key]() and action.fallback then
          M.fallback(lhs, previous[lhs])
        end
      end, { buffer = buf, silent = true, desc = 'zeke: ' .. action.desc })
    end
  end
end

--- Remove our keys from `buf` and give back the buffer-local maps they shadowed.
function M.detach(buf)
  for lhs, map in pairs(H.previous[buf] or {}) do
    pcall(vim.keymap.del, 'i', lhs, { buffer = buf })
    if map and map.buffer == 1 then
      vim.api.nvim_buf_call(buf, function()
        vim.fn.mapset('i', false, map)
      end)
    end
  end
  H.previous[buf] = nil
end

--- The `<Plug>(zeke-...)` mappings (global, insert mode), and the per-buffer keys on attach.
--- `actions[name]()` returns true when it did something.
function M.setup(cfg, actions, client_name)
  for _, action in ipairs(M.actions) do
    vim.keymap.set('i', ('<Plug>(zeke-%s)'):format(action.plug), function()
      actions[action.key]()
    end, { silent = true, desc = 'zeke: ' .. action.desc })
  end
  local group = vim.api.nvim_create_augroup('zeke.keys', { clear = true })
  local function ours(ev)
    local client = vim.lsp.get_client_by_id(ev.data.client_id)
    return client and client.name == client_name
  end
  vim.api.nvim_create_autocmd('LspAttach', {
    group = group,
    callback = function(ev)
      if ours(ev) then
        M.attach(ev.buf, cfg.inline.keys, actions)
      end
    end,
  })
  for _, client in ipairs(vim.lsp.get_clients({ name = client_name })) do -- setup() called again
    for buf in pairs(client.attached_buffers) do
      M.attach(buf, cfg.inline.keys, actions)
    end
  end
  vim.api.nvim_create_autocmd('LspDetach', {
    group = group,
    callback = function(ev)
      if ours(ev) then
        M.detach(ev.buf)
      end
    end,
  })
end

return M
