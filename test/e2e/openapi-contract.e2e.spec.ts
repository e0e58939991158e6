import { createConfig, lintFromString } from '@redocly/openapi-core';
import * as fs from 'node:fs';
import { API_TYPES_FILE, generateApiTypes } from '../support/api-types';
import { studioApiCalls } from '../support/studio-api-paths';
import { startTestHerald, TestHerald } from '../support/test-herald';

/** Warnings of the recommended rules that this document accepts, each with why. */
const ALLOWED_WARNINGS: Record<string, string> = {
  'no-ambiguous-paths':
    'Courier-compatible paths put a literal segment where another route has an id (/automations/runs/{runId} beside /automations/{id}/versions); ' +
    'Herald routes the literal first; event ids (identify, track/...) never are those words, template ids are UUIDs (an alias such as "runs" is shadowed: reported)',
  'operation-4xx-response': '/health and /ready answer every caller: they have no client error to document',
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function operations(doc: Record<string, any>): Array<{ method: string; path: string; op: Record<string, any> }> {
  return Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] })),
  );
}

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

  it('gives every operation an id, a tag, a summary and a success response with its body', () => {
    const problems: string[] = [];
    for (const { method, path, op } of operations(document)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!op.operationId || !op.summary || !op.tags?.length) problems.push(`${where}: operationId, summary and tags are required`);
      const success = Object.keys(op.responses).filter((s) => /^2/.test(s));
      if (!success.length) problems.push(`${where}: no 2xx response`);
      for (const status of success) {
        const schema = op.responses[status].content?.['application/json']?.schema;
        if (status === '204' ? op.responses[status].content : !schema?.$ref) problems.push(`${where}: ${status} must ${status === '204' ? 'have no body' : 'name a component schema'}`);
      }
      for (const [status, ref] of Object.entries<any>(op.responses)) {
        const response = ref.$ref ? document.components.responses[ref.$ref.split('/').pop()] : ref;
        if (/^[45]/.test(status) && response.content?.['application/json']?.schema?.$ref !== '#/components/schemas/Error' && path !== '/ready') {
          problems.push(`${where}: ${status} must be the shared Error schema`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('matches the checked-in API types (test/support/herald-api.d.ts)', async () => {
    const generated = await generateApiTypes(document);
    if (process.env.HERALD_WRITE_API_TYPES) fs.writeFileSync(API_TYPES_FILE, generated);
    const checkedIn = fs.existsSync(API_TYPES_FILE) ? fs.readFileSync(API_TYPES_FILE, 'utf8') : '';
    // A differing file means the API changed without `npm run openapi:types`.
    expect(checkedIn === generated ? 'up to date' : 'stale: run npm run openapi:types').toBe('up to date');
  });

  it('has an operation for every API path the Studio calls', () => {
    const prefixes = new Set(Object.keys(document.paths).map((p) => p.split('/')[1]));
    const routes = Object.entries(document.paths as Record<string, Record<string, unknown>>).map(([template, item]) => ({
      segments: template.split('/'),
      methods: METHODS.filter((m) => item[m]).map((m) => m.toUpperCase()),
    }));
    // Segment by segment: a parameter matches any value; the Studio's `${...}` as the last segment
    // may also stand for literal ones (`/broadcasts/${id}/${action}`: start, pause, resume, cancel).
    const matches = (call: string[], route: string[]) =>
      call.length === route.length && call.every((seg, i) => seg === route[i] || /^\{.*\}$/.test(route[i]) || (i === call.length - 1 && seg.includes('{}') && new RegExp(`^${seg.split('{}').map((p) => p.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('.+')}$`).test(route[i])));
    const calls = studioApiCalls(prefixes);
    // The scan finds the pages' calls (a scanner that finds nothing would pass everything).
    expect(calls.length).toBeGreaterThan(40);
    const unknown = calls.filter((call) => {
      const found = routes.filter((r) => matches(call.path.split('/'), r.segments));
      return !found.length || (call.method !== undefined && !found.some((r) => r.methods.includes(call.method!)));
    });
    expect(unknown.map((c) => `${c.file}:${c.line} ${c.method ?? 'any'} ${c.path}`)).toEqual([]);
  });

  it('lists 401 and 503 for every authenticated operation, and none for public ones', () => {
    for (const { method, path, op } of operations(document)) {
      const authenticated = op.security.length > 0;
      expect({ route: `${method} ${path}`, 401: !!op.responses['401'] }).toEqual({ route: `${method} ${path}`, 401: authenticated });
    }
    const publicRoutes = operations(document).filter((o) => !o.op.security.length).map((o) => `${o.method} ${o.path}`);
    expect(publicRoutes.sort()).toEqual(['get /health', 'get /ready']);
  });
});
