// Renders BPMN files in bpmn-js (the viewer bundle, loaded from
// node_modules: no network) in headless Chromium, and fails on any import
// warning, any console error, a rendered label whose text overlaps a
// shape or another label's text, or a task name that runs into the task's
// type icon (the gear of a service task, …). Writes a screenshot of each diagram to
// OUT_DIR when given.
// usage: node render.mjs [--screenshots OUT_DIR] FILE.bpmn...
import { readFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
let shots = null;
if (args[0] === '--screenshots') {
  shots = args[1];
  args.splice(0, 2);
  mkdirSync(shots, { recursive: true });
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failures = 0;
for (const file of args) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.setContent('<!doctype html><html><body style="margin:0"><div id="canvas" style="width:1600px;height:1000px"></div></body></html>');
  await page.addScriptTag({ path: join(here, 'node_modules/bpmn-js/dist/bpmn-viewer.production.min.js') });
  const result = await page.evaluate(async (xml) => {
    const viewer = new BpmnJS({ container: '#canvas' });
    let warnings = [];
    try {
      const r = await viewer.importXML(xml);
      warnings = r.warnings.map((w) => w.message);
    } catch (e) {
      return { warnings: [`import failed: ${e.message}`], overlaps: [], elements: 0 };
    }
    const registry = viewer.get('elementRegistry');
    // Rendered text of labels, in diagram coordinates.
    const texts = [];
    const shapes = [];
    const iconHits = [];
    for (const el of registry.getAll()) {
      if (el.waypoints || el.type === 'bpmn:Participant' || el.type === 'bpmn:Process' || !el.width) continue;
      if (el.type === 'label') {
        const text = registry.getGraphics(el).querySelector('text');
        if (!text || !text.textContent) continue;
        const b = text.getBBox();
        texts.push({ id: el.businessObject.id, x: el.x + b.x, y: el.y + b.y, w: b.width, h: b.height });
      } else {
        shapes.push({ id: el.id, x: el.x, y: el.y, w: el.width, h: el.height });
        // A task's name must keep clear of its type icon (top left corner).
        if (/^bpmn:(Service|User|BusinessRule)Task$/.test(el.type)) {
          const text = registry.getGraphics(el).querySelector('text');
          if (text && text.textContent) {
            const b = text.getBBox();
            if (b.y < 30 && b.x < 30) iconHits.push(`the name of ${el.id} runs into its icon`);
          }
        }
      }
    }
    const hit = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    const overlaps = [...iconHits];
    texts.forEach((t, i) => {
      for (const s of shapes) if (hit(t, s)) overlaps.push(`label of ${t.id} ${JSON.stringify(t)} overlaps ${s.id} ${JSON.stringify(s)}`);
      for (const u of texts.slice(i + 1)) if (hit(t, u)) overlaps.push(`label of ${t.id} overlaps label of ${u.id}`);
    });
    // Measured at zoom 1 (text metrics at a tiny zoom are coarse); then fitted for the screenshot.
    viewer.get('canvas').zoom('fit-viewport');
    return { warnings, overlaps, elements: registry.getAll().length };
  }, readFileSync(file, 'utf8'));
  if (shots) {
    await page.screenshot({ path: join(shots, basename(file).replace(/\.bpmn$/, '.png')) });
  }
  for (const w of result.warnings) problems.push(`import warning: ${w}`);
  for (const o of result.overlaps) problems.push(o);
  if (result.elements === 0) problems.push('nothing rendered');
  for (const p of problems) console.log(`${file}: ${p}`);
  if (problems.length) failures++;
  await page.close();
}
await browser.close();
console.log(`bpmn-js: ${args.length} files rendered, ${failures} with problems`);
process.exit(failures ? 1 : 0);
