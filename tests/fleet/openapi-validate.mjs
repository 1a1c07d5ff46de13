// Validates an OpenAPI 3.1 description (YAML or JSON file) against the
// OpenAPI Initiative's JSON schemas, with the npm package
// @seriousme/openapi-schema-validator pinned by package-lock.json.
// usage: node tests/fleet/openapi-validate.mjs FILE   (exit 0 valid, 1 not)
import { Validator } from "@seriousme/openapi-schema-validator";

const file = process.argv[2];
if (!file) {
  console.error("usage: openapi-validate.mjs FILE");
  process.exit(2);
}
const v = new Validator();
const r = await v.validate(file);
if (r.valid) {
  console.log(`${file}: a valid OpenAPI ${v.version} description`);
  process.exit(0);
}
console.log(`${file}: not a valid OpenAPI description:`);
console.log(JSON.stringify(r.errors, null, 1).slice(0, 4000));
process.exit(1);
