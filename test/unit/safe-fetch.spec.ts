import { ApplicationFailure } from '@temporalio/common';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLegacyFetchDataActivities as createFetchDataActivities } from '../../activities/legacy/fetch-data.activities';
import {
  DestinationRefusedError,
  HttpTimeoutError,
  InvalidUrlError,
  ResponseTooLargeError,
  TooManyRedirectsError,
  safeFetch,
} from '../../src/common/net/safe-fetch';

// Every request here goes to a server this file started on a loopback address; no test
// connects to a public address.

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface TestServer {
  host: string;
  port: number;
  origin: string;
  received: Received[];
  /** TCP connections accepted (a refused destination must not even get one). */
  connections: number;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, received: Received, server: TestServer) => void;

const servers: TestServer[] = [];

async function startServer(handler: Handler, host = '127.0.0.1'): Promise<TestServer> {
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer();
  const state: TestServer = {
    host,
    port: 0,
    origin: '',
    received: [],
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      state.received.push(received);
      handler(req, res, received, state);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  state.port = (server.address() as AddressInfo).port;
  state.origin = `http://${host}:${state.port}`;
  servers.push(state);
  return state;
}

const json = (status: number, value: unknown): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
};

const text = (status: number, body: string, contentType = 'text/plain'): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
};

const redirectTo = (location: string | ((s: TestServer) => string), status = 302): Handler => (_req, res, _r, s) => {
  res.writeHead(status, { location: typeof location === 'string' ? location : location(s) });
  res.end();
};

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

const LOOPBACK = ['127.0.0.0/8'];

describe('safeFetch: destinations', () => {
  it('refuses a loopback server when no private network is allowed, without connecting', async () => {
    const server = await startServer(json(200, { ok: true }));
    const err = await caught(safeFetch(`${server.origin}/data`, { allowPrivateNetworks: [] }));
    expect(err).toBeInstanceOf(DestinationRefusedError);
    expect(err.message).toContain('127.0.0.1');
    expect(err.message).toContain('HERALD_ALLOW_PRIVATE_NETWORKS');
    expect(server.connections).toBe(0);
    expect(server.received).toHaveLength(0);
  });

  it('reaches a loopback server when its CIDR is allowed', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-reply': 'yes' });
      res.end('{"ok":true}');
    });
    const res = await safeFetch(`${server.origin}/data?x=1`, { allowPrivateNetworks: LOOPBACK });
    expect(res).toEqual(expect.objectContaining({ status: 200, body: '{"ok":true}', url: `${server.origin}/data?x=1` }));
    expect(res.headers['x-reply']).toBe('yes');
    expect(server.received.map((r) => r.url)).toEqual(['/data?x=1']);
  });

  it('refuses a name resolving to loopback (localhost), checked on the resolved address', async () => {
    const server = await startServer(json(200, { ok: true }));
    const err = await caught(safeFetch(`http://localhost:${server.port}/`, { allowPrivateNetworks: [] }));
    expect(err).toBeInstanceOf(DestinationRefusedError);
    expect(err.message).toContain('localhost');
    expect(err.message).toMatch(/127\.0\.0\.1|::1/);
    expect(server.connections).toBe(0);
  });

  it('reaches localhost when the loopback ranges are allowed', async () => {
    const server = await startServer(json(200, { via: 'name' }));
    const res = await safeFetch(`http://localhost:${server.port}/`, { allowPrivateNetworks: ['127.0.0.0/8', '::1/128'] });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ via: 'name' });
  });

  it('refuses other spellings of loopback: IPv4-mapped IPv6, decimal, another address of 127/8', async () => {
    const server = await startServer(json(200, {}));
    const other = await startServer(json(200, {}), '127.0.0.2');
    for (const url of [
      `http://[::ffff:127.0.0.1]:${server.port}/`,
      `http://2130706433:${server.port}/`,
      `http://0x7f.0.0.1:${server.port}/`,
      `http://[::1]:${server.port}/`,
    ]) {
      expect(await caught(safeFetch(url, { allowPrivateNetworks: [] }))).toBeInstanceOf(DestinationRefusedError);
    }
    expect(await caught(safeFetch(other.origin, { allowPrivateNetworks: ['127.0.0.1/32'] }))).toBeInstanceOf(DestinationRefusedError);
    expect(server.connections + other.connections).toBe(0);
  });

  it('accepts only http: and https: URLs', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://127.0.0.1/x', 'gopher://127.0.0.1:70/', 'not a url', '/relative']) {
      const err = await caught(safeFetch(url, { allowPrivateNetworks: LOOPBACK }));
      expect(err).toBeInstanceOf(InvalidUrlError);
    }
  });

  it('rejects an invalid CIDR in the allow-list, naming it', async () => {
    const err = await caught(safeFetch('http://127.0.0.1:1/', { allowPrivateNetworks: ['127.0.0.0/99'] }));
    expect(err.message).toContain('127.0.0.0/99');
  });

  it('reuses one agent (and its kept-alive connection) for the same allow-list', async () => {
    const server = await startServer(json(200, {}));
    await safeFetch(server.origin, { allowPrivateNetworks: ['127.0.0.0/8', '10.0.0.0/8'] });
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the connection return to the pool
    await safeFetch(server.origin, { allowPrivateNetworks: [' 10.0.0.0/8', '127.0.0.0/8'] });
    expect(server.received).toHaveLength(2);
    expect(server.connections).toBe(1);
  });
});

