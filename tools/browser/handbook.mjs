// Opens a handbook written by `sopflow doc` in headless Chromium, as a
// reader would: starting from index.html, it follows every link to another
// page of the handbook. It fails on a console error or a failed request
// (the handbook must work offline), a page the index does not lead to, a
// flow or table page without its drawing (an inline <svg role="img"> with a
// <title> and a non-empty <desc>), or a broken anchor; and it takes a
// screenshot of one flow page.
// usage: node handbook.mjs DIR SCREENSHOT.png
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [dir, shot] = process.argv.slice(2);
const root = resolve(dir);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const problems = [];
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error on ${page.url()}: ${m.text()}`); });
page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
page.on('request', (r) => { if (!r.url().startsWith('file:')) problems.push(`a request leaves the handbook: ${r.url()}`); });

const seen = new Set();
const queue = ['index.html'];
const anchors = [];
let diagrams = 0;
while (queue.length) {
  const name = queue.shift();
  if (seen.has(name)) continue;
  seen.add(name);
  await page.goto(pathToFileURL(join(root, name)).href);
  const info = await page.evaluate(() => ({
    links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
    ids: [...document.querySelectorAll('[id]')].map((e) => e.id),
    svgs: [...document.querySelectorAll('svg[role="img"]')].map((s) => ({
      title: s.querySelector('title')?.textContent ?? '',
      desc: s.querySelector('desc')?.textContent ?? '',
      width: s.getBoundingClientRect().width,
    })),
    lang: document.documentElement.lang,
    main: !!document.querySelector('main#main'),
    skip: !!document.querySelector('a.skip[href="#main"]'),
    h1: document.querySelectorAll('h1').length,
  }));
  if (!info.lang || !info.main || !info.skip || info.h1 !== 1) problems.push(`${name}: lang, main landmark, skip link or a single h1 missing`);
  if (/^(flow|table)-/.test(name)) {
    if (info.svgs.length !== 1) problems.push(`${name}: ${info.svgs.length} drawings, expected 1`);
    for (const s of info.svgs) {
      if (!s.title || !s.desc.trim() || s.width < 50) problems.push(`${name}: a drawing without a title, a text alternative or a size`);
    }
    diagrams += info.svgs.length;
  }
  for (const href of info.links) {
    if (/^[a-z]+:/i.test(href)) { problems.push(`${name}: link out of the handbook: ${href}`); continue; }
    const [file, anchor] = href.split('#');
    const target = file || name;
    if (anchor) anchors.push([target, anchor, name]);
    if (target.endsWith('.html') && !seen.has(target)) queue.push(target);
  }
  globalThis[`ids:${name}`] = info.ids;
}
for (const [file, anchor, from] of anchors) {
  const ids = globalThis[`ids:${file}`];
  if (!ids) problems.push(`${from}: link to a page that does not exist: ${file}`);
  else if (!ids.includes(anchor)) problems.push(`${from}: broken anchor ${file}#${anchor}`);
}
const pages = readdirSync(root).filter((f) => f.endsWith('.html'));
for (const p of pages) if (!seen.has(p)) problems.push(`${p} is not reachable from index.html`);
const flow = pages.find((p) => p.startsWith('flow-'));
if (flow && shot) {
  await page.goto(pathToFileURL(join(root, flow)).href);
  await page.screenshot({ path: shot, fullPage: true });
}
await browser.close();
for (const p of problems) console.log(p);
console.log(`handbook: ${seen.size} pages opened, ${pages.length} written, ${diagrams} drawings, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
