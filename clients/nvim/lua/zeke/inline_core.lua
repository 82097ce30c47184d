--- `inline.engine = 'core'` (Neovim 0.12+): Neovim's own `vim.lsp.inline_completion` asks the
--- daemon and draws the suggestion (highlight `ComplHint`); an accept through it runs the
--- item's `zeke.didAccept` command, which the daemon counts. This module keeps what core lacks:
--- word and line accepts (through `get({ on_accept })`), cycling (`select`), dismissing.
--- Written against the documented 0.12 API only: enable(), get(), select().
local lsp = require('zeke.lsp')

local M = {}
local H = {}

function M.available()
  local core = vim.lsp.inline_completion
  return core ~= nil and core.enable ~= nil and core.get ~= nil and core.select ~= nil
end

--- Turn core inline completion on for the zeke client in each buffer it attaches to.
--- Returns the module, or nil (after one warning) on a Neovim without it.
function M.setup(cfg)
  if not M.available() then
    vim.notify("zeke: inline.engine = 'core' needs Neovim 0.12 (vim.lsp.inline_completion); "
      .. "using the plugin's own ghost text", vim.log.levels.WARN)
    return nil
  end
  vim.api.nvim_create_autocmd('LspAttach', {
    group = vim.api.nvim_create_augroup('zeke.inline_core', { clear = true }),
    callback = function(ev)
      local client = vim.lsp.get_client_by_id(ev.data.client_id)
      if client and client.name == lsp.name and cfg.inline.enabled then
        vim.lsp.inline_completion.enable(true, { bufnr = ev.buf, client_id = client.id })
      end
    end,
  })
  return M
end

--- Where an accepted item starts: its range (vim.Range, or a 4-list), else the cursor.
function H.start(item)
  local range = item.range
  if type(range) == 'table' and range.to_extmark then
    local row, col = range:to_extmark()
    return row, col
  elseif type(range) == 'table' and range.start_row then
    return range.start_row, range.start_col
  elseif type(range) == 'table' and range[1] then
    return range[1], range[2]
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  return cursor[1] - 1, cursor[2]
end

--- The part of the item not typed yet (the text between its start and the cursor is typed).
function H.remaining(item)
  local text = type(item.insert_text) == 'table' and item.insert_text.value or item.insert_text
  if type(text) ~= 'string' then
    return nil
  end
  local row, col = H.start(item)
  local cursor = vim.api.nvim_win_get_cursor(0)
  local ok, typed = pcall(vim.api.nvim_buf_get_text, 0, row, col, cursor[1] - 1, cursor[2], {})
  typed = ok and table.concat(typed, '\n') or ''
  return text:sub(1, #typed) == typed and text:sub(#typed + 1) or nil
end

--- Insert `piece` at the cursor and tell the daemon how much was taken.
function H.insert(piece, whole)
  local cursor = vim.api.nvim_win_get_cursor(0)
  local lines = vim.split(piece, '\n', { plain = true })
  vim.api.nvim_buf_set_text(0, cursor[1] - 1, cursor[2], cursor[1] - 1, cursor[2], lines)
  local col = #lines == 1 and cursor[2] + #piece or #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { cursor[1] + #lines - 1, col })
  lsp.notify('zeke/didAcceptCompletion', { textDocument = { uri = vim.uri_from_bufnr(0) }, text = whole,
    acceptedLength = vim.str_utfindex(piece, 'utf-16') })
end

--- `kind` 'all' is core's own accept; 'word' and 'line' take `cut(remaining)` of the item.
function M.accept(kind, cut)
  local core = vim.lsp.inline_completion
  if kind == 'all' then
    return core.get()
  end
  return core.get({
    on_accept = function(item)
      local rest = H.remaining(item)
      if rest and rest ~= '' then
        H.insert(cut(rest), rest)
      end
      return nil -- we inserted the piece ourselves; core requests the rest as the text changes
    end,
  })
end

function M.cycle(step)
  vim.lsp.inline_completion.select({ count = step })
end

--- Core has no dismiss: accepting with a handler that applies nothing hides the suggestion.
function M.dismiss()
  return vim.lsp.inline_completion.get({ on_accept = function() return nil end })
end

return M
