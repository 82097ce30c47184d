--- Options: defaults, merge, validate. `setup()` goes merge -> validate -> apply (see init.lua).
local M = {}
local H = {}

--- The defaults double as the schema: every option's type is the type of its default.
--- Keys may be `false` to disable a mapping; `zeke` is passed through to the daemon unchecked.
M.defaults = {
  cmd = {}, -- command that starts the daemon (LSP over stdio); empty: find it (discover.lua)
  python = 'python3', -- tried last, as `python -m zeke_ls`, when no zeke-ls executable is found
  zeke = {}, -- overlay for zeke.toml, sent as initializationOptions.zeke
  root_markers = { '.zeke.toml', 'zeke.toml', '.git' }, -- .zeke.toml is the daemon's overlay
  exclude_filetypes = { 'help', 'gitcommit', 'gitrebase', 'TelescopePrompt', 'zeke-chat' },
  inline = {
    enabled = true,
    debounce_ms = 30,
    engine = 'plugin', -- 'plugin', or 'core': Neovim 0.12's vim.lsp.inline_completion draws
    keys = {
      accept = '<Tab>',
      accept_word = '<C-Right>',
      accept_line = '<C-Down>',
      next = '<M-]>',
      prev = '<M-[>',
      dismiss = '<C-]>',
    },
  },
  chat = {
    layout = 'split', -- 'split' or 'float'
    width = 0.4, -- fraction of the editor width (split and float)
    height = 0.8, -- fraction of the editor height (float only)
    include_context = true, -- send the context set with every message
    keys = { cancel = '<C-c>', close = 'q' },
  },
  diff = {
    keys = { accept_all = 'A', reject_all = 'R', accept_hunk = 'a', reject_hunk = 'r', next_hunk = ']h', prev_hunk = '[h' },
  },
  context = {
    tree_key = 'ga', -- in netrw, nvim-tree, neo-tree and oil: add the file under the cursor
    remove_key = 'dd', -- in the :ZekeContext list: remove the item under the cursor
  },
  next_edit = {
    auto = false, -- ask after each pause in normal or insert mode (else :ZekeNextEdit)
    debounce_ms = 500,
    keys = { accept = '<M-y>', jump = '<M-n>', dismiss = '<M-e>' },
  },
}

--- Options whose value must be one of a fixed set.
H.enums = { ['chat.layout'] = { split = true, float = true }, ['inline.engine'] = { plugin = true, core = true } }
--- Options whose value is free-form (not checked against the defaults).
H.free = { zeke = true }
--- Options that may be `false` instead of their default type (key mappings).
H.may_be_false = { keys = true, tree_key = true, remove_key = true }

--- Collect one line per problem: unknown keys, wrong types, bad enum values.
function H.check(value, default, path, problems)
  for key, v in pairs(value) do
    local p = path == '' and tostring(key) or (path .. '.' .. tostring(key))
    local d = default[key]
    local parent = path:match('([^.]+)$')
    if d == nil then
      table.insert(problems, ('unknown option "%s"'):format(p))
    elseif H.free[p] then
      if type(v) ~= 'table' then
        table.insert(problems, ('"%s" must be a table, got %s'):format(p, type(v)))
      end
    elseif v == false and (H.may_be_false[parent] or H.may_be_false[key]) then -- luacheck: ignore
    elseif type(v) ~= type(d) then
      table.insert(problems, ('"%s" must be a %s, got %s'):format(p, type(d), type(v)))
    elseif H.enums[p] and not H.enums[p][v] then
      local names = vim.tbl_keys(H.enums[p])
      table.sort(names)
      table.insert(problems, ('"%s" must be one of %s, got "%s"'):format(p, table.concat(names, ', '), v))
    elseif type(d) == 'table' and not vim.islist(d) then
      H.check(v, d, p, problems)
    elseif vim.islist(d) and #d > 0 then
      for i, item in ipairs(v) do
        if type(item) ~= type(d[1]) then
          table.insert(problems, ('"%s[%d]" must be a %s, got %s'):format(p, i, type(d[1]), type(item)))
        end
      end
    end
  end
end

--- Merge `opts` over the defaults and validate. Returns (config, nil) or (nil, message).
function M.resolve(opts)
  opts = opts or {}
  if type(opts) ~= 'table' then
    return nil, 'zeke.setup(opts): opts must be a table, got ' .. type(opts)
  end
  local problems = {}
  H.check(opts, M.defaults, '', problems)
  if #problems > 0 then
    table.sort(problems)
    return nil, 'zeke.setup(): invalid options, nothing applied:\n  ' .. table.concat(problems, '\n  ')
  end
  return H.merge(vim.deepcopy(M.defaults), opts), nil
end

--- Deep merge where lists (like `cmd`) replace the default list instead of merging by index.
function H.merge(base, over)
  for key, v in pairs(over) do
    if type(v) == 'table' and type(base[key]) == 'table' and not vim.islist(v) and not vim.islist(base[key]) then
      H.merge(base[key], v)
    else
      base[key] = vim.deepcopy(v)
    end
  end
  return base
end

--- The configuration in effect (defaults until setup() succeeds).
M.current = vim.deepcopy(M.defaults)

return M
