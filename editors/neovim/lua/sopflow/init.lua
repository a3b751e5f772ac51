-- SOPflow for Neovim (0.7 and later): starts `sopflow lsp` for *.sop files,
-- one server per project root (the folder with sopflow.toml, else .git).
--
--   require("sopflow").setup({ cmd = { "sopflow", "lsp" } })
local M = {}

local clients = {}

local function root_for(path)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  while dir and dir ~= "" do
    if vim.fn.filereadable(dir .. "/sopflow.toml") == 1 or vim.fn.isdirectory(dir .. "/.git") == 1 then
      return dir
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then break end
    dir = parent
  end
  return vim.fn.fnamemodify(path, ":p:h")
end

function M.setup(opts)
  opts = opts or {}
  local cmd = opts.cmd or { "sopflow", "lsp" }
  vim.api.nvim_create_autocmd("FileType", {
    pattern = "sopflow",
    callback = function(args)
      local root = root_for(vim.api.nvim_buf_get_name(args.buf))
      local id = clients[root]
      if not id or not vim.lsp.get_client_by_id(id) then
        id = vim.lsp.start_client({
          name = "sopflow",
          cmd = cmd,
          root_dir = root,
          workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
          on_attach = opts.on_attach,
        })
        clients[root] = id
      end
      if id then
        vim.lsp.buf_attach_client(args.buf, id)
      end
    end,
  })
end

return M
