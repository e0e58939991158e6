import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { execFileSync } from 'node:child_process';
import pino from 'pino';
import { resolveTemporalBinary } from '../../src/temporal/temporal-binary';
import { installTemporalRuntime } from '../../src/temporal/worker-host.service';
import { Worker } from '@temporalio/worker';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { readTestServers } from '../setup/test-env';
import { invokeAdHoc, publishedTemplate, runReaches } from '../support/automations';
import { EncryptionCodec } from '../../src/temporal/codec/encryption-codec';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Determinism guard: the committed histories of real runs (test/histories/*.json) must replay
 * against today's workflow code. A change that would break running runs fails here; such a
 * change needs `patched()` (see README). `npm run record:histories` records them again.
 */
const HISTORIES = path.resolve(__dirname, '../histories');
/**
 * Histories recorded with the payload codec are encrypted under this (test-only) installation
 * key; earlier ones are not, and the codec passes them through.
 */
const HISTORY_KEY = 'recorded-histories-test-installation-key-0001';
const RECORD = process.env.HERALD_RECORD_HISTORIES === '1';

const describeReplay = RECORD ? describe.skip : describe;
const describeRecord = RECORD ? describe : describe.skip;

describeReplay('recorded histories replay against the current workflow code', () => {
  beforeAll(() => installTemporalRuntime(pino({ level: 'silent' }), 'silent'));
  // Older histories stay in subfolders: runs recorded by earlier code must keep replaying.
  const files = (fs.readdirSync(HISTORIES, { recursive: true }) as string[]).filter((f) => f.endsWith('.json')).sort();

  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });

  it.each(files)('%s', async (file) => {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
    // Throws DeterminismViolationError (or another failure) when the code no longer matches.
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: readTestServers().workflowBundlePath }, replayName: file, dataConverter: { payloadCodecs: [new EncryptionCodec(HISTORY_KEY)] } },
      history,
      file,
    );
  });
});