describe('safeFetch: redirects', () => {
  it('follows redirects between allowed servers and reports the final URL', async () => {
    const target = await startServer(json(200, { final: true }));
    const start = await startServer(redirectTo(`${target.origin}/end`, 301));
    const res = await safeFetch(`${start.origin}/begin`, { allowPrivateNetworks: LOOPBACK });
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${target.origin}/end`);
    expect(JSON.parse(res.body)).toEqual({ final: true });
  });

  it('refuses a redirect to a literal address outside the allowed range', async () => {
    const forbidden = await startServer(json(200, { secret: true }), '127.0.0.2');
    const start = await startServer(redirectTo(`${forbidden.origin}/`));
    const err = await caught(safeFetch(start.origin, { allowPrivateNetworks: ['127.0.0.1/32'] }));
    expect(err).toBeInstanceOf(DestinationRefusedError);
    expect(err.message).toContain('127.0.0.2');
    expect(start.received).toHaveLength(1);
    expect(forbidden.connections).toBe(0);
  });

  it('refuses a redirect to a name that resolves to a refused range', async () => {
    // localhost resolves to 127.0.0.1 and/or ::1; only 127.0.0.2 is allowed, so either way it is refused.
    const forbidden = await startServer(json(200, { secret: true }), '127.0.0.1');
    const start = await startServer(redirectTo(`http://localhost:${forbidden.port}/`), '127.0.0.2');
    const err = await caught(safeFetch(start.origin, { allowPrivateNetworks: ['127.0.0.2/32'] }));
    expect(err).toBeInstanceOf(DestinationRefusedError);
    expect(err.message).toContain('localhost');
    expect(start.received).toHaveLength(1);
    expect(forbidden.connections).toBe(0);
  });

  it('stops after maxRedirects', async () => {
    const loop = await startServer(redirectTo((s) => `${s.origin}/again`, 307));
    const err = await caught(safeFetch(loop.origin, { allowPrivateNetworks: LOOPBACK, maxRedirects: 2 }));
    expect(err).toBeInstanceOf(TooManyRedirectsError);
    expect(loop.received).toHaveLength(3); // the first request and two followed redirects
  });

  it('follows exactly maxRedirects redirects', async () => {
    const target = await startServer(json(200, { done: true }));
    const second = await startServer(redirectTo(`${target.origin}/`));
    const first = await startServer(redirectTo(`${second.origin}/`));
    const res = await safeFetch(first.origin, { allowPrivateNetworks: LOOPBACK, maxRedirects: 2 });
    expect(res.status).toBe(200);
    expect(target.received).toHaveLength(1);
  });

  it('turns POST into a body-less GET on 303 and keeps it on 307', async () => {
    const target = await startServer(json(200, {}));
    const see = await startServer(redirectTo(`${target.origin}/see`, 303));
    const keep = await startServer(redirectTo(`${target.origin}/keep`, 307));
    const options = { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' }, allowPrivateNetworks: LOOPBACK };
    await safeFetch(see.origin, options);
    await safeFetch(keep.origin, options);
    const [afterSee, afterKeep] = target.received;
    expect(afterSee).toEqual(expect.objectContaining({ method: 'GET', url: '/see', body: '' }));
    expect(afterSee.headers['content-type']).toBeUndefined();
    expect(afterKeep).toEqual(expect.objectContaining({ method: 'POST', url: '/keep', body: '{"a":1}' }));
    expect(afterKeep.headers['content-type']).toBe('application/json');
  });

  it('drops Authorization on a cross-origin redirect but keeps other headers', async () => {
    const target = await startServer(json(200, {}));
    const start = await startServer(redirectTo(`${target.origin}/`));
    await safeFetch(start.origin, { headers: { authorization: 'Bearer s3cret', 'x-custom': 'kept' }, allowPrivateNetworks: LOOPBACK });
    expect(start.received[0].headers.authorization).toBe('Bearer s3cret');
    expect(target.received[0].headers.authorization).toBeUndefined();
    expect(target.received[0].headers['x-custom']).toBe('kept');
  });
});

describe('safeFetch: limits', () => {
  it('times out on a server that never answers', async () => {
    const silent = await startServer(() => undefined);
    const started = Date.now();
    const err = await caught(safeFetch(silent.origin, { allowPrivateNetworks: LOOPBACK, timeoutMs: 300 }));
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(HttpTimeoutError);
    expect(err.message).toContain('300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('times out on a body that never ends (the timeout covers the body)', async () => {
    const trickle = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    });
    const started = Date.now();
    const err = await caught(safeFetch(trickle.origin, { allowPrivateNetworks: LOOPBACK, timeoutMs: 300 }));
    expect(err).toBeInstanceOf(HttpTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses a body larger than maxResponseBytes, with or without Content-Length', async () => {
    const declared = await startServer(text(200, 'x'.repeat(2_000)));
    const chunked = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }); // no Content-Length: chunked
      for (let i = 0; i < 20; i++) res.write('y'.repeat(100));
      res.end();
    });
    for (const server of [declared, chunked]) {
      const err = await caught(safeFetch(server.origin, { allowPrivateNetworks: LOOPBACK, maxResponseBytes: 1_000 }));
      expect(err).toBeInstanceOf(ResponseTooLargeError);
    }
    const fits = await safeFetch(chunked.origin, { allowPrivateNetworks: LOOPBACK, maxResponseBytes: 2_000 });
    expect(fits.body).toHaveLength(2_000);
  });
});

