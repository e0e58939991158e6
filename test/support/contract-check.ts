import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import request from 'supertest';
import { OpenApiContract, OpenApiDocument } from './openapi-contract';

/**
 * Every response a test Herald sends is checked against its live OpenAPI document, whoever asked
 * (supertest, fetch, the Studio in a browser). A supertest request fails at once with the reason;
 * any other request's violation fails the test it happened in (afterEach).
 */
const REQUEST_ID = 'x-herald-contract-request';
const SKIP = 'x-herald-contract';

const byRequest = new Map<string, string>();
const unclaimed: string[] = [];
let nextId = 0;

if (typeof afterEach === 'function') {
  afterEach(() => {
    if (!unclaimed.length) return;
    const found = unclaimed.splice(0);
    throw new Error(`responses the OpenAPI document does not describe:\n${found.join('\n\n')}`);
  });
}

const contracts = new Map<string, OpenApiContract>();

export async function checkResponses(server: Server): Promise<{ http: ReturnType<typeof request>; rawHttp: ReturnType<typeof request>; contract: OpenApiContract }> {
  const raw = request(server);
  const docRes = await raw.get('/docs/openapi.json').expect(200);
  const text = JSON.stringify(docRes.body);
  let contract = contracts.get(text);
  if (!contract) {
    contract = new OpenApiContract(docRes.body as OpenApiDocument);
    contracts.set(text, contract);
  }
  const checked = contract;
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers[SKIP] === 'off' || !checked.route(req.method ?? 'GET', req.url ?? '/')) return;
    capture(res, (body) => {
      const violation = checked.check({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        status: res.statusCode,
        contentType: String(res.getHeader('content-type') ?? ''),
        body,
        conditional: Boolean(req.headers['if-none-match'] || req.headers['if-modified-since']),
      });
      if (!violation) return;
      const id = req.headers[REQUEST_ID];
      if (typeof id === 'string') byRequest.set(id, violation);
      else unclaimed.push(violation);
    });
  });
  return { http: checkedAgent(server), rawHttp: uncheckedAgent(server), contract };
}

/** Calls `done` with the whole body when the response ends (before it reaches the client). */
function capture(res: ServerResponse, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const keep = (chunk: unknown, encoding?: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
  };
  (res as { write: unknown }).write = (chunk: unknown, encoding?: unknown, cb?: unknown) => {
    keep(chunk, encoding);
    return write(chunk, encoding, cb);
  };
  (res as { end: unknown }).end = (chunk?: unknown, encoding?: unknown, cb?: unknown) => {
    keep(chunk, encoding);
    try {
      done(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      unclaimed.push(`the contract check itself failed: ${(err as Error).stack}`);
    }
    return end(chunk, encoding, cb);
  };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;

function checkedAgent(server: Server): ReturnType<typeof request> {
  const agent = request(server);
  const wrapped: Record<string, unknown> = { ...agent };
  for (const method of METHODS) {
    wrapped[method] = (url: string) => {
      const id = String(++nextId);
      return agent[method](url)
        .set(REQUEST_ID, id)
        .expect(() => {
          const violation = byRequest.get(id);
          byRequest.delete(id);
          if (violation) throw new Error(violation);
        });
    };
  }
  wrapped.del = wrapped.delete;
  return wrapped as unknown as ReturnType<typeof request>;
}

function uncheckedAgent(server: Server): ReturnType<typeof request> {
  const agent = request(server);
  const wrapped: Record<string, unknown> = { ...agent };
  for (const method of METHODS) wrapped[method] = (url: string) => agent[method](url).set(SKIP, 'off');
  wrapped.del = wrapped.delete;
  return wrapped as unknown as ReturnType<typeof request>;
}
