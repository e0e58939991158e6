import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { guardedAgents } from '../../src/common/net/guarded-agents';
import { startHttpSink } from '../support/http-sink';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Issue 12, item 1: the RudderStack data plane URL is checked when saved and at every connect by
 * the guard fetch-data and webhooks use. Herald here has no HERALD_ALLOW_PRIVATE_NETWORKS, and
 * local sinks stand where an internal service would: none of them may receive a request (the
 * write key travels as Basic auth on every batch).
 */
let herald: TestHerald;
let sink: Awaited<ReturnType<typeof startHttpSink>>;
let v6: { server: http.Server; port: number; hits: number } | undefined;

beforeAll(async () => {
  sink = await startHttpSink();
  // An IPv6 loopback listener, where the machine has one, so [::1] is refused by the guard, not by the network.
  await new Promise<void>((resolve) => {
    const state = { server: http.createServer((_req, res) => { state.hits++; res.end('{}'); }), port: 0, hits: 0 };
    state.server.once('error', () => resolve());
    state.server.listen(0, '::1', () => {
      state.port = (state.server.address() as AddressInfo).port;
      v6 = state;
      resolve();
    });
  });
  herald = await startTestHerald();
});

afterAll(async () => {
  await herald?.stop();
  await sink?.close();
  v6?.server.close();
});

const port = () => new URL(sink.url).port;

it('refuses, when saved, a data plane URL with a query, fragment or credentials, or at a private address in any spelling', async () => {
  const ws = await herald.newWorkspace();
  const cases: Array<[string, RegExp]> = [
    [`http://127.0.0.1:${port()}/internal/admin/x?ignored=`, /query string/],
    [`https://dp.example.com/?a=1`, /query string/],
    [`https://dp.example.com/#frag`, /fragment/],
    [`https://user:pass@dp.example.com`, /credentials/],
    [`http://127.0.0.1:${port()}`, /non-public address/],
    [`http://[::1]:${v6?.port ?? port()}`, /non-public address/],
    [`http://localhost:${port()}`, /non-public address/],
    [`http://2130706433:${port()}`, /non-public address/],
    [`http://0x7f.0.0.1:${port()}`, /non-public address/],
    [`http://127.1:${port()}`, /non-public address/],
    [`http://[::ffff:127.0.0.1]:${port()}`, /non-public address/],
    [`http://169.254.169.254`, /non-public address/],
    [`http://10.0.0.1`, /non-public address/],
    [`http://[fd00::1]`, /non-public address/],
  ];
  for (const [url, why] of cases) {
    const res = await herald.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: 'wk_secret_ssrf', data_plane_url: url });
    expect({ url, status: res.status, message: res.body.message }).toEqual({ url, status: 400, message: expect.stringMatching(why) });
    expect(res.text).not.toContain('wk_secret_ssrf');
  }
  // Nothing was saved, and a public URL still is (normalised: no trailing slash).
  expect((await herald.http.get('/integrations/rudderstack').set(ws.auth)).status).toBe(404);
  const ok = await herald.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: 'wk_secret_ssrf', data_plane_url: 'https://dp.example.com/rudder/' });
  expect(ok.status).toBe(200);
  expect(ok.body).toMatchObject({ data_plane_url: 'https://dp.example.com/rudder', write_key: '…ssrf' });
  expect(sink.requests).toHaveLength(0);
});

it('refuses at connect time a private address the saved URL reaches anyway (a literal IP, IPv6, or a name resolving to loopback)', async () => {
  const targets = [`http://127.0.0.1:${port()}`, `http://localhost:${port()}`, ...(v6 ? [`http://[::1]:${v6.port}`] : [])];
  for (const target of targets) {
    const ws = await herald.newWorkspace();
    await herald.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: 'wk_connect_secret', data_plane_url: 'https://dp.example.com' }).expect(200);
    // As if saved before this check existed, or a name that resolved elsewhere when it was saved.
    await herald.db.query(`UPDATE rudderstack_integrations SET data_plane_url = $2 WHERE workspace_id = $1`, [ws.id, target]);
    await herald.http.put('/notifications/note').set(ws.auth).send({ name: 'Note', channels: { inbox: { title: 'Hi', body: 'b' } } }).expect(200);
    expect((await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'ssrf-user' }, template: 'note' } })).status).toBe(202);
    const view = await waitUntil(async () => {
      const v = (await herald.http.get('/integrations/rudderstack').set(ws.auth)).body;
      return v.last_error ? v : undefined;
    }, { timeoutMs: 30_000, what: `the emitter to try ${target}` });
    // Refused by the guard (not a connection error that would tell open ports from closed ones), and for good.
    expect({ target, status: view.status, last_error: view.last_error }).toEqual({ target, status: 'failing', last_error: expect.stringMatching(/non-public address/) });
    expect(view.events_pending).toBeGreaterThan(0);
  }
  expect(sink.requests).toHaveLength(0);
  expect(v6?.hits ?? 0).toBe(0);
}, 120_000);

it('the node:http agents the SDK uses refuse a literal loopback IP before connecting, and a name after resolving it', async () => {
  const { httpAgent } = guardedAgents([]);
  const attempt = (url: string) =>
    new Promise<string>((resolve) => {
      const req = http.get(url, { agent: httpAgent }, (res) => {
        res.resume();
        resolve(`answered ${res.statusCode}`);
      });
      req.on('error', (err) => resolve(err.message));
    });
  expect(await attempt(`${sink.url}/v1/batch`)).toMatch(/non-public address/);
  expect(await attempt(`http://localhost:${port()}/v1/batch`)).toMatch(/non-public address/);
  expect(sink.requests).toHaveLength(0);
  // With the address allowed, the same agent connects: the refusal above is the guard's.
  const allowed = guardedAgents(['127.0.0.1/32']).httpAgent;
  const res = await new Promise<number>((resolve, reject) => http.get(`${sink.url}/ok`, { agent: allowed }, (r) => { r.resume(); resolve(r.statusCode ?? 0); }).on('error', reject));
  expect(res).toBe(200);
  expect(sink.requests.map((r) => r.url)).toEqual(['/ok']);
  sink.requests.length = 0;
});