describe('fetchData activity', () => {
  const SECRET = 'Bearer tok-9f8e7d6c5b4a';
  const API_KEY = 'key-0123456789abcdef';
  const { fetchData } = createFetchDataActivities({ config: { allowPrivateNetworks: LOOPBACK } });
  const refusing = createFetchDataActivities({ config: { allowPrivateNetworks: [] } });
  const secretHeaders = { authorization: SECRET, 'x-api-key': API_KEY };

  function expectNoSecrets(err: Error): void {
    const everything = `${err.message}\n${err.stack ?? ''}\n${String((err as { cause?: unknown }).cause ?? '')}`;
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain('tok-9f8e7d6c5b4a');
    expect(everything).not.toContain(API_KEY);
  }

  function expectNonRetryable(err: Error, type: string): void {
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).type).toBe(type);
  }

  function expectRetryable(err: Error): void {
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
  }

  it('returns the parsed JSON body of a 2xx response', async () => {
    const server = await startServer(json(200, { plan: 'pro', seats: 3 }));
    await expect(fetchData({ url: `${server.origin}/account` })).resolves.toEqual({ status: 200, body: { plan: 'pro', seats: 3 } });
    expect(server.received[0].method).toBe('GET');
  });

  it('returns {} for an empty 2xx body', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    await expect(fetchData({ url: server.origin, method: 'DELETE' })).resolves.toEqual({ status: 204, body: {} });
    expect(server.received[0].method).toBe('DELETE');
  });

  it('appends params to the query string', async () => {
    const server = await startServer(json(200, {}));
    await fetchData({ url: `${server.origin}/search?fixed=1`, params: { q: 'a b&c', limit: 5, active: true } });
    const query = new URL(server.received[0].url, server.origin).searchParams;
    expect(query.get('fixed')).toBe('1');
    expect(query.get('q')).toBe('a b&c');
    expect(query.get('limit')).toBe('5');
    expect(query.get('active')).toBe('true');
  });

  it('sends a non-string body as JSON with Content-Type, and passes the given headers', async () => {
    const server = await startServer(json(201, { created: true }));
    const result = await fetchData({ url: server.origin, method: 'POST', headers: secretHeaders, body: { user: { id: 'u1' } } });
    expect(result).toEqual({ status: 201, body: { created: true } });
    const got = server.received[0];
    expect(got.method).toBe('POST');
    expect(got.headers['content-type']).toBe('application/json');
    expect(JSON.parse(got.body)).toEqual({ user: { id: 'u1' } });
    expect(got.headers.authorization).toBe(SECRET);
    expect(got.headers['x-api-key']).toBe(API_KEY);
  });

  it('sends a string body as is and keeps a given Content-Type', async () => {
    const server = await startServer(json(200, {}));
    await fetchData({ url: server.origin, method: 'PUT', headers: { 'Content-Type': 'text/csv' }, body: 'a,b\n1,2' });
    expect(server.received[0].headers['content-type']).toBe('text/csv');
    expect(server.received[0].body).toBe('a,b\n1,2');
  });

  it.each([500, 503, 429, 408])('%i is a retryable plain Error naming status and host', async (status) => {
    const server = await startServer(json(status, { error: 'busy' }));
    const err = await caught(fetchData({ url: `${server.origin}/x`, headers: secretHeaders }));
    expectRetryable(err);
    expect(err.message).toContain(String(status));
    expect(err.message).toContain(`127.0.0.1:${server.port}`);
    expectNoSecrets(err);
  });

  it('a network error is retryable', async () => {
    const server = await startServer((req) => req.socket.destroy());
    const err = await caught(fetchData({ url: server.origin, headers: secretHeaders }));
    expectRetryable(err);
    expect(err.message).toContain(`127.0.0.1:${server.port}`);
    expectNoSecrets(err);
  });

  it('404 is a non-retryable FetchDataHttpError naming the status', async () => {
    const server = await startServer(json(404, { error: 'nope' }));
    const err = await caught(fetchData({ url: server.origin, headers: secretHeaders }));
    expectNonRetryable(err, 'FetchDataHttpError');
    expect(err.message).toContain('404');
    expectNoSecrets(err);
  });

  it('a non-JSON 2xx body is a non-retryable FetchDataNotJson', async () => {
    const server = await startServer(text(200, '<html>hello</html>', 'text/html'));
    const err = await caught(fetchData({ url: server.origin, headers: secretHeaders }));
    expectNonRetryable(err, 'FetchDataNotJson');
    expect(err.message).toBe(`fetch-data: response from 127.0.0.1:${server.port} is not JSON`);
    expectNoSecrets(err);
  });

  it('a refused destination is a non-retryable DestinationRefused, and nothing is sent', async () => {
    const server = await startServer(json(200, {}));
    const err = await caught(refusing.fetchData({ url: server.origin, headers: secretHeaders }));
    expectNonRetryable(err, 'DestinationRefused');
    expect(err.message).toContain('HERALD_ALLOW_PRIVATE_NETWORKS');
    expect(server.connections).toBe(0);
    expectNoSecrets(err);
  });

  it('an invalid or non-http URL is a non-retryable FetchDataInvalidUrl', async () => {
    for (const url of ['::not a url::', 'file:///etc/passwd']) {
      const err = await caught(fetchData({ url, headers: secretHeaders }));
      expectNonRetryable(err, 'FetchDataInvalidUrl');
      expectNoSecrets(err);
    }
  });

  it('never puts a header value in an error, even when it echoes back in a redirect', async () => {
    // The server redirects to a forbidden place whose path carries the header value.
    const forbidden = await startServer(json(200, {}), '127.0.0.2');
    const server = await startServer((req, res) => {
      res.writeHead(302, { location: `${forbidden.origin}/${encodeURIComponent(String(req.headers['x-api-key']))}` });
      res.end();
    });
    const onlyFirst = createFetchDataActivities({ config: { allowPrivateNetworks: ['127.0.0.1/32'] } });
    const err = await caught(onlyFirst.fetchData({ url: server.origin, headers: { 'x-api-key': API_KEY } }));
    expectNonRetryable(err, 'DestinationRefused');
    expect(err.message).toContain('127.0.0.2');
    expect(server.received[0].headers['x-api-key']).toBe(API_KEY);
    expect(forbidden.connections).toBe(0);
    expectNoSecrets(err);
  });

  it('a header that cannot be sent is a non-retryable FetchDataInvalidRequest, and nothing is sent', async () => {
    const server = await startServer(json(200, {}));
    const err = await caught(fetchData({ url: server.origin, headers: { authorization: `${SECRET}\r\nx-injected: 1` } }));
    expectNonRetryable(err, 'FetchDataInvalidRequest');
    expect(server.received).toHaveLength(0);
    expectNoSecrets(err);
  });

  it('a network error after a redirect names the host it happened on', async () => {
    const dropping = await startServer((req) => req.socket.destroy(), '127.0.0.2');
    const start = await startServer(redirectTo(`${dropping.origin}/`));
    const err = await caught(fetchData({ url: start.origin, headers: secretHeaders }));
    expectRetryable(err);
    expect(err.message).toContain(`127.0.0.2:${dropping.port}`);
    expectNoSecrets(err);
  });
});
