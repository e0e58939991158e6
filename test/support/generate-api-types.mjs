// Reads an OpenAPI document on stdin, writes openapi-typescript's types for it on stdout.
// A process of its own: openapi-typescript needs ES modules that jest's module loader cannot load.
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const ast = await openapiTS(JSON.parse(Buffer.concat(chunks).toString('utf8')), { alphabetize: true });
process.stdout.write(`${COMMENT_HEADER.trim()}\n// Generated from /docs/openapi.json by \`npm run openapi:types\`: do not edit.\n\n${astToString(ast)}`);
