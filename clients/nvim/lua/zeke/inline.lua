--- Ghost text: ask the daemon for textDocument/inlineCompletion while typing, draw the answer
--- with extmarks, accept it whole, by word or by line. The daemon builds prompts and cleans
--- suggestions; this module only debounces, drops stale answers and draws.
local lsp = require('zeke.lsp')

local M = {}
local H = {}

M.ns = vim.api.nvim_create_namespace('zeke.ghost')
--- Per-buffer state: { timer, request_id, tick, items, index, mark }.
H.buffers = {}
H.cfg = nil
H.enabled = true

function H.state(buf)
  H.buffers[buf] = H.buffers[buf] or {}
  return H.buffers[buf]
end

-- --- requesting ---------------------------------------------------------------------------

--- Cancel the in-flight request and the pending debounce timer of `buf`.
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

--- True while a snippet can still jump: its placeholders are being filled, <Tab> jumps.
function H.in_snippet()
  return vim.snippet ~= nil and vim.snippet.active({ direction = 1 })
end

--- Ask for suggestions at the cursor after the debounce delay; newer input restarts the wait.
function M.schedule(buf)
  buf = buf or vim.api.nvim_get_current_buf()
  if not H.enabled or not lsp.attached(buf) or H.in_snippet() then
    return
  end
  H.cancel(buf)
  local st = H.state(buf)
  st.timer = st.timer or vim.uv.new_timer()
  st.timer:start(H.cfg.inline.debounce_ms, 0, vim.schedule_wrap(function()
    M.request(buf)
  end))
end

--- Send the request now. The answer is used only if it is still the newest request and the
--- buffer has not changed since (changedtick), and we are still in insert mode in that buffer.
--- `invoked` asks for every suggestion (the daemon sends one for automatic requests).
function M.request(buf, invoked, index)
  local client = lsp.attached(buf)
  if not client or buf ~= vim.api.nvim_get_current_buf() then
    return
  end
  H.cancel(buf)
  local st = H.state(buf)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.context = { triggerKind = invoked and 1 or 2 } -- Invoked or Automatic
  local tick = vim.b[buf].changedtick
  local failures = lsp.state.failures
  local id
  id = lsp.request('textDocument/inlineCompletion', params, function(err, result)
    H.outcome(err, failures)
    if st.request_id ~= id or vim.b[buf].changedtick ~= tick or err then
      return -- superseded, stale or cancelled
    end
    st.request_id = nil
    if not vim.api.nvim_get_mode().mode:match('^i') or vim.api.nvim_get_current_buf() ~= buf then
      return
    end
    st.items = H.usable(buf, result and (result.items or result) or {}, client.offset_encoding)
    local n, i = #st.items, index or 1
    st.index = (i < 1 and n) or (i > n and 1) or i
    st.invoked = invoked
    st.tick = tick
    M.render(buf)
  end, buf)
  st.request_id = id
end

--- Errors other than a cancel are failures; an answer with no failure reported meanwhile
--- (the daemon reports failures of automatic requests as `window/logMessage`, see lsp.lua)
--- is a success that clears them.
function H.outcome(err, failures_before)
  if err and err.code ~= H.REQUEST_CANCELLED and err.code ~= H.CONTENT_MODIFIED then
    lsp.inline_failed(err.message or vim.inspect(err))
  elseif not err and lsp.state.failures == failures_before then
    lsp.inline_succeeded()
  end
end
H.REQUEST_CANCELLED, H.CONTENT_MODIFIED = -32800, -32801

-- --- items --------------------------------------------------------------------------------

--- Items as {text, start_row, start_col (bytes)}; snippet-valued insertText uses its value.
function H.usable(buf, items, encoding)
  local usable = {}
  for _, item in ipairs(items) do
    local text = type(item.insertText) == 'table' and item.insertText.value or item.insertText
    if type(text) == 'string' and text ~= '' then
      local row, col = H.start_of(buf, item.range, encoding)
      table.insert(usable, { text = text, row = row, col = col, item = item })
    end
  end
  return usable
end

function H.start_of(buf, range, encoding)
  local cursor = vim.api.nvim_win_get_cursor(0)
  if not range then
    return cursor[1] - 1, cursor[2]
  end
  local row = range.start.line
  local line = vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1] or ''
  return row, vim.str_byteindex(line, encoding, range.start.character, false)
end

