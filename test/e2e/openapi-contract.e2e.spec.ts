import { createConfig, lintFromString } from '@redocly/openapi-core';
import * as fs from 'node:fs';
import { startTestHerald, TestHerald } from '../support/test-herald';

/** Warnings of the recommended rules that this document accepts, each with why. */
const ALLOWED_WARNINGS: Record<string, string> = {};

let herald: TestHerald;
let document: Record<string, any>;
beforeAll(async () => {
  herald = await startTestHerald({ worker: false });
  document = (await herald.rawHttp.get('/docs/openapi.json').expect(200)).body;
  if (process.env.HERALD_DUMP_OPENAPI) fs.writeFileSync(process.env.HERALD_DUMP_OPENAPI, JSON.stringify(document, null, 2));
});
afterAll(() => herald?.stop());

describe('the OpenAPI document', () => {
  it('passes the recommended lint rules', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config });
    const reported = problems
      .filter((p) => p.severity === 'error' || !ALLOWED_WARNINGS[p.ruleId])
      .map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location.map((l) => l.pointer).join(', ')}`);
    expect(reported).toEqual([]);
  });
});
