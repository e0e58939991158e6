import * as net from 'node:net';
import { randomUUID } from 'node:crypto';
import { readTestServers } from '../setup/test-env';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';
import { freePort as deadPort } from '../support/ports';

describe('Temporal unreachable', () => {
  let down: TestHerald;
  let up: TestHerald;
  beforeAll(async () => {
    down = await startTestHerald({ worker: false, temporalAddress: `127.0.0.1:${await deadPort()}` });
  });
  afterAll(async () => {
    await down?.stop();
    await up?.stop();
  });

  it('accepts events (the ledger is the accept point) and processes them once Temporal is back; what needs Temporal now answers 503', async () => {
    const ws = await down.newWorkspace();
    const event = { type: 'identify', userId: 'r1', messageId: randomUUID(), traits: { v: 1 } };
    const res = await down.http.post('/inbound/rudderstack').set(ws.auth).send(event);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ messageId: event.messageId });
    const log = (await down.http.get('/inbound/events/log').set(ws.auth)).body.items;
    expect(log).toMatchObject([{ message_id: event.messageId, state: 'accepted', status: 'pending' }]);

    // Starting a run does need Temporal: 503 with Retry-After, which a client can retry.
    const invoke = await down.http.post('/automations/invoke').set(ws.auth).send({ automation: { steps: [{ action: 'exit' }] } });
    expect(invoke.status).toBe(503);
    expect(invoke.headers['retry-after']).toBe('3');
    expect(invoke.body).toEqual({ message: 'Temporal is unavailable; retry later', type: 'service_unavailable' });

    const ready = await down.http.get('/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'unavailable', database: 'up', temporal: 'down' });

    // A Herald whose Temporal works: its maintenance sweep wakes the shard nobody could wake.
    up = await startTestHerald({ env: { HERALD_SWEEP_INTERVAL: '2s' } });
    await waitUntil(async () => (await up.http.get('/profiles/r1').set(ws.auth)).status === 200, { what: 'profile r1', timeoutMs: 30_000 });
    const again = await up.http.post('/inbound/rudderstack').set(ws.auth).send(event);
    expect(again.body).toEqual({ messageId: event.messageId, duplicate: true });
    expect((await up.http.get('/ready')).body).toEqual({ status: 'ok', database: 'up', temporal: 'up' });
  });
});

describe('Postgres unreachable', () => {
  it('answers 503 with Retry-After while the database cannot be reached, then recovers', async () => {
    // A proxy in front of the real Postgres lets the test cut the database off and restore it.
    const target = new URL(readTestServers().databaseUrl);
    const sockets = new Set<net.Socket>();
    let open = true;
    const proxy = net.createServer((client) => {
      if (!open) return client.destroy();
      const upstream = net.connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const proxied = new URL(target.toString());
    proxied.port = String((proxy.address() as net.AddressInfo).port);
    const herald = await startTestHerald({ databaseUrl: proxied.toString() });
    try {
      const ws = await herald.newWorkspace();
      const first = { type: 'track', userId: 'p', event: 'Before', messageId: randomUUID() };
      await herald.http.post('/inbound/rudderstack').set(ws.auth).send(first).expect(202);

      open = false;
      for (const s of sockets) s.destroy();
      const event = { type: 'track', userId: 'p', event: 'During', messageId: randomUUID() };
      const res = await herald.http.post('/inbound/rudderstack').set(ws.auth).send(event);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('3');
      expect(res.body.type).toBe('service_unavailable');
      expect((await herald.http.get('/ready')).body.database).toBe('down');
      // A read too: the dashboard's fold and reads are Postgres only.
      const dashboard = await herald.http.get('/dashboard?window=day').set(ws.auth);
      expect([dashboard.status, dashboard.headers['retry-after'], dashboard.body.type]).toEqual([503, '3', 'service_unavailable']);

      open = true;
      const retry = await waitUntil(async () => {
        const r = await herald.http.post('/inbound/rudderstack').set(ws.auth).send(event);
        return r.status === 202 ? r : undefined;
      }, { what: 'recovery', timeoutMs: 30_000 });
      expect(retry.body).toEqual({ messageId: event.messageId });
      const log = await waitUntil(async () => {
        const items = (await herald.http.get('/inbound/events/log').set(ws.auth)).body.items;
        return items?.length === 2 && items.every((i: any) => i.status === 'unmapped') ? items : undefined;
      }, { what: 'both events processed' });
      expect(log.map((i: any) => i.message_id)).toEqual([event.messageId, first.messageId]);
    } finally {
      open = true;
      await herald.stop();
      for (const s of sockets) s.destroy();
      proxy.close();
    }
  });
});

describe('Temporal refusing for good', () => {
  let herald: TestHerald;
  beforeAll(async () => {
    // A namespace that does not exist: every start is NOT_FOUND, which no retry gets past.
    herald = await startTestHerald({ worker: false, env: { TEMPORAL_NAMESPACE: `missing-${randomUUID()}` } });
  });
  afterAll(async () => {
    await herald?.stop();
  });

  it('answers 502 naming the cause (not a retryable 503) and ends the run ERROR', async () => {
    const ws = await herald.newWorkspace();
    const res = await herald.http.post('/automations/invoke').set(ws.auth).send({ recipient: 'u', automation: { steps: [{ action: 'exit' }] } });
    expect({ status: res.status, retryAfter: res.headers['retry-after'], type: res.body.type }).toEqual({ status: 502, retryAfter: undefined, type: 'api_error' });
    expect(res.body.message).toMatch(/^Temporal rejected the request \(NOT_FOUND\): .*namespace/i);
    const runs = (await herald.http.get('/automations/runs').set(ws.auth)).body.items;
    expect(runs.map((r: any) => r.status)).toEqual(['ERROR']);
  });
});
