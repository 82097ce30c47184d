--- The chat panel: a markdown transcript that grows with zeke/chatDelta, and a prompt line.
--- The daemon keeps the conversation (zeke/chat with a chatId); this module only draws it.
local lsp = require('zeke.lsp')

local M = {}
local H = {}

M.ns = vim.api.nvim_create_namespace('zeke.chat')
--- { chat_id, request_id, transcript, input, received, source_buf }
H.chat = { received = '' }
H.cfg = nil

-- --- buffers and windows ------------------------------------------------------------------

function H.scratch(name, filetype, buftype)
  local buf = vim.fn.bufnr(name)
  if buf ~= -1 and vim.api.nvim_buf_is_valid(buf) then
    return buf
  end
  buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, name)
  vim.bo[buf].buftype = buftype or 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  vim.bo[buf].swapfile = false
  vim.bo[buf].filetype = filetype
  return buf
end

--- The transcript buffer (markdown), created on first use.
function M.transcript()
  local buf = H.scratch('zeke://chat', 'markdown')
  if not H.chat.transcript then
    H.chat.transcript = buf
    vim.bo[buf].modifiable = false
    -- Tree-sitter markdown: headings, emphasis, and code fences highlighted by their language.
    pcall(vim.treesitter.start, buf, 'markdown')
    H.keys(buf)
  end
  return buf
end

--- The input line: a prompt buffer whose <CR> sends and whose <C-c> cancels.
function H.input()
  local buf = H.scratch('zeke://chat-input', 'zeke-chat', 'prompt')
  if not H.chat.input then
    H.chat.input = buf
    vim.fn.prompt_setprompt(buf, '> ')
    vim.fn.prompt_setcallback(buf, function(text)
      if vim.trim(text) ~= '' then
        M.send(text)
      end
    end)
    vim.fn.prompt_setinterrupt(buf, M.cancel)
    H.keys(buf)
  end
  return buf
end

function H.keys(buf)
  local keys = H.cfg.chat.keys
  if keys.cancel then
    vim.keymap.set({ 'n', 'i' }, keys.cancel, M.cancel, { buffer = buf, desc = 'zeke: cancel the answer' })
  end
  if keys.close then
    vim.keymap.set('n', keys.close, M.close, { buffer = buf, desc = 'zeke: close the chat' })
  end
end

function H.window_for(buf)
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_buf(win) == buf then
      return win
    end
  end
end

--- Open the panel (split or float) unless it is already visible. `focus` 'input' puts the
--- cursor in the input line (insert mode); 'source' leaves it in the window it was in.
function M.open(focus)
  local from = vim.api.nvim_get_current_win()
  H.show()
  if focus == 'source' and vim.api.nvim_win_is_valid(from) then
    vim.api.nvim_set_current_win(from)
  elseif focus == 'input' then
    vim.api.nvim_set_current_win(H.window_for(H.chat.input))
    vim.cmd('startinsert!')
  end
end

function H.show()
  local transcript, input = M.transcript(), H.input()
  if H.window_for(transcript) and H.window_for(input) then
    return
  end
  local width = math.floor(vim.o.columns * H.cfg.chat.width)
  if H.cfg.chat.layout == 'float' then
    local height = math.floor(vim.o.lines * H.cfg.chat.height)
    local col = vim.o.columns - width - 2
    vim.api.nvim_open_win(transcript, false, { relative = 'editor', row = 1, col = col, width = width,
      height = height - 3, border = 'rounded', title = ' zeke chat ' })
    vim.api.nvim_open_win(input, true, { relative = 'editor', row = height, col = col, width = width,
      height = 1, border = 'rounded' })
  else
    vim.cmd(('botright vertical %dsplit'):format(width))
    vim.api.nvim_win_set_buf(0, transcript)
    vim.cmd('belowright 2split')
    vim.api.nvim_win_set_buf(0, input)
  end
  for _, buf in ipairs({ transcript, input }) do
    local win = H.window_for(buf)
    vim.wo[win].wrap, vim.wo[win].number, vim.wo[win].signcolumn = true, false, 'no'
  end
end

function M.close()
  for _, buf in ipairs({ H.chat.transcript, H.chat.input }) do
    local win = buf and H.window_for(buf)
    if win and #vim.api.nvim_list_wins() > 1 then
      vim.api.nvim_win_close(win, false)
    end
  end
end

-- --- transcript ---------------------------------------------------------------------------

--- Append text to the transcript: the first line continues the last line.
function H.append(text)
  local buf = M.transcript()
  local parts = vim.split(text, '\n', { plain = true })
  local last = vim.api.nvim_buf_line_count(buf)
  local tail = vim.api.nvim_buf_get_lines(buf, last - 1, last, false)[1] or ''
  parts[1] = tail .. parts[1]
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, last - 1, last, false, parts)
  vim.bo[buf].modifiable = false
  local win = H.window_for(buf)
  if win then
    vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(buf), 0 })
  end
end

function H.waiting(on, label)
  local buf = M.transcript()
  vim.api.nvim_buf_clear_namespace(buf, M.ns, 0, -1)
  if on then
    local last = vim.api.nvim_buf_line_count(buf) - 1
    vim.api.nvim_buf_set_extmark(buf, M.ns, last, 0, {
      virt_text = { { '⋯ ' .. label, 'ZekeWaiting' } },
    })
  end
end