describeRecord('record histories (HERALD_RECORD_HISTORIES=1)', () => {
  let herald: TestHerald;
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    herald = await startTestHerald({ env: { HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32', HERALD_SWEEP_INTERVAL: '2s', HERALD_SEALING_KEY: HISTORY_KEY } });
    // Answers fetch-data with JSON and the outbound data plane's /v1/batch with 200.
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"fetched":true}'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await herald?.stop();
    server?.close();
  });

  async function save(name: string, workflowId: string, runId?: string) {
    const handle = herald.temporal.client.workflow.getHandle(workflowId, runId);
    await waitUntil(async () => (await handle.describe()).status.name !== 'RUNNING', { what: `${name} to close` });
    // The CLI writes the standard JSON history format (the one the Temporal UI downloads).
    const json = execFileSync(resolveTemporalBinary(), ['workflow', 'show', '--workflow-id', workflowId, ...(runId ? ['--run-id', runId] : []), '--output', 'json', '--address', readTestServers().temporalAddress], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    fs.writeFileSync(path.join(HISTORIES, `${name}.json`), `${JSON.stringify(JSON.parse(json), null, 1)}\n`);
  }

  it('records', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/integrations/rudderstack').set(ws.auth).send({ write_key: 'history-key', data_plane_url: `http://127.0.0.1:${port}`, journey_events: true }).expect(200);
    await publishedTemplate(herald, ws.auth, { name: 'Child', alias: 'child', steps: [{ action: 'send', template: 'child' }] });
    const all = await invokeAdHoc(herald, ws.auth, {
      recipient: 'h1',
      data: { plan: 'pro' },
      automation: {
        cancelation_token: 'hist-${recipient}',
        steps: [
          { action: 'send', ref: 'first', template: 'hello', if: "data.plan == 'pro'" },
          { action: 'send', template: 'skipped', if: ['data.plan', 'is equal', 'free'] },
          { action: 'fetch-data', webhook: { url: `http://127.0.0.1:${port}/data` }, merge_strategy: 'overwrite' },
          { action: 'update-profile', recipient_id: 'h1', profile: { seen: true }, merge: 'overwrite' },
          { action: 'get-profile', user_id: 'h1' },
          { action: 'branch', paths: [{ if: 'data.fetched', steps: [{ action: 'delay', duration: '1 second' }] }], default: { steps: [] } },
          { action: 'wait-for', ref: 'w', event: 'Never', timeout: '1 second' },
          { action: 'throttle', max_allowed: 5, period: '1 hour', scope: 'user' },
          { action: 'add-to-batch', wait_period: '1 second', max_wait_period: '5 seconds' },
          { action: 'invoke', template: 'child' },
          { action: 'cancel', cancelation_token: 'nothing-holds-this' },
          { action: 'exit' },
          { action: 'send', template: 'never' },
        ],
      },
    });
    await runReaches(herald, ws.auth, all, ['PROCESSED']);
    await save('automation-run-all-steps', `run:${ws.id}:${all}`);

    const canceled = await invokeAdHoc(herald, ws.auth, { automation: { cancelation_token: 'c1', steps: [{ action: 'delay', duration: '1 hour' }] } });
    await runReaches(herald, ws.auth, canceled, ['WAITING']);
    await herald.http.post('/automations/cancel').set(ws.auth).send({ cancelation_token: 'c1' }).expect(202);
    await save('automation-run-canceled-in-delay', `run:${ws.id}:${canceled}`);

    const failed = await invokeAdHoc(herald, ws.auth, { automation: { steps: [{ action: 'invoke', template: 'missing-template' }] } });
    await runReaches(herald, ws.auth, failed, ['ERROR']);
    await save('automation-run-error', `run:${ws.id}:${failed}`);

    // Inbound: a dispatcher batch that applies identifies, triggers both sequences and matches a wait.
    await herald.http.put(`/inbound/events/${encodeURIComponent('track/Hist')}/automations/welcome`).set(ws.auth).expect(200);
    await herald.http.put(`/inbound/events/${encodeURIComponent('track/Hist')}/automations/upgrade-nudge`).set(ws.auth).expect(200);
    const messageId = randomUUID();
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ batch: [
      { type: 'identify', userId: 'h2', messageId: randomUUID(), traits: { a: 1 } },
      { type: 'track', userId: 'h2', event: 'Hist', messageId, properties: { courier: { automation: { data: { wait: '2 seconds' } } } } },
    ] }).expect(202);
    const entry = await waitUntil(async () => {
      const items = (await herald.http.get('/inbound/events/log').set(ws.auth)).body.items as any[];
      return items.find((e) => e.message_id === messageId && e.status !== 'pending');
    });
    const nudge = await waitUntil(async () => {
      const runs = await Promise.all(entry.run_ids.map((id: string) => herald.http.get(`/automations/runs/${id}`).set(ws.auth)));
      return runs.map((r) => r.body).find((r) => r.sequence === 'upgrade-nudge' && r.status === 'WAITING');
    });
    await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ type: 'track', userId: 'h2', event: 'Upgraded', messageId: randomUUID() }).expect(202);
    const runs = await Promise.all(entry.run_ids.map((id: string) => runReaches(herald, ws.auth, id, ['PROCESSED'])));
    expect(runs.map((r) => r.run_id)).toContain(nudge.run_id);
    for (const run of runs) await save(`sequence-${run.sequence}`, run.workflow_id);
    // Dispatchers end after a minute idle: terminate one once its work is done, then record it.
    const shard = (await herald.db.query('SELECT shard FROM inbound_events WHERE workspace_id = $1 AND message_id = $2', [ws.id, messageId]))[0].shard;
    const dispatcher = herald.temporal.client.workflow.getHandle(`dispatch:${ws.id}:${shard}`);
    await dispatcher.terminate('recording its history');
    await save('dispatcher', `dispatch:${ws.id}:${shard}`);

    const batches = [];
    for await (const wf of herald.temporal.client.workflow.list({ query: `WorkflowType = 'batchCollector' AND TaskQueue = '${herald.config.temporal.taskQueue}'` })) batches.push(wf);
    expect(batches.length).toBeGreaterThan(0);
    await save('batch-collector', batches[0].workflowId);

    // Delivery: a send step delivering inside the run, a /send message workflow, a tenant fan-out.
    await herald.http.put('/notifications/hist').set(ws.auth).send({
      name: 'Hist', channels: { email: { subject: 'Hi {{ profile.name }}', html: '<a href="https://example.com">x</a>' }, inbox: { title: 't', body: 'b' } },
      routing: { method: 'all', channels: ['email', 'inbox'] },
    }).expect(200);
    await herald.http.put('/profiles/h4').set(ws.auth).send({ profile: { name: 'H', email: 'h4@example.com' } }).expect(200);
    const sendRun = await invokeAdHoc(herald, ws.auth, { recipient: 'h4', automation: { steps: [{ action: 'send', template: 'hist' }, { action: 'send', template: 'missing' }] } });
    await runReaches(herald, ws.auth, sendRun, ['PROCESSED']);
    await save('automation-run-send-delivers', `run:${ws.id}:${sendRun}`);
    const requestId = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'h4' }, template: 'hist', delay: { duration: '1 second' } } })).body.requestId;
    await save('message-workflow', `message:${ws.id}:${requestId}`);
    await herald.http.put('/tenants/ht').set(ws.auth).send({ name: 'HT' }).expect(200);
    await herald.http.put('/users/h4/tenants/ht').set(ws.auth).send({}).expect(200);
    const tenantRequest = (await herald.http.post('/send').set(ws.auth).send({ message: { to: { tenant_id: 'ht' }, template: 'hist' } })).body.requestId;
    await save('send-request-tenant', `send:${ws.id}:${tenantRequest}`);

    // The emitter ends after a minute idle: terminate it after it has flushed, then record.
    const emitter = herald.temporal.client.workflow.getHandle(`emitter:${ws.id}`);
    await waitUntil(async () => {
      const [{ n }] = await herald.db.query('SELECT count(*)::int AS n FROM outbound_events WHERE workspace_id = $1 AND sent_at IS NULL', [ws.id]);
      const [{ sent }] = await herald.db.query('SELECT count(*)::int AS sent FROM outbound_events WHERE workspace_id = $1', [ws.id]);
      return n === 0 && sent > 5;
    }, { what: 'outbound events flushed' });
    await emitter.terminate('recording its history');
    await save('emitter', `emitter:${ws.id}`);

    const sweeps = [];
    for await (const wf of herald.temporal.client.workflow.list({ query: `WorkflowType = 'maintenanceWorkflow' AND TaskQueue = '${herald.config.temporal.taskQueue}' AND ExecutionStatus = 'Completed'` })) sweeps.push(wf);
    expect(sweeps.length).toBeGreaterThan(0);
    await save('maintenance', sweeps[0].workflowId, sweeps[0].runId);
  }, 120_000);
});
