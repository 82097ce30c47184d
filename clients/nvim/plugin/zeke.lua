-- zeke.nvim commands. Only definitions here: every module is required when a command runs.
if vim.g.loaded_zeke then
  return
end
vim.g.loaded_zeke = true

local function cmd(name, fn, opts)
  vim.api.nvim_create_user_command(name, function(args)
    require('zeke').ensure()
    fn(args)
  end, opts)
end

cmd('ZekeChat', function(a) require('zeke.chat').command(a.args) end,
  { nargs = '*', desc = 'zeke: open the chat, or send a message' })
cmd('ZekeChatClear', function() require('zeke.chat').clear() end, { desc = 'zeke: start a new conversation' })
cmd('ZekeChatCancel', function() require('zeke.chat').cancel() end, { desc = 'zeke: stop the answer' })
for name, action in pairs({ ZekeExplain = 'explain', ZekeFix = 'fix', ZekeTest = 'test', ZekeDoc = 'doc' }) do
  cmd(name, function(a) require('zeke.actions').run(action, a) end,
    { range = '%', nargs = '*', desc = 'zeke: /' .. action .. ' on the selection' })
end
cmd('ZekeEdit', function(a)
  require('zeke.diff').edit(a.args, require('zeke.actions').selection(a))
end, { range = true, nargs = '+', desc = 'zeke: propose an edit of the selection or buffer' })
cmd('ZekeAddFile', function(a) require('zeke.context').add_file(a.args) end,
  { nargs = '?', complete = 'file', desc = 'zeke: add a file to the context' })
cmd('ZekeAddSelection', function(a) require('zeke.context').add_selection(a) end,
  { range = true, desc = 'zeke: add the selected lines to the context' })
cmd('ZekeContext', function() require('zeke.context').show() end, { desc = 'zeke: list the context' })
cmd('ZekeContextClear', function() require('zeke.context').clear() end, { desc = 'zeke: empty the context' })
cmd('ZekeModel', function(a) require('zeke.models').command(a.fargs) end, {
  nargs = '*',
  desc = 'zeke: switch the model (alias [feature])',
  complete = function(arglead, line)
    require('zeke').ensure()
    if #vim.split(line, '%s+', { trimempty = true }) > (arglead == '' and 1 or 2) then
      return vim.tbl_filter(function(f) return vim.startswith(f, arglead) end, { 'completion', 'chat', 'edit' })
    end
    return require('zeke.models').complete(arglead)
  end,
})
cmd('ZekeSuggest', function(a)
  local on = ({ on = true, off = false })[a.args]
  local enabled = require('zeke.inline').enable(on)
  vim.notify('zeke: inline suggestions ' .. (enabled and 'on' or 'off'))
end, { nargs = '?', complete = function() return { 'on', 'off' } end, desc = 'zeke: ghost text on/off/toggle' })
cmd('ZekeNextEdit', function(a) require('zeke.nextedit').command(a.args) end,
  { nargs = '?', complete = function() return { 'auto', 'manual' } end,
    desc = 'zeke: suggest the next edit now, or switch the automatic mode' })
cmd('ZekeStatus', function() require('zeke.status').show() end, { desc = 'zeke: show what the daemon runs with' })

-- `:help zeke` after a plain 'runtimepath' install: build doc/tags when missing or older than
-- the help file (plugin managers do this themselves; a clone does not). Two stats per start.
do
  local doc = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h') .. '/doc'
  local txt, tags = vim.uv.fs_stat(doc .. '/zeke.txt'), vim.uv.fs_stat(doc .. '/tags')
  if txt and (not tags or tags.mtime.sec < txt.mtime.sec) then
    pcall(vim.cmd.helptags, vim.fn.fnameescape(doc))
  end
end
