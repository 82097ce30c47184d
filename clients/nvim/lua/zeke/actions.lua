--- Quick actions on a selection: :ZekeExplain, :ZekeFix, :ZekeTest (and :ZekeDoc).
--- They are slash commands of zeke/chat; the daemon turns /fix and /test into edit proposals.
local M = {}

--- The LSP range of lines `line1`..`line2` (1-based, inclusive) of `buf`, whole lines.
function M.line_range(buf, line1, line2)
  local last = vim.api.nvim_buf_get_lines(buf, line2 - 1, line2, false)[1] or ''
  return {
    start = { line = line1 - 1, character = 0 },
    ['end'] = { line = line2 - 1, character = vim.str_utfindex(last, 'utf-16') },
  }
end

--- The selection a command was given: its range, or the whole buffer without one.
function M.selection(opts)
  local buf = vim.api.nvim_get_current_buf()
  local line1, line2 = opts.line1, opts.line2
  if not opts.range or opts.range == 0 then
    line1, line2 = 1, vim.api.nvim_buf_line_count(buf)
  end
  return { buf = buf, range = M.line_range(buf, line1, line2) }
end

--- Run `/name` on the selection, with any extra words the user typed after the command.
function M.run(name, opts)
  local message = '/' .. name .. (opts.args ~= '' and (' ' .. opts.args) or '')
  local selection = M.selection(opts)
  selection.propose_edit = M.proposes_edit[name]
  require('zeke.chat').send(message, selection, 'source')
end

--- Actions whose answer also becomes an edit proposal (previewed, see diff.lua).
M.proposes_edit = { fix = true, test = true }

--- The daemon's code actions (vim.lsp.buf.code_action()) run here instead of on the server,
--- so that their answer streams into the chat panel: `command` is the LSP Command.
function M.from_code_action(command)
  local name = command.command:gsub('^zeke%.', '')
  local arg = (command.arguments or {})[1] or {}
  local buf = arg.textDocument and vim.uri_to_bufnr(arg.textDocument.uri) or vim.api.nvim_get_current_buf()
  require('zeke.chat').send('/' .. name, { buf = buf, range = arg.range, diagnostics = arg.diagnostics,
    propose_edit = M.proposes_edit[name] }, 'source')
end

--- Client-side handlers for the zeke.* commands, for vim.lsp.start({commands = ...}).
function M.commands()
  local commands = {}
  for _, name in ipairs({ 'explain', 'fix', 'test', 'doc' }) do
    commands['zeke.' .. name] = M.from_code_action
  end
  return commands
end

return M
