--- The edit preview: :ZekeEdit asks the daemon for a proposal (zeke/edit) and shows its
--- unified diff; the user accepts or rejects hunks; zeke/editAccept makes the daemon send
--- workspace/applyEdit (one undo step), zeke/editReject leaves the buffer untouched.
--- The diff is computed by the daemon: this module only finds which hunk the cursor is in.
local lsp = require('zeke.lsp')

local M = {}
local H = {}

M.ns = vim.api.nvim_create_namespace('zeke.diff')
H.cfg = nil
--- The proposal on screen: { id, buf, source, hunks = { {index, line, decision, status} } }.
H.current = nil

--- Ask for an edit of `selection` ({buf, range?}) following `instruction`.
function M.edit(instruction, selection)
  if instruction == '' then
    vim.notify('zeke: :ZekeEdit needs an instruction', vim.log.levels.ERROR)
    return
  end
  local params = { textDocument = { uri = vim.uri_from_bufnr(selection.buf) }, instruction = instruction,
    range = selection.range }
  vim.notify('zeke: asking for an edit…', vim.log.levels.INFO)
  lsp.request('zeke/edit', params, function(err, proposal)
    if not lsp.report(err, 'zeke/edit') then
      M.preview(proposal, selection.buf)
    end
  end, selection.buf)
end

--- The `@@` regions of the display diff, each with the ids of the daemon's applied hunks that
--- fall inside it (by file and old-file line). Refused hunks are listed apart.
function H.hunks(lines, proposal)
  local regions, file = {}, nil
  for i, line in ipairs(lines) do
    file = line:match('^%-%-%- a/(.*)') or line:match('^%-%-%- (.*)') or file
    local start, len = line:match('^@@ %-(%d+),?(%d*)')
    if start then
      len = tonumber(len) or 1
      table.insert(regions, { line = i, file = file, from = tonumber(start), to = tonumber(start) + len, ids = {} })
    end
  end
  local applied = vim.tbl_filter(function(h)
    return h.status == nil or h.status == 'applied'
  end, proposal.hunks or {})
  for n, hunk in ipairs(applied) do
    table.insert(H.region_for(regions, hunk, n).ids, hunk.id or hunk.index or (n - 1))
  end
  if #regions == 0 and #applied > 0 then -- a whole-file change without @@ lines
    regions = { { line = 1, ids = vim.tbl_map(function(h) return h.id end, applied) } }
  end
  return regions
end