function H.start_turn(message)
  local buf = M.transcript()
  local empty = vim.api.nvim_buf_line_count(buf) == 1 and vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1] == ''
  H.append((empty and '' or '\n\n') .. '## You\n\n' .. message .. '\n\n## Zeke\n\n')
  H.chat.heading = vim.api.nvim_buf_line_count(buf) - 3 -- 0-based line of "## Zeke"
end

--- Name the model that answered in the turn's heading: `## Zeke · code-smart (gpt-4o)`.
function H.name_model(result)
  local buf, line = M.transcript(), H.chat.heading
  local alias, model = result.alias, result.model
  if not line or type(alias) ~= 'string' or vim.api.nvim_buf_get_lines(buf, line, line + 1, false)[1] ~= '## Zeke' then
    return
  end
  local name = (type(model) == 'string' and model ~= '' and model ~= alias) and ('%s (%s)'):format(alias, model) or alias
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, line, line + 1, false, { '## Zeke · ' .. name })
  vim.bo[buf].modifiable = false
end

--- What the transcript shows for a message: quick actions name the file and lines they got.
function H.display(message, selection)
  if not selection or not selection.range or not message:match('^/') then
    return message
  end
  local name = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(selection.buf), ':~:.')
  local first, last = selection.range.start.line + 1, selection.range['end'].line + 1
  local lines = first == last and ('line %d'):format(first) or ('lines %d-%d'):format(first, last)
  return ('%s  (`%s` %s)'):format(message, name, lines)
end

-- --- talking to the daemon ----------------------------------------------------------------

--- zeke/chatDelta: append the text of the answer being generated, in order.
function M.on_delta(params)
  if not params or params.requestId ~= H.chat.request_id then
    return
  end
  H.waiting(false)
  if params.error then
    H.append(('\n\n> **error:** %s'):format(params.error.message or vim.inspect(params.error)))
    H.chat.errored = true
  end
  if params.text and params.text ~= '' then
    H.chat.received = H.chat.received .. params.text
    H.append(params.text)
  end
end

--- Whatever the deltas missed (a client that joined late, or no deltas at all).
function H.answer_text(result)
  if type(result) ~= 'table' then
    return ''
  end
  local text = result.text or result.content
  if type(result.message) == 'table' then
    text = text or result.message.content
  elseif type(result.message) == 'string' then
    text = text or result.message
  end
  return type(text) == 'string' and text or ''
end

function H.on_result(err, result)
  H.chat.request_id = nil
  H.waiting(false)
  if err then
    if not H.chat.errored then
      H.append(('\n\n> **error:** %s'):format(err.message or vim.inspect(err)))
    end
    return
  end
  result = result or {}
  H.chat.chat_id = result.chatId or H.chat.chat_id
  H.chat.last = result
  H.name_model(result)
  local full = H.answer_text(result)
  if #full > #H.chat.received and full:sub(1, #H.chat.received) == H.chat.received then
    H.append(full:sub(#H.chat.received + 1))
  end
  local edit = type(result.edit) == 'table' and result.edit or nil
  if edit and edit.editId then
    H.append('\n\n_(edit proposed: review it in the preview)_')
    require('zeke.diff').preview(edit, H.chat.source_buf)
  elseif edit and edit.error then
    H.append(('\n\n> **no edit:** %s'):format(edit.error.message or vim.inspect(edit.error)))
  end
end

--- Send a message (plain text or a /command), with an optional selection {buf, range}.
--- `focus`: see M.open(); by default the focus does not move.
function M.send(message, selection, focus)
  M.cancel()
  local source = selection and selection.buf or H.chat.source_buf or vim.api.nvim_get_current_buf()
  H.chat.source_buf = source
  local params = { message = message, chatId = H.chat.chat_id, includeContext = H.cfg.chat.include_context }
  if selection then
    params.textDocument = { uri = vim.uri_from_bufnr(selection.buf) }
    params.range = selection.range
    params.diagnostics = selection.diagnostics
    params.proposeEdit = selection.propose_edit
  end
  M.open(focus or 'source')
  H.start_turn(H.display(message, selection))
  H.chat.received, H.chat.errored = '', false
  H.waiting(true, 'waiting for the model')
  H.chat.request_id = lsp.request('zeke/chat', params, H.on_result, source)
  if not H.chat.request_id then
    H.waiting(false)
  end
end

--- Stop the answer being generated; the daemon keeps the partial answer in the history.
function M.cancel()
  if H.chat.request_id then
    lsp.cancel(H.chat.request_id)
    H.chat.request_id = nil
    H.waiting(false)
    H.append('\n\n_(cancelled)_')
  end
end

--- Forget the conversation here and in the daemon.
function M.clear()
  M.cancel()
  if H.chat.chat_id then
    lsp.request('zeke/chatClear', { chatId = H.chat.chat_id }, function() end)
  end
  H.chat.chat_id = nil
  local buf = M.transcript()
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, {})
  vim.bo[buf].modifiable = false
end

--- :ZekeChat [message]: open the panel, and send the message when one is given.
function M.command(message)
  local current = vim.api.nvim_get_current_buf()
  if current ~= H.chat.input and current ~= H.chat.transcript then
    H.chat.source_buf = current
  end
  if message and message ~= '' then
    M.send(message, nil, 'input')
  else
    M.open('input')
  end
end

--- True while an answer is being generated (for tests and the statusline).
function M.busy()
  return H.chat.request_id ~= nil
end

function M.setup(cfg)
  H.cfg = cfg
  lsp.on('zeke/chatDelta', M.on_delta)
end

return M
