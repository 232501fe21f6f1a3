// The gateway's OpenAPI description (kefuctl openapi, as the gateway serves
// it at /console/openapi.json) against the OpenAPI 3.0 specification
// (swagger-parser: the official schema, and every $ref resolved), then
// every route's example request against that route's request schema (Ajv),
// and a request with a field the API does not have must fail its schema.
//   usage: node tests/openapi/check.mjs openapi.json
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv-draft-04';

const file = process.argv[2];
const doc = JSON.parse(readFileSync(file, 'utf8'));
const fail = (message) => { console.error(`openapi: ${message}`); process.exit(1); };

try {
  await SwaggerParser.validate(structuredClone(doc));
} catch (error) {
  fail(`${file} is not valid OpenAPI 3.0: ${error.message}`);
}

// OpenAPI 3.0's schema objects are JSON Schema draft 4 with a few words of
// their own (example, format names): those are not checked here.
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema({ components: doc.components }, 'doc');
let examples = 0;
for (const [path, item] of Object.entries(doc.paths)) {
  for (const [method, operation] of Object.entries(item)) {
    const body = operation.requestBody?.content?.['application/json'];
    if (!body) continue;
    if (body.example === undefined) fail(`${method.toUpperCase()} ${path} has no example request`);
    const ref = body.schema.$ref.replace('#/', 'doc#/');
    const validate = ajv.compile({ $ref: ref });
    if (!validate(body.example))
      fail(`${method.toUpperCase()} ${path}: its example does not match ${body.schema.$ref}: ` +
           ajv.errorsText(validate.errors));
    if (!validate({ ...body.example, no_such_field: 1 }))
      examples++;
    else
      fail(`${method.toUpperCase()} ${path}: a field the API does not have passes its schema`);
  }
}
const routes = Object.keys(doc.paths).length, schemas = Object.keys(doc.components.schemas).length;
if (examples < 40) fail(`only ${examples} routes have an example request`);
console.log(`openapi: valid OpenAPI ${doc.openapi}; ${routes} routes, ${schemas} schemas; ` +
            `${examples} example requests match their schemas`);
