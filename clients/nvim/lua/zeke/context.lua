--- The context set: files and selections the daemon adds to chat and edit prompts.
--- The daemon counts tokens and packs the budget; this module adds, lists and clears.
local lsp = require('zeke.lsp')

local M = {}
local H = {}

function H.done(what)
  return function(err, result)
    if not lsp.report(err, what) then
      local names = {}
      for _, item in ipairs(result and result.added or {}) do
        table.insert(names, ('%s (%s tokens)'):format(item.label or item.uri, tostring(item.tokens)))
      end
      local total = result and result.total and (('; %s / %s tokens'):format(result.total, result.budget)) or ''
      vim.notify('zeke: added to context: ' .. table.concat(names, ', ') .. total, vim.log.levels.INFO)
    end
  end
end

--- :ZekeAddFile [path]: the given file, or the current buffer's.
function M.add_file(path)
  path = (path and path ~= '') and vim.fn.fnamemodify(vim.fn.expand(path), ':p')
    or vim.api.nvim_buf_get_name(0)
  if path == '' then
    vim.notify('zeke: no file to add', vim.log.levels.ERROR)
    return
  end
  lsp.request('zeke/contextAdd', { uri = vim.uri_from_fname(path) }, H.done('zeke/contextAdd'))
end

--- :'<,'>ZekeAddSelection: the selected lines of the current buffer.
function M.add_selection(opts)
  local sel = require('zeke.actions').selection(opts)
  local params = { uri = vim.uri_from_bufnr(sel.buf), range = sel.range }
  lsp.request('zeke/contextAdd', params, H.done('zeke/contextAdd'), sel.buf)
end

--- One display line per item: tokens, whether it fits, path and lines.
function M.format(result)
  local lines = {}
  for _, item in ipairs(result.items or {}) do
    local where = item.label or item.uri or item.glob or '?'
    local fits = item.fits and 'fits' or item.trimmed and 'trimmed' or item.included == false and 'dropped' or '?'
    table.insert(lines, ('%7s  %-7s  %s'):format(tostring(item.tokens or '?'), fits, where))
  end
  if #lines == 0 then
    table.insert(lines, '(the context set is empty)')
  end
  local total = result.total or '?'
  local budget = result.budget or '?'
  table.insert(lines, 1, ('zeke context: %s / %s tokens%s'):format(total, budget,
    result.alias and (' (' .. result.alias .. ')') or ''))
  return lines
end

--- :ZekeContext: show the set in a scratch window (q closes it, `context.remove_key` on an
--- item removes it).
function M.show()
  lsp.request('zeke/contextList', {}, function(err, result)
    if lsp.report(err, 'zeke/contextList') then
      return
    end
    local buf = vim.api.nvim_create_buf(false, true)
    vim.bo[buf].bufhidden, vim.bo[buf].filetype = 'wipe', 'zeke-context'
    H.render(buf, result or {})
    vim.cmd('botright 10split')
    vim.api.nvim_win_set_buf(0, buf)
    vim.keymap.set('n', 'q', '<cmd>close<cr>', { buffer = buf, desc = 'zeke: close the context list' })
    if H.cfg.context.remove_key then
      vim.keymap.set('n', H.cfg.context.remove_key, function()
        M.remove_at_cursor(buf)
      end, { buffer = buf, nowait = true, desc = 'zeke: remove this item from the context' })
    end
  end)
end

--- Draw the list; line i + 1 shows item i (line 1 is the header).
function H.render(buf, result)
  vim.b[buf].zeke_items = vim.tbl_map(function(item)
    return item.id or vim.NIL
  end, result.items or {})
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, M.format(result))
  vim.bo[buf].modifiable = false
end

--- Remove the item under the cursor (zeke/contextRemove) and redraw the list.
function M.remove_at_cursor(buf)
  local line = vim.api.nvim_win_get_cursor(0)[1]
  local id = (vim.b[buf].zeke_items or {})[line - 1]
  if type(id) ~= 'string' then
    vim.notify('zeke: no context item on this line', vim.log.levels.WARN)
    return
  end
  lsp.request('zeke/contextRemove', { id = id }, function(err, result)
    if not lsp.report(err, 'zeke/contextRemove') and vim.api.nvim_buf_is_valid(buf) then
      H.render(buf, result or {})
    end
  end)
end

function M.clear()
  lsp.request('zeke/contextClear', {}, function(err)
    if not lsp.report(err, 'zeke/contextClear') then
      vim.notify('zeke: context cleared', vim.log.levels.INFO)
    end
  end)
end

-- --- file trees ---------------------------------------------------------------------------

--- filetype -> function returning the absolute path under the cursor (or nil).
H.trees = {
  netrw = function()
    local word = vim.fn['netrw#Call']('NetrwGetWord')
    return vim.fs.joinpath(vim.b.netrw_curdir, word)
  end,
  NvimTree = function()
    local node = require('nvim-tree.api').tree.get_node_under_cursor()
    return node and node.absolute_path
  end,
  ['neo-tree'] = function()
    local state = require('neo-tree.sources.manager').get_state('filesystem')
    local node = state.tree:get_node()
    return node and node.path
  end,
  oil = function()
    local oil = require('oil')
    local entry = oil.get_cursor_entry()
    return entry and vim.fs.joinpath(oil.get_current_dir(), entry.name)
  end,
}

function M.add_tree_file(filetype)
  local ok, path = pcall(H.trees[filetype])
  if not ok or not path or vim.fn.isdirectory(path) == 1 then
    vim.notify('zeke: no file under the cursor', vim.log.levels.WARN)
    return
  end
  M.add_file(path)
end

function M.setup(cfg)
  H.cfg = cfg
  local key = cfg.context.tree_key
  if not key then
    return
  end
  vim.api.nvim_create_autocmd('FileType', {
    group = vim.api.nvim_create_augroup('zeke.context', { clear = true }),
    pattern = vim.tbl_keys(H.trees),
    callback = function(ev)
      vim.keymap.set('n', key, function()
        M.add_tree_file(ev.match)
      end, { buffer = ev.buf, desc = 'zeke: add the file under the cursor to the context' })
    end,
  })
end

return M
