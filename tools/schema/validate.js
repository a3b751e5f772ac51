// node validate.js SCHEMA DOCUMENT...: each document against the schema, with
// ajv's JSON Schema 2020-12 class and its default settings (strict mode:
// unknown formats and keywords are errors). Exits 1 on any error.
const fs = require("fs");
const Ajv2020 = require("ajv/dist/2020");
const [schemaPath, ...docs] = process.argv.slice(2);
const ajv = new Ajv2020();
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, "utf8")));
let bad = 0;
for (const doc of docs) {
  if (!validate(JSON.parse(fs.readFileSync(doc, "utf8")))) {
    bad++;
    console.error(`${doc}: ${ajv.errorsText(validate.errors)}`);
  }
}
console.log(`ajv: ${docs.length - bad} of ${docs.length} documents valid against ${schemaPath}`);
process.exit(bad ? 1 : 0);
