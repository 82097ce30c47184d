--- :ZekeModel: list the daemon's aliases (zeke/models) and switch one (zeke/setModel).
local lsp = require('zeke.lsp')

local M = {}
local H = {}

--- The last answer of zeke/models, for the statusline: { aliases, features }.
M.cache = nil

function H.names(result)
  local names = {}
  for _, alias in ipairs(result and result.aliases or {}) do
    table.insert(names, type(alias) == 'table' and (alias.alias or alias.name) or alias)
  end
  return names
end

--- Command-line completion of alias names (a short blocking request).
function M.complete(arglead)
  local err, result = lsp.request_sync('zeke/models', {}, 800)
  if err or not result then
    return {}
  end
  M.cache = result
  return vim.tbl_filter(function(name)
    return vim.startswith(name, arglead)
  end, H.names(result))
end

--- Switch `alias` for `feature` (completion, chat, edit) or for all when feature is nil.
--- Names the daemon does not list are refused here, with the known ones: a gateway daemon
--- may take any name and would then send it upstream. The daemon's own refusal is shown too.
function M.set(alias, feature)
  M.refresh(function(list_err, result)
    local names = H.names(result)
    if not list_err and alias ~= 'auto' and not vim.tbl_contains(names, alias) then
      vim.notify(('zeke: unknown alias "%s"; known aliases: %s'):format(alias, table.concat(names, ', ')),
        vim.log.levels.ERROR)
      return
    end
    lsp.request('zeke/setModel', { alias = alias, feature = feature }, function(err)
      if lsp.report(err, 'zeke/setModel') then
        return
      end
      M.refresh(function()
        lsp.changed()
      end)
      vim.notify(('zeke: %s now uses %s'):format(feature or 'every feature', alias), vim.log.levels.INFO)
    end)
  end)
end

--- Refresh the cache used by the statusline.
function M.refresh(cb)
  lsp.request('zeke/models', {}, function(err, result)
    if not err then
      M.cache = result
    end
    if cb then
      cb(err, result)
    end
  end)
end

--- :ZekeModel [alias] [feature]: switch, or pick from a list when no alias is given.
function M.command(args)
  local alias, feature = args[1], args[2]
  if alias then
    M.set(alias, feature)
    return
  end
  M.refresh(function(err, result)
    if lsp.report(err, 'zeke/models') then
      return
    end
    vim.ui.select(H.names(result), { prompt = 'zeke model for every feature' }, function(choice)
      if choice then
        M.set(choice)
      end
    end)
  end)
end

return M