--- The region holding `hunk`: same file and its line inside, else the nearest, else by order.
function H.region_for(regions, hunk, n)
  local best, distance = nil, math.huge
  for _, region in ipairs(regions) do
    local same = not region.file or not hunk.file or vim.endswith(vim.uri_decode(hunk.file), '/' .. region.file)
    if same and hunk.line then
      local d = (hunk.line >= region.from - 1 and hunk.line <= region.to) and 0
        or math.min(math.abs(hunk.line - region.from), math.abs(hunk.line - region.to))
      if d < distance then
        best, distance = region, d
      end
    end
  end
  return best or regions[math.min(n, #regions)] or { ids = {} }
end

--- Hunks the daemon refused (no confident match), with the reason, shown above the diff.
function H.refused(proposal)
  local out = {}
  for _, h in ipairs(proposal.hunks or {}) do
    if h.status and h.status ~= 'applied' then
      table.insert(out, { { ('%s %s: %s'):format(h.id or '?', h.status, h.reason or ''), 'WarningMsg' } })
    end
  end
  return out
end

--- Show the proposal in a diff buffer beside the source window.
function M.preview(proposal, source)
  if type(proposal) ~= 'table' or not proposal.editId then
    vim.notify('zeke: the daemon returned no edit proposal', vim.log.levels.WARN)
    return
  end
  local lines = vim.split(proposal.diff or '', '\n', { plain = true, trimempty = true })
  if #lines == 0 then
    vim.notify('zeke: the model proposed no change', vim.log.levels.INFO)
    lsp.request('zeke/editReject', { editId = proposal.editId }, nil)
    return
  end
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, 'zeke://edit/' .. proposal.editId)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable, vim.bo[buf].filetype, vim.bo[buf].bufhidden = false, 'diff', 'wipe'
  H.current = { id = proposal.editId, buf = buf, source = source, hunks = H.hunks(lines, proposal),
    refused = H.refused(proposal) }
  if #H.current.hunks == 0 then
    H.current = nil
    vim.api.nvim_buf_delete(buf, { force = true })
    vim.notify('zeke: no hunk of the edit could be placed:\n' .. vim.inspect(proposal.hunks), vim.log.levels.WARN)
    lsp.request('zeke/editReject', { editId = proposal.editId }, nil)
    return
  end
  vim.cmd('botright vsplit')
  vim.api.nvim_win_set_buf(0, buf)
  H.keys(buf)
  vim.wo[0][0].winbar = H.help()
  H.draw()
  vim.api.nvim_win_set_cursor(0, { H.current.hunks[1] and H.current.hunks[1].line or 1, 0 })
end

function H.keys(buf)
  local k = H.cfg.diff.keys
  local function map(lhs, fn, desc)
    if lhs then
      vim.keymap.set('n', lhs, fn, { buffer = buf, nowait = true, desc = 'zeke: ' .. desc })
    end
  end
  map(k.accept_hunk, function() M.decide_hunk('accept') end, 'accept the hunk under the cursor')
  map(k.reject_hunk, function() M.decide_hunk('reject') end, 'reject the hunk under the cursor')
  map(k.accept_all, function() M.decide_all('accept') end, 'accept every remaining hunk')
  map(k.reject_all, function() M.decide_all('reject') end, 'reject every remaining hunk')
  map(k.next_hunk, function() H.jump(1) end, 'next hunk')
  map(k.prev_hunk, function() H.jump(-1) end, 'previous hunk')
  map('q', function() M.decide_all('reject') end, 'reject the rest and close')
end

--- Mark each hunk header with its decision (or the daemon's status) and the keys.
function H.draw()
  local cur = H.current
  vim.api.nvim_buf_clear_namespace(cur.buf, M.ns, 0, -1)
  for _, hunk in ipairs(cur.hunks) do
    local label = hunk.decision and ('[' .. hunk.decision .. 'ed]') or '[pending]'
    local hl = hunk.decision == 'accept' and 'DiffAdd' or hunk.decision == 'reject' and 'DiffDelete' or 'Comment'
    vim.api.nvim_buf_set_extmark(cur.buf, M.ns, hunk.line - 1, 0, { virt_text = { { label, hl } } })
  end
  if #cur.refused > 0 then -- below line 1: a virtual line above it is only seen after <C-y>
    vim.api.nvim_buf_set_extmark(cur.buf, M.ns, 0, 0, { virt_lines = cur.refused })
  end
end

--- The key help, always visible in the preview window's winbar; cut at its end when narrow.
function H.help()
  local k = H.cfg.diff.keys
  local parts = {}
  for _, key in ipairs({ { k.accept_hunk, 'accept' }, { k.reject_hunk, 'reject' }, { k.accept_all, 'all' },
    { k.reject_all, 'none' }, { k.next_hunk, 'next' }, { k.prev_hunk, 'prev' }, { 'q', 'close' } }) do
    if key[1] then
      table.insert(parts, key[1] .. ' ' .. key[2])
    end
  end
  return ' ' .. table.concat(parts, '  '):gsub('%%', '%%%%') .. '%<'
end

--- The hunk whose header is at or above the cursor line.
function H.hunk_at_cursor()
  local line = vim.api.nvim_win_get_cursor(0)[1]
  local found = H.current.hunks[1]
  for _, hunk in ipairs(H.current.hunks) do
    if hunk.line <= line then
      found = hunk
    end
  end
  return found
end

function H.jump(step)
  local line = vim.api.nvim_win_get_cursor(0)[1]
  local hunks = H.current.hunks
  for i = step > 0 and 1 or #hunks, step > 0 and #hunks or 1, step do
    if (step > 0 and hunks[i].line > line) or (step < 0 and hunks[i].line < line) then
      vim.api.nvim_win_set_cursor(0, { hunks[i].line, 0 })
      return
    end
  end
end

function M.decide_hunk(decision)
  local hunk = H.current and H.hunk_at_cursor()
  if not hunk then
    return
  end
  hunk.decision = decision
  H.draw()
  H.jump(1)
  H.finish_if_decided()
end

function M.decide_all(decision)
  if not H.current then
    return
  end
  for _, hunk in ipairs(H.current.hunks) do
    hunk.decision = hunk.decision or decision
  end
  H.finish_if_decided()
end

--- Once every hunk is decided: accept the accepted ones (all, or a subset) or reject the edit.
function H.finish_if_decided()
  local cur = H.current
  local accepted, ids, regions = 0, {}, #cur.hunks
  for _, hunk in ipairs(cur.hunks) do
    if not hunk.decision then
      return
    end
    if hunk.decision == 'accept' then
      accepted = accepted + 1
      vim.list_extend(ids, hunk.ids)
    end
  end
  H.current = nil
  if vim.api.nvim_buf_is_valid(cur.buf) then
    vim.api.nvim_buf_delete(cur.buf, { force = true })
  end
  H.focus_source(cur.source)
  if accepted == 0 then
    lsp.request('zeke/editReject', { editId = cur.id }, function(err)
      if not lsp.report(err, 'zeke/editReject') then
        vim.notify('zeke: edit rejected', vim.log.levels.INFO)
      end
    end, cur.source)
    return
  end
  -- Every region accepted: let the daemon apply all its applied hunks; else name the chosen ones.
  local params = { editId = cur.id, hunks = accepted < regions and ids or nil }
  lsp.request('zeke/editAccept', params, function(err)
    if not lsp.report(err, 'zeke/editAccept') then
      vim.notify(('zeke: edit applied (%d of %d hunks)'):format(accepted, regions), vim.log.levels.INFO)
    end
  end, cur.source)
end

--- Back to the code the edit is about (the preview may have been opened from the chat).
function H.focus_source(source)
  local win = source and vim.fn.bufwinid(source)
  if win and win ~= -1 then
    vim.api.nvim_set_current_win(win)
    vim.cmd('stopinsert')
  end
end

--- The proposal on screen (for tests), or nil.
function M.current()
  return H.current
end

function M.setup(cfg)
  H.cfg = cfg
end

return M
