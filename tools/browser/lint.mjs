// Lints BPMN files with bpmnlint's `recommended` rules and prints one JSON
// object: per file, the rules that reported and how often, and the time the
// linting took (parse included). Used by benches/bpmnlint.rs.
// usage: node lint.mjs FILE.bpmn...
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BpmnModdle } from 'bpmn-moddle';

const require = createRequire(import.meta.url);
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');

const start = process.hrtime.bigint();
const files = {};
for (const file of process.argv.slice(2)) {
  const { rootElement } = await new BpmnModdle().fromXML(readFileSync(file, 'utf8'));
  const linter = new Linter({ config: { extends: 'bpmnlint:recommended' }, resolver: new NodeResolver() });
  const results = await linter.lint(rootElement);
  const rules = {};
  for (const [rule, reports] of Object.entries(results)) {
    if (reports.length) rules[rule] = reports.length;
  }
  files[file] = rules;
}
const ms = Number(process.hrtime.bigint() - start) / 1e6;
console.log(JSON.stringify({ ms, files }));
