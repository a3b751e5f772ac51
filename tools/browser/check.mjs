// Checks BPMN files as real consumers read them: bpmn-moddle must parse each
// without warnings, and bpmnlint with its `recommended` rules must report no
// error. Warnings of bpmnlint are printed; the allowed ones are documented in
// docs/exports.md. usage: node check.mjs FILE.bpmn...
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BpmnModdle } from 'bpmn-moddle';

const require = createRequire(import.meta.url);
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');

const moddle = new BpmnModdle();
let errors = 0;
let warnings = 0;
for (const file of process.argv.slice(2)) {
  const { rootElement, warnings: parseWarnings } = await moddle.fromXML(readFileSync(file, 'utf8'));
  for (const w of parseWarnings) {
    console.log(`${file}: bpmn-moddle: ${w.message}`);
    errors++;
  }
  // A fresh linter per file: rule instances keep state between runs.
  const linter = new Linter({ config: { extends: 'bpmnlint:recommended' }, resolver: new NodeResolver() });
  const results = await linter.lint(rootElement);
  for (const [rule, reports] of Object.entries(results)) {
    for (const r of reports) {
      console.log(`${file}: ${r.category} ${rule}: ${r.id}: ${r.message}`);
      if (r.category === 'error' || r.category === 'rule-error') errors++;
      else warnings++;
    }
  }
}
console.log(`bpmn: ${process.argv.length - 2} files, ${errors} errors, ${warnings} warnings`);
process.exit(errors ? 1 : 0);
