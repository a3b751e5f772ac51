-- SOPflow for Neovim (0.7 and later): starts `sopflow lsp` for *.sop files,
-- one server per project root (the folder with sopflow.toml, else .git).
--
--   require("sopflow").setup({ cmd = { "sopflow", "lsp" } })
--
-- `:SopflowDiagram` writes the diagram of the flow or table under the cursor
-- (the server's `sopflow/diagram`: SVG, with the findings and the first
-- witness path drawn on it) next to a Mermaid copy, and prints where; with
-- `opts.open` (e.g. { "xdg-open" }) it also opens the SVG.
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
  M.opts = opts
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

--- Asks the server for the diagram under the cursor; writes `DIR/NAME.svg`
--- and `DIR/NAME.mmd` (DIR: `opts.dir`, else a temporary folder) and
--- returns the SVG's path, or nil and a reason.
function M.diagram(dir)
  local buf = vim.api.nvim_get_current_buf()
  local client
  for _, c in pairs(vim.lsp.buf_get_clients(buf)) do
    if c.name == "sopflow" then client = c end
  end
  if not client then return nil, "no sopflow server for this buffer" end
  local cursor = vim.api.nvim_win_get_cursor(0)
  local line = vim.api.nvim_buf_get_lines(buf, cursor[1] - 1, cursor[1], false)[1] or ""
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = cursor[1] - 1, character = vim.str_utfindex(line, cursor[2]) },
  }
  local response, err = client.request_sync("sopflow/diagram", params, 10000, buf)
  if not response then return nil, err end
  if response.err then return nil, response.err.message end
  local result = response.result
  if not result or result == vim.NIL then return nil, "no flow or table here" end
  dir = dir or M.opts.dir or vim.fn.fnamemodify(vim.fn.tempname(), ":h")
  vim.fn.mkdir(dir, "p")
  local base = dir .. "/" .. result.name
  vim.fn.writefile(vim.split(result.svg, "\n", { plain = true }), base .. ".svg")
  vim.fn.writefile(vim.split(result.mermaid, "\n", { plain = true }), base .. ".mmd")
  return base .. ".svg"
end

M.opts = {}

vim.api.nvim_create_user_command("SopflowDiagram", function()
  local path, why = M.diagram()
  if not path then
    vim.notify("SOPflow diagram: " .. tostring(why), vim.log.levels.WARN)
    return
  end
  if M.opts.open then
    local cmd = vim.deepcopy(M.opts.open)
    table.insert(cmd, path)
    vim.fn.jobstart(cmd, { detach = true })
  end
  vim.notify("SOPflow diagram: " .. path)
end, {})

return M
