import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHttpSink } from '../support/http-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Issue 12, item 9: a profile may choose where its signed webhook bodies go, but a workspace can
 * restrict webhooks to an allow list of hosts, checked on the URL and on every redirect hop.
 */
let herald: TestHerald;
let sink: Awaited<ReturnType<typeof startHttpSink>>;
let redirector: http.Server;
let redirectorPort: number;

beforeAll(async () => {
  sink = await startHttpSink();
  // 127.0.0.1 redirects to localhost: a hop to a host off the list.
  redirector = http.createServer((_req, res) => res.writeHead(307, { Location: `http://localhost:${new URL(sink.url).port}/after-redirect` }).end());
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', () => r()));
  redirectorPort = (redirector.address() as AddressInfo).port;
  herald = await startTestHerald({ env: { HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32,::1/128' } });
});

afterAll(async () => {
  await herald?.stop();
  await sink?.close();
  redirector?.close();
});

async function sendTo(auth: Record<string, string>, user: string, url: string): Promise<Record<string, any>> {
  await herald.http.put(`/profiles/${user}`).set(auth).send({ profile: { webhook_url: url } }).expect(200);
  const id = (await herald.http.post('/send').set(auth).send({ message: { to: { user_id: user }, template: 'hook' } }).expect(202)).body.requestId;
  return waitUntil(async () => {
    const m = (await herald.http.get(`/messages/${id}`).set(auth)).body;
    return ['DELIVERED', 'UNDELIVERABLE', 'UNROUTABLE'].includes(m.status) ? m : undefined;
  }, { what: `message to ${url} decided` });
}

it('with an allow list, a profile webhook to another host is refused (also after a redirect); the listed host is delivered', async () => {
  const ws = await herald.newWorkspace();
  await herald.http.put('/notifications/hook').set(ws.auth).send({ name: 'Hook', channels: { webhook: { body: { hi: true } } } }).expect(200);
  expect((await herald.http.get('/webhooks/allowed-hosts').set(ws.auth)).body).toEqual({ hosts: null });
  const port = new URL(sink.url).port;

  // No list: any (allowed) host.
  expect((await sendTo(ws.auth, 'free', `http://localhost:${port}/free`)).status).toBe('DELIVERED');

  expect((await herald.http.put('/webhooks/allowed-hosts').set(ws.auth).send({ hosts: ['127.0.0.1', '*.hooks.example.com'] })).body).toEqual({ hosts: ['127.0.0.1', '*.hooks.example.com'] });
  const off = await sendTo(ws.auth, 'off-list', `http://localhost:${port}/off-list`);
  expect({ status: off.status, error: off.error }).toEqual({ status: 'UNDELIVERABLE', error: expect.stringMatching(/localhost is not one of the workspace's allowed webhook hosts/) });
  const hop = await sendTo(ws.auth, 'hop', `http://127.0.0.1:${redirectorPort}/start`);
  expect({ status: hop.status, error: hop.error }).toEqual({ status: 'UNDELIVERABLE', error: expect.stringMatching(/localhost is not one of the workspace's allowed webhook hosts/) });
  expect((await sendTo(ws.auth, 'listed', `http://127.0.0.1:${port}/listed`)).status).toBe('DELIVERED');
  expect(sink.requests.map((r) => r.url)).toEqual(['/free', '/listed']);

  // Another workspace is not restricted by this one's list.
  const other = await herald.newWorkspace();
  await herald.http.put('/notifications/hook').set(other.auth).send({ name: 'Hook', channels: { webhook: { body: { hi: true } } } }).expect(200);
  expect((await sendTo(other.auth, 'elsewhere', `http://localhost:${port}/elsewhere`)).status).toBe('DELIVERED');

  // null lifts the restriction.
  expect((await herald.http.put('/webhooks/allowed-hosts').set(ws.auth).send({ hosts: null })).body).toEqual({ hosts: null });
  await waitUntil(async () => (await sendTo(ws.auth, `again-${Date.now()}`, `http://localhost:${port}/again`)).status === 'DELIVERED', { timeoutMs: 20_000, what: 'the lifted list to reach the worker' });
}, 120_000);

it('refuses a malformed list with a 400 naming the entry', async () => {
  const ws = await herald.newWorkspace();
  for (const [hosts, why] of [
    [['https://hooks.example.com'], /hosts\[0\]/],
    [['hooks.example.com:443'], /hosts\[0\]/],
    [[1], /hosts\[0\]/],
    ['hooks.example.com', /array/],
    [Array.from({ length: 101 }, (_, i) => `h${i}.example.com`), /at most 100/],
  ] as Array<[unknown, RegExp]>) {
    const res = await herald.http.put('/webhooks/allowed-hosts').set(ws.auth).send({ hosts });
    expect({ hosts, status: res.status, message: res.body.message }).toEqual({ hosts, status: 400, message: expect.stringMatching(why) });
  }
  expect((await herald.http.put('/webhooks/allowed-hosts').set(ws.auth).send({})).status).toBe(400);
});
