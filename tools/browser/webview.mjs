// Opens the VS Code diagram preview's page (editors/vscode/src/preview.ts,
// compiled by tsc) in headless Chromium, for a `sopflow/diagram` result the
// language server gave, with `acquireVsCodeApi` standing in for VS Code's.
// Fails on a console error (a Content-Security-Policy refusal is one), a
// request leaving the page, a drawing without its shapes, a finding without
// its button, or a button whose click does not ask for its finding.
// usage: node webview.mjs PREVIEW_JS RESULT_JSON [SCREENSHOT_PNG]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';

const [previewJs, resultJson, shot] = process.argv.slice(2);
const { page: render } = createRequire(import.meta.url)(resolve(previewJs));
const result = JSON.parse(readFileSync(resultJson, 'utf8'));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
// The page is served from a made-up origin (the init script below runs on
// navigation); any other request is a problem.
const origin = 'http://webview.invalid/';
let html = '';
await page.route('**/*', (r) => (r.request().url() === origin ? r.fulfill({ body: html, contentType: 'text/html' }) : r.abort()));
page.on('request', (r) => { if (r.url() !== origin && !r.url().startsWith('data:')) problems.push(`request: ${r.url()}`); });
await page.addInitScript(() => {
  window.posted = [];
  window.acquireVsCodeApi = () => ({ postMessage: (m) => window.posted.push(m) });
});
for (const r of [null, result]) {
  html = render(r);
  await page.goto(origin);
  if (r === null) {
    if (!(await page.textContent('body')).includes('Put the cursor in a flow or table')) problems.push('the empty page says nothing');
    continue;
  }
  const shapes = await page.locator('.diagram svg g, .diagram svg rect, .diagram svg path').count();
  if (shapes === 0) problems.push('the drawing has no shapes');
  const buttons = page.locator('button[data-k]');
  if ((await buttons.count()) !== r.findings.length) problems.push(`${await buttons.count()} buttons for ${r.findings.length} findings`);
  for (let k = 0; k < r.findings.length; k++) {
    await buttons.nth(k).click();
    const last = await page.evaluate(() => window.posted.at(-1));
    if (last?.finding !== k) problems.push(`button ${k} posted ${JSON.stringify(last)}`);
  }
  if (shot) await page.screenshot({ path: shot, fullPage: true });
}
await browser.close();
for (const p of problems) console.log(p);
console.log(`webview: ${result.kind} ${result.name}, ${result.findings.length} findings, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
