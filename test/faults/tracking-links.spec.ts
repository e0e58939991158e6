import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { SecretsService } from '../../src/messages/secrets.service';
import { signTrackingToken } from '../../src/messages/tracking/tracking-tokens';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Issue 12, items 8 and 2: a click link stops redirecting at its expiry (not an open redirect
 * forever), and a client that sends its body slowly cannot hold a socket past the server's
 * request timeout.
 */
let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald();
});

afterAll(async () => {
  await herald?.stop();
});

it('a click token redirects until its expiry, then answers 410; a token for a non-http target cannot be made', async () => {
  const secret = await herald.app.get(SecretsService).trackingSecret();
  const live = signTrackingToken({ w: 'w', m: 'm', k: 'c', u: 'https://example.com/landing' }, secret);
  const res = await herald.http.get(`/t/c/${live}`).redirects(0);
  expect({ status: res.status, location: res.headers.location }).toEqual({ status: 302, location: 'https://example.com/landing' });
  const expired = signTrackingToken({ w: 'w', m: 'm', k: 'c', u: 'https://example.com/landing' }, secret, Date.now() - 2 * 86_400_000, 86_400_000);
  const gone = await herald.http.get(`/t/c/${expired}`).redirects(0);
  expect({ status: gone.status, location: gone.headers.location }).toEqual({ status: 410, location: undefined });
  expect(() => signTrackingToken({ w: 'w', m: 'm', k: 'c', u: 'javascript:alert(1)' }, secret)).toThrow(TypeError);
});

it('a body sent a byte at a time is cut off by the request timeout (30 s), not held for minutes', async () => {
  const server = herald.app.getHttpServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const { port } = server.address() as AddressInfo;
    // With a valid key (without one, the body is never read: an immediate 401).
    const { key } = await herald.newWorkspace();
    const socket = net.connect(port, '127.0.0.1');
    let closedAt = 0;
    socket.on('close', () => (closedAt = Date.now()));
    socket.on('error', () => undefined);
    const started = Date.now();
    socket.write(`POST /inbound/rudderstack HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`);
    const drip = setInterval(() => socket.writable && socket.write(' '), 1_000);
    try {
      await waitUntil(async () => closedAt > 0, { timeoutMs: 45_000, intervalMs: 250, what: 'the server to close the slow request' });
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
    expect(closedAt - started).toBeLessThan(40_000);
    expect(closedAt - started).toBeGreaterThanOrEqual(25_000);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}, 60_000);
