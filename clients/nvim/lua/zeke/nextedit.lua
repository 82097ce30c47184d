--- Next-edit suggestions: ask the daemon (zeke/nextEdit) for the predicted next change near
--- the cursor and show it where it applies: the text it replaces struck through, the new text
--- as virtual text. Keys jump there, accept it (then ask for the next one) or dismiss it.
--- The daemon builds prompts and finds the edit; this module only asks, draws and applies.
local lsp = require('zeke.lsp')

local M = {}
local H = {}

M.ns = vim.api.nvim_create_namespace('zeke.nextedit')
--- Per-buffer state: { edit, tick, request_id, timer }.
H.buffers = {}
H.cfg = nil
H.auto = false

function H.state(buf)
  H.buffers[buf] = H.buffers[buf] or {}
  return H.buffers[buf]
end

function H.encoding(buf)
  local client = lsp.attached(buf)
  return client and client.offset_encoding or 'utf-16'
end

--- (row, byte col) of an LSP position in `buf`.
function H.pos(buf, position)
  local line = vim.api.nvim_buf_get_lines(buf, position.line, position.line + 1, false)[1] or ''
  return position.line, vim.str_byteindex(line, H.encoding(buf), position.character, false)
end

-- --- requesting ---------------------------------------------------------------------------

function H.cancel(buf)
  local st = H.state(buf)
  if st.timer then
    st.timer:stop()
  end
  if st.request_id then
    lsp.cancel(st.request_id, buf)
    st.request_id = nil
  end
end

--- Ask for the next edit at the cursor. The answer is drawn only if it is the newest request
--- and the buffer has not changed since (changedtick).
function M.request(buf)
  buf = buf or vim.api.nvim_get_current_buf()
  local client = lsp.attached(buf)
  if not client or buf ~= vim.api.nvim_get_current_buf() then
    return
  end
  H.cancel(buf)
  local st = H.state(buf)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local tick = vim.b[buf].changedtick
  local id
  id = lsp.request('zeke/nextEdit', params, function(err, result)
    if st.request_id ~= id or vim.b[buf].changedtick ~= tick or err then
      return -- superseded, stale or failed
    end
    st.request_id = nil
    st.quiet = result and result.quiet or nil
    local edit = result and result.edit
    if type(edit) ~= 'table' or not vim.api.nvim_buf_is_valid(buf) then
      M.clear(buf)
      return
    end
    st.edit, st.tick = edit, tick
    M.render(buf)
  end, buf)
  st.request_id = id
end

--- After a pause (automatic mode), in normal or insert mode.
function M.schedule(buf)
  if not H.auto or not lsp.attached(buf) then
    return
  end
  local st = H.state(buf)
  H.cancel(buf)
  st.timer = st.timer or vim.uv.new_timer()
  st.timer:start(H.cfg.next_edit.debounce_ms, 0, vim.schedule_wrap(function()
    if vim.api.nvim_get_current_buf() == buf then
      M.request(buf)
    end
  end))
end

-- --- drawing ------------------------------------------------------------------------------

function M.clear(buf)
  buf = buf or vim.api.nvim_get_current_buf()
  if vim.api.nvim_buf_is_valid(buf) then
    vim.api.nvim_buf_clear_namespace(buf, M.ns, 0, -1)
  end
  H.state(buf).edit = nil
end

--- Strike through what the edit replaces; show the new text after it (first line inline,
--- the rest as virtual lines).
function M.render(buf)
  local edit = H.state(buf).edit
  vim.api.nvim_buf_clear_namespace(buf, M.ns, 0, -1)
  if not edit then
    return
  end
  local srow, scol = H.pos(buf, edit.range.start)
  local erow, ecol = H.pos(buf, edit.range['end'])
  if srow ~= erow or scol ~= ecol then
    vim.api.nvim_buf_set_extmark(buf, M.ns, srow, scol, {
      end_row = erow, end_col = ecol, hl_group = 'ZekeNextEditDelete', hl_mode = 'combine',
    })
  end
  local lines = vim.split(edit.newText, '\n', { plain = true })
  local virt_lines = {}
  for i = 2, #lines do
    table.insert(virt_lines, { { lines[i], 'ZekeNextEditAdd' } })
  end
  vim.api.nvim_buf_set_extmark(buf, M.ns, erow, ecol, {
    virt_text = lines[1] ~= '' and { { lines[1], 'ZekeNextEditAdd' } } or nil,
    virt_text_pos = 'inline',
    virt_lines = #virt_lines > 0 and virt_lines or nil,
    sign_text = '»',
    sign_hl_group = 'ZekeNextEditAdd',
  })
  lsp.notify('zeke/didShowNextEdit', { id = edit.id }, buf)
