-- The demo's Neovim config: zeke.nvim from this repository, the daemon command from the
-- environment (set by scripts/demo.py), and a statusline showing the model and daemon state.
local repo = vim.env.ZEKE_REPO
vim.opt.rtp:prepend(repo .. '/clients/nvim')
vim.cmd('runtime plugin/zeke.lua')
vim.o.statusline = " %f %m%=%{%v:lua.require'zeke.statusline'.get()%} "
vim.o.laststatus = 3
require('zeke').setup({ cmd = vim.json.decode(vim.env.ZEKE_DEMO_CMD) })
vim.schedule(function()
  vim.notify(table.concat({
    'zeke demo: type in insert mode for ghost text (<Tab> accept, <C-Right> word, <C-Down> line,',
    '<M-]>/<M-[> cycle, <C-]> dismiss); :ZekeChat {question}; :ZekeEdit {instruction} (A/R/a/r);',
    ':ZekeModel; :ZekeAddFile; :ZekeContext; :checkhealth zeke. Quit with :qa',
  }, '\n'))
end)
