// Validates an OpenAPI document with @apidevtools/swagger-parser (schema + structural checks).
// Usage: node openapi-validate.mjs FILE   -> exit 0 and "valid" on stdout, else exit 1 and the reason.
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';

const doc = JSON.parse(readFileSync(process.argv[2], 'utf8'));
try {
  const api = await SwaggerParser.validate(doc);
  console.log(`valid: OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths`);
} catch (e) {
  console.error(`invalid: ${e.message}`);
  process.exit(1);
}
