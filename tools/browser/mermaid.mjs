// Renders Mermaid exports with Mermaid itself (its bundle from
// node_modules: no network) in headless Chromium, and fails on a parse or
// render error or a console error; prints each drawing's size, and with
// --tall fails unless each drawing is at least as tall as it is wide (a
// `flowchart TD` laid out top to bottom, its subgraphs stacked).
// usage: node mermaid.mjs [--tall] [--screenshots OUT_DIR] FILE.mmd...
import { readFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
let tall = false;
let shots = null;
while (args[0]?.startsWith('--')) {
  const a = args.shift();
  if (a === '--tall') tall = true;
  if (a === '--screenshots') { shots = args.shift(); mkdirSync(shots, { recursive: true }); }
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failures = 0;
// One page, Mermaid loaded once; each file drawn in turn.
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
let problems = [];
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
await page.addScriptTag({ path: join(here, 'node_modules/mermaid/dist/mermaid.min.js') });
await page.evaluate(() => mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' }));
for (const [k, file] of args.entries()) {
  problems = [];
  const r = await page.evaluate(async ([text, id]) => {
    try {
      const { svg } = await mermaid.render(id, text);
      document.getElementById('out').innerHTML = svg;
      const box = document.querySelector('#out svg').getBBox();
      return { width: box.width, height: box.height };
    } catch (e) {
      return { error: String(e && e.message || e) };
    }
  }, [readFileSync(file, 'utf8'), `d${k}`]);
  if (r.error) problems.push(`mermaid: ${r.error}`);
  else {
    console.log(`${file}: ${Math.round(r.width)} × ${Math.round(r.height)}`);
    if (tall && r.height < r.width) problems.push(`wider than tall: ${Math.round(r.width)} × ${Math.round(r.height)}`);
  }
  if (shots) await page.screenshot({ path: join(shots, basename(file).replace(/\.mmd$/, '.png')), fullPage: true });
  for (const p of problems) console.log(`${file}: ${p}`);
  if (problems.length) failures++;
}
await browser.close();
console.log(`mermaid: ${args.length} files rendered, ${failures} with problems`);
process.exit(failures ? 1 : 0);