end

--- The edit shown in `buf` (nil if none): { id, range, newText, cursor, textDocument }.
function M.shown(buf)
  return H.state(buf or vim.api.nvim_get_current_buf()).edit
end

-- --- acting -------------------------------------------------------------------------------

--- Move the cursor to where the shown edit starts. False when nothing is shown.
function M.jump()
  local buf = vim.api.nvim_get_current_buf()
  local edit = M.shown(buf)
  if not edit then
    return false
  end
  local row, col = H.pos(buf, edit.range.start)
  vim.api.nvim_win_set_cursor(0, { row + 1, col })
  return true
end

--- Apply the shown edit (one undo step), put the cursor where the daemon says, and ask for
--- the next edit. False when nothing is shown.
function M.accept()
  local buf = vim.api.nvim_get_current_buf()
  local edit = M.shown(buf)
  if not edit then
    return false
  end
  local encoding = H.encoding(buf)
  M.clear(buf)
  vim.lsp.util.apply_text_edits({ { range = edit.range, newText = edit.newText } }, buf, encoding)
  local row, col = H.pos(buf, edit.cursor)
  pcall(vim.api.nvim_win_set_cursor, 0, { row + 1, col })
  lsp.notify('zeke/didAcceptNextEdit', { id = edit.id }, buf)
  M.request(buf) -- chain: the accepted edit is now the newest in the daemon's history
  return true
end

function M.dismiss()
  local buf = vim.api.nvim_get_current_buf()
  local edit = M.shown(buf)
  H.cancel(buf)
  M.clear(buf)
  if edit then
    lsp.notify('zeke/didDismissNextEdit', { id = edit.id }, buf)
  end
  return edit ~= nil
end

--- Automatic mode on or off (nil toggles). Returns the new state.
function M.auto(on)
  if on == nil then
    on = not H.auto
  end
  H.auto = on
  if not on then
    for buf in pairs(H.buffers) do
      H.cancel(buf)
    end
  end
  return on
end

--- :ZekeNextEdit [auto|manual]
function M.command(arg)
  if arg == 'auto' or arg == 'manual' then
    M.auto(arg == 'auto')
    vim.notify('zeke: next-edit suggestions ' .. (H.auto and 'after each pause' or 'on request'))
    return
  end
  M.request(vim.api.nvim_get_current_buf())
end

-- --- wiring -------------------------------------------------------------------------------

function H.map(lhs, fn, desc)
  if not lhs then
    return
  end
  vim.keymap.set({ 'n', 'i' }, lhs, function()
    if not fn() then
      vim.api.nvim_feedkeys(vim.keycode(lhs), 'n', false)
    end
  end, { desc = desc, silent = true })
end

function M.setup(cfg)
  H.cfg = cfg
  H.auto = cfg.next_edit.auto
  vim.api.nvim_set_hl(0, 'ZekeNextEditDelete', { default = true, strikethrough = true, link = 'DiffDelete' })
  vim.api.nvim_set_hl(0, 'ZekeNextEditAdd', { default = true, link = 'DiffAdd' })
  local group = vim.api.nvim_create_augroup('zeke.nextedit', { clear = true })
  vim.api.nvim_create_autocmd({ 'TextChanged', 'TextChangedI' }, {
    group = group,
    callback = function(ev)
      local st = H.state(ev.buf)
      if st.edit and st.tick ~= vim.b[ev.buf].changedtick then
        M.clear(ev.buf) -- the buffer moved on: the shown edit is stale
      end
      M.schedule(ev.buf)
    end,
  })
  vim.api.nvim_create_autocmd({ 'CursorMoved', 'CursorMovedI' }, {
    group = group,
    callback = function(ev)
      if not H.state(ev.buf).edit then
        M.schedule(ev.buf)
      end
    end,
  })
  vim.api.nvim_create_autocmd('BufLeave', {
    group = group,
    callback = function(ev)
      H.cancel(ev.buf)
      M.clear(ev.buf)
    end,
  })
  local keys = cfg.next_edit.keys
  H.map(keys.accept, M.accept, 'zeke: accept the next edit')
  H.map(keys.jump, M.jump, 'zeke: jump to the next edit')
  H.map(keys.dismiss, M.dismiss, 'zeke: dismiss the next edit')
end

return M
