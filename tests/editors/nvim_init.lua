-- Headless Neovim as a real LSP client (tests/neovim.rs): load the
-- configuration from editors/neovim, open the file given on the command
-- line, wait for the diagnostics of `sopflow lsp`, write them as JSON, quit.
vim.opt.runtimepath:prepend(os.getenv("SOPFLOW_NVIM_RTP"))
vim.cmd("filetype plugin on")
vim.cmd("syntax on")
require("sopflow").setup({ cmd = { os.getenv("SOPFLOW_BIN"), "lsp" } })

vim.api.nvim_create_autocmd("VimEnter", {
  callback = function()
    vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 50)
    local out = { filetype = vim.bo.filetype, syntax = vim.b.current_syntax or "", diagnostics = {} }
    for _, d in ipairs(vim.diagnostic.get(0)) do
      local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
      table.insert(out.diagnostics, { code = code, line = d.lnum + 1, message = d.message })
    end
    local f = io.open(os.getenv("SOPFLOW_NVIM_OUT"), "w")
    f:write(vim.fn.json_encode(out))
    f:close()
    vim.cmd("qa!")
  end,
})
