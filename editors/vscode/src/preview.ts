// The diagram preview's page: what the webview shows for a `sopflow/diagram`
// result. No `vscode` import, so that CI can open it in headless Chromium
// (tools/browser/webview.mjs). The page loads nothing from the network: its
// Content-Security-Policy forbids it, and its one script carries a nonce.
export interface DiagramFinding {
  code: string;
  message: string;
  range: { start: { line: number; character: number } };
}
export interface DiagramResult {
  kind: string;
  name: string;
  svg: string;
  findings: DiagramFinding[];
  highlighted: number | null;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function nonce(): string {
  let s = "";
  for (let i = 0; i < 32; i++) s += "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(Math.random() * 36)];
  return s;
}

export function page(result: DiagramResult | null): string {
  const n = nonce();
  const csp = `default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'nonce-${n}';`;
  const body = result
    ? `<h1>${escapeHtml(result.kind)} ${escapeHtml(result.name)}</h1>
<ol class="findings">${result.findings
        .map(
          (f, k) =>
            `<li><button data-k="${k}" aria-pressed="${k === result.highlighted}">${escapeHtml(f.code)}</button> line ${f.range.start.line + 1}: ${escapeHtml(f.message.split("\n")[0])}</li>`,
        )
        .join("")}</ol>
<div class="diagram">${result.svg}</div>`
    : "<p>Put the cursor in a flow or table of a <code>.sop</code> file.</p>";
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<style>body{font-family:var(--vscode-font-family);padding:0 12px}.diagram{overflow:auto;background:#fff;border-radius:4px}
.findings button{font:inherit;cursor:pointer}.findings button[aria-pressed=true]{font-weight:700;outline:2px solid #dc2626}</style>
</head><body>${body}
<script nonce="${n}">const vscode = acquireVsCodeApi();
for (const b of document.querySelectorAll("button[data-k]")) b.addEventListener("click", () => vscode.postMessage({ finding: Number(b.dataset.k) }));</script>
</body></html>`;
}