--- The part of `entry` not typed yet: text between its start and the cursor must be a prefix.
function H.remaining(buf, entry)
  local cursor = vim.api.nvim_win_get_cursor(0)
  local row, col = cursor[1] - 1, cursor[2]
  if row < entry.row or (row == entry.row and col < entry.col) then
    return nil
  end
  local typed = table.concat(vim.api.nvim_buf_get_text(buf, entry.row, entry.col, row, col, {}), '\n')
  if entry.text:sub(1, #typed) ~= typed then
    return nil
  end
  return entry.text:sub(#typed + 1)
end

-- --- drawing ------------------------------------------------------------------------------

function M.clear(buf)
  buf = buf or vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_clear_namespace(buf, M.ns, 0, -1)
  H.state(buf).shown = nil
end

--- Draw the current item at the cursor: first line inline, the rest as virtual lines.
function M.render(buf)
  M.clear(buf)
  local st = H.state(buf)
  local entry = st.items and st.items[st.index]
  local ghost = entry and H.remaining(buf, entry)
  if not ghost or ghost == '' or vim.fn.pumvisible() == 1 or H.in_snippet() then
    return -- nothing left, or the completion menu or a snippet's placeholders own the cursor
  end
  local lines = vim.split(ghost, '\n', { plain = true })
  local cursor = vim.api.nvim_win_get_cursor(0)
  local chunks = {}
  for i, line in ipairs(lines) do
    chunks[i] = { { line, 'ZekeGhostText' } }
  end
  if #st.items > 1 then -- which of several, after the last line (like Neovim 0.12's hint)
    table.insert(chunks[#chunks], { (' %d/%d'):format(st.index, #st.items), 'ZekeGhostCounter' })
  end
  local virt_lines = { unpack(chunks, 2) }
  vim.api.nvim_buf_set_extmark(buf, M.ns, cursor[1] - 1, cursor[2], {
    virt_text = chunks[1],
    virt_text_pos = 'inline',
    virt_lines = #virt_lines > 0 and virt_lines or nil,
    hl_mode = 'combine',
  })
  st.shown = ghost
  st.at = cursor
  if st.notified ~= entry then
    st.notified = entry
    lsp.notify('zeke/didShowCompletion', H.event(buf, entry), buf)
  end
end

--- Params of zeke/didShowCompletion and zeke/didAcceptCompletion (see protocol.md):
--- `text` is the whole suggestion, `acceptedLength` the UTF-16 length of the accepted part.
function H.event(buf, entry, accepted, kind)
  local range = entry.item.range
  return {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = range and range.start or nil,
    text = entry.text,
    acceptedLength = accepted and vim.str_utfindex(accepted, 'utf-16') or nil,
    kind = kind,
  }
end

--- The ghost text shown in the current buffer, or nil.
function M.shown(buf)
  return H.state(buf or vim.api.nvim_get_current_buf()).shown
end

-- --- accepting ----------------------------------------------------------------------------

--- How much of `ghost` each accept kind takes.
H.pieces = {
  all = function(ghost)
    return ghost
  end,
  word = function(ghost)
    return ghost:match('^%s*[%w_]+') or ghost:match('^%s*[^%w_%s]+') or ghost:match('^%s+') or ghost
  end,
  line = function(ghost)
    if ghost:sub(1, 1) == '\n' then
      return '\n' .. (ghost:sub(2):match('^[^\n]*'))
    end
    return ghost:match('^[^\n]*')
  end,
}

--- Insert part of the ghost text at the cursor; the rest stays shown (typing through it).
--- Returns false when nothing is shown, so a key can fall back to its normal meaning.
function M.accept(kind)
  kind = kind or 'all'
  if H.core then
    return H.core.accept(kind, H.pieces[kind])
  end
  local buf = vim.api.nvim_get_current_buf()
  local st = H.state(buf)
  local ghost = H.current_ghost(buf)
  if not ghost then
    return false
  end
  local piece = H.pieces[kind](ghost)
  local entry = st.items[st.index]
  H.cancel(buf)
  M.clear(buf)
  local cursor = vim.api.nvim_win_get_cursor(0)
  local lines = vim.split(piece, '\n', { plain = true })
  vim.api.nvim_buf_set_text(buf, cursor[1] - 1, cursor[2], cursor[1] - 1, cursor[2], lines)
  local row = cursor[1] + #lines - 1
  local col = #lines == 1 and cursor[2] + #piece or #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { row, col })
  st.keep_tick = vim.b[buf].changedtick -- the TextChangedI this causes keeps the suggestion
  lsp.notify('zeke/didAcceptCompletion', H.event(buf, entry, piece, kind == 'all' and 'full' or kind), buf)
  if piece ~= ghost then
    M.render(buf)
  else
    st.items = nil
  end
  return true
end

--- The ghost on screen, if it still fits the text at the cursor: never one computed for
--- another text (a completion menu may have changed it), never one hidden by the menu.
function H.current_ghost(buf)
  local st = H.state(buf)
  local entry = st.items and st.items[st.index]
  if not st.shown or not entry or vim.fn.pumvisible() == 1 then
    return nil
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  if not st.at or st.at[1] ~= cursor[1] or st.at[2] ~= cursor[2] or H.remaining(buf, entry) ~= st.shown then
    M.clear(buf)
    return nil
  end
  return st.shown
end

--- Show the next (step 1) or previous (step -1) suggestion.
function M.cycle(step)
  if H.core then
    return H.core.cycle(step)
  end
  local buf = vim.api.nvim_get_current_buf()
  local st = H.state(buf)
  if not st.items or (#st.items <= 1 and not st.invoked) then
    M.request(buf, true, st.items and #st.items == 1 and (step > 0 and 2 or 0) or 1)
    return
  end
  st.index = (st.index - 1 + step) % #st.items + 1
  M.render(buf)
end

function M.dismiss()
  if H.core then
    return H.core.dismiss()
  end
  local buf = vim.api.nvim_get_current_buf()
  H.cancel(buf)
  H.state(buf).items = nil
  M.clear(buf)
end

-- --- wiring -------------------------------------------------------------------------------

--- On each change: keep the suggestion if the user typed its next characters, else ask again.
function H.on_change(ev)
  local st = H.state(ev.buf)
  if st.keep_tick == vim.b[ev.buf].changedtick then
    return
  end
  if st.items and st.items[st.index] and H.remaining(ev.buf, st.items[st.index]) then
    M.render(ev.buf)
    if st.shown then
      return
    end
  end
  st.items = nil
  M.clear(ev.buf)
  M.schedule(ev.buf)
end

--- The completion menu owns the cursor: hide the ghost and drop its items (they were
--- computed for the text before the menu changed it). Ask again once the menu is done.
function H.on_menu(ev)
  H.cancel(ev.buf)
  H.state(ev.buf).items = nil
  M.clear(ev.buf)
end

--- What the keys do; each returns true when it did something (else the key falls back).
M.actions = {
  accept = function() return M.accept('all') end,
  accept_word = function() return M.accept('word') end,
  accept_line = function() return M.accept('line') end,
  next = function() M.cycle(1) return true end,
  prev = function() M.cycle(-1) return true end,
  dismiss = function()
    if H.core then
      return H.core.dismiss()
    end
    local had = H.current_ghost(vim.api.nvim_get_current_buf()) ~= nil
    M.dismiss()
    return had
  end,
}

function M.setup(cfg)
  H.cfg = cfg
  H.enabled = cfg.inline.enabled
  H.core = cfg.inline.engine == 'core' and require('zeke.inline_core').setup(cfg) or nil
  local group = vim.api.nvim_create_augroup('zeke.inline', { clear = true })
  require('zeke.keys').setup(cfg, M.actions, lsp.name)
  if H.core then
    return -- Neovim's own inline completion requests and draws
  end
  vim.api.nvim_create_autocmd('TextChangedI', { group = group, callback = H.on_change })
  vim.api.nvim_create_autocmd({ 'CompleteChanged', 'TextChangedP' }, { group = group, callback = H.on_menu })
  vim.api.nvim_create_autocmd('CompleteDone', {
    group = group,
    callback = function(ev)
      M.schedule(ev.buf)
    end,
  })
  vim.api.nvim_create_autocmd('CursorMovedI', {
    group = group,
    callback = function(ev)
      local at = H.state(ev.buf).at
      local cursor = vim.api.nvim_win_get_cursor(0)
      if at and (at[1] ~= cursor[1] or at[2] ~= cursor[2]) and H.state(ev.buf).shown then
        M.clear(ev.buf)
      end
    end,
  })
  vim.api.nvim_create_autocmd('InsertEnter', {
    group = group,
    callback = function(ev)
      M.schedule(ev.buf)
    end,
  })
  vim.api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave' }, {
    group = group,
    callback = function(ev)
      H.cancel(ev.buf)
      H.state(ev.buf).items = nil
      M.clear(ev.buf)
    end,
  })
end

--- The suggestions of the current buffer (for tests): { {text, row, col, item} }.
function M._items(buf)
  return H.state(buf or vim.api.nvim_get_current_buf()).items or {}
end

--- Turn automatic suggestions on or off (nil toggles).
function M.enable(on)
  if on == nil then
    on = not H.enabled
  end
  H.enabled = on
  if not on then
    M.dismiss()
  end
  return on
end

return M
