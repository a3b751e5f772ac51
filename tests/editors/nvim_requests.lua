-- Headless Neovim as a real LSP client (tests/neovim.rs): load the
-- configuration from editors/neovim, open the file given on the command
-- line, send each of the server's newer requests through Neovim's client,
-- call `:SopflowDiagram`'s function, write what came back as JSON, quit.
vim.opt.runtimepath:prepend(os.getenv("SOPFLOW_NVIM_RTP"))
vim.cmd("filetype plugin on")
require("sopflow").setup({ cmd = { os.getenv("SOPFLOW_BIN"), "lsp" } })

local function pos_of(needle, delta)
  for l, text in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
    local c = text:find(needle, 1, true)
    if c then return { line = l - 1, character = c - 1 + delta } end
  end
  error("not in the buffer: " .. needle)
end

vim.api.nvim_create_autocmd("VimEnter", {
  callback = function()
    vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 50)
    local client = vim.lsp.buf_get_clients(0)[next(vim.lsp.buf_get_clients(0))]
    local doc = { uri = vim.uri_from_bufnr(0) }
    local at = pos_of("outcome approve", 8)
    local range = { start = pos_of("step brand_check", 0), ["end"] = pos_of("otherwise", 0) }
    local requests = {
      { "textDocument/prepareRename", { textDocument = doc, position = at } },
      { "textDocument/documentHighlight", { textDocument = doc, position = at } },
      { "textDocument/foldingRange", { textDocument = doc } },
      { "textDocument/selectionRange", { textDocument = doc, positions = { at } } },
      { "textDocument/semanticTokens/full", { textDocument = doc } },
      { "textDocument/semanticTokens/range", { textDocument = doc, range = range } },
      { "textDocument/inlayHint", { textDocument = doc, range = { start = { line = 0, character = 0 }, ["end"] = at } } },
      { "textDocument/documentSymbol", { textDocument = doc } },
      { "textDocument/rangeFormatting", { textDocument = doc, range = range, options = { tabSize = 2, insertSpaces = true } } },
      { "sopflow/diagram", { textDocument = doc, position = at } },
    }
    local out = { server = client.name, answers = {} }
    for _, r in ipairs(requests) do
      local response, err = client.request_sync(r[1], r[2], 10000, 0)
      out.answers[r[1]] = {
        result = response and response.result or vim.NIL,
        error = err or (response and response.err and response.err.message) or vim.NIL,
      }
    end
    vim.api.nvim_win_set_cursor(0, { at.line + 1, at.character })
    local path, why = require("sopflow").diagram(os.getenv("SOPFLOW_NVIM_DIAGRAMS"))
    out.diagram = path or vim.NIL
    out.diagram_error = why or vim.NIL
    local f = io.open(os.getenv("SOPFLOW_NVIM_OUT"), "w")
    f:write(vim.fn.json_encode(out))
    f:close()
    vim.cmd("qa!")
  end,
})
