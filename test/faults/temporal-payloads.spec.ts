import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from '@temporalio/worker';
import { installationKeys } from '../../src/common/crypto/installation-keys';
import { codecEndpointToken, EncryptionCodec } from '../../src/temporal/codec/encryption-codec';
import { EmbeddedTemporalHandle, startEmbeddedTemporal } from '../../src/temporal/embedded-temporal';
import { readTestServers } from '../setup/test-env';
import { invokeAdHoc, runReaches } from '../support/automations';
import { startHttpSink } from '../support/http-sink';
import { freePort } from '../support/ports';
import { startTestHerald, TestHerald } from '../support/test-herald';

/**
 * Issue 12, item 4: profiles, event data and fetch-data headers are encrypted before they reach
 * Temporal. A Temporal dev server with its own SQLite file runs one automation that carries a
 * planted profile value, event data and an Authorization header; the file (and its WAL) must not
 * contain them, while the workflow's payloads decode to them through Herald's codec endpoint, and
 * the encrypted history replays.
 */
const PLANTED = { token: `planted-token-${randomUUID()}`, pii: `planted-pii-${randomUUID()}`, data: `planted-data-${randomUUID()}` };
let dir: string;
let temporal: EmbeddedTemporalHandle;
let herald: TestHerald;
let sink: Awaited<ReturnType<typeof startHttpSink>>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-payloads-'));
  temporal = await startEmbeddedTemporal({ dbFile: path.join(dir, 'temporal.db'), port: await freePort(), headless: true, namespace: 'default' });
  sink = await startHttpSink();
  herald = await startTestHerald({ temporalAddress: temporal.address, env: { HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32' } });
}, 120_000);

afterAll(async () => {
  await herald?.stop();
  await temporal?.stop();
  await sink?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

it('keeps planted secrets out of the Temporal database, decodes them through the codec endpoint, and replays the encrypted history', async () => {
  const ws = await herald.newWorkspace();
  await herald.http.put('/profiles/payload-user').set(ws.auth).send({ profile: { email: `${PLANTED.pii}@example.com`, secret_trait: PLANTED.pii } }).expect(200);
  const runId = await invokeAdHoc(herald, ws.auth, {
    recipient: 'payload-user',
    data: { secret: PLANTED.data },
    automation: {
      steps: [
        { action: 'fetch-data', webhook: { url: `${sink.url}/data`, headers: { Authorization: `Bearer ${PLANTED.token}` } }, merge_strategy: 'overwrite' },
        { action: 'get-profile', user_id: 'payload-user' },
        { action: 'send', message: { to: { user_id: 'payload-user' }, content: { title: 'Hi {{ data.secret }}', body: '{{ profile.secret_trait }}' }, routing: { channels: ['inbox'] } } },
      ],
    },
  });
  const run = await runReaches(herald, ws.auth, runId, ['PROCESSED']);
  expect(sink.requests.map((r) => r.headers.authorization)).toContain(`Bearer ${PLANTED.token}`);

  // Herald's runs carry ids, not documents; any payload its client sends is encrypted all the same:
  // here a workflow started (on a queue nobody polls) and signalled with the planted values.
  const planted = await herald.temporal.client.workflow.start('automationRun', { taskQueue: `nobody-${randomUUID()}`, workflowId: `planted-${randomUUID()}`, args: [{ ...PLANTED }] });
  await planted.signal('wake', { header: `Authorization: Bearer ${PLANTED.token}` });

  // What Temporal stores: every payload encrypted under Herald's key.
  const handle = herald.temporal.client.workflow.getHandle(run.workflow_id);
  const history = await handle.fetchHistory();
  const plantedHistory = await planted.fetchHistory();
  const payloads = [...(history.events ?? []), ...(plantedHistory.events ?? [])].flatMap((e) => collectPayloads(e));
  expect(payloads.length).toBeGreaterThan(0);
  for (const p of payloads) expect(Buffer.from(p.metadata!.encoding!).toString()).toBe('binary/encrypted');

  // The operator's view: the codec endpoint decodes them (CORS for the Temporal UI's origin); a wrong token is a 404.
  const token = codecEndpointToken(installationKeys(herald.config).current);
  const body = { payloads: payloads.map((p) => ({ metadata: b64map(p.metadata!), data: Buffer.from(p.data!).toString('base64') })) };
  const decoded = await herald.http.post(`/codec/${token}/decode`).set({ Origin: 'http://localhost:8233', 'X-Namespace': 'default' }).send(body);
  expect(decoded.status).toBe(200);
  expect(decoded.headers['access-control-allow-origin']).toBe('http://localhost:8233');
  const plain = decoded.body.payloads.map((p: { data: string }) => Buffer.from(p.data, 'base64').toString('utf8')).join('\n');
  expect(plain).toContain(run.run_id);
  for (const value of Object.values(PLANTED)) expect(plain).toContain(value);
  await planted.terminate('test done');
  expect((await herald.http.post(`/codec/not-the-token/decode`).send(body)).status).toBe(404);
  expect((await herald.http.options(`/codec/${token}/decode`).set({ Origin: 'http://localhost:8233', 'Access-Control-Request-Method': 'POST' })).status).toBe(204);

  // The database file: the workflow is in it (the search works), the planted values are not.
  await herald.stop();
  herald = undefined as unknown as TestHerald;
  await temporal.stop();
  const files = fs.readdirSync(dir).filter((f) => f.startsWith('temporal.db')).map((f) => fs.readFileSync(path.join(dir, f)));
  const bytes = Buffer.concat(files);
  expect(bytes.includes(Buffer.from(run.workflow_id))).toBe(true);
  for (const [what, value] of Object.entries(PLANTED)) expect({ what, found: bytes.includes(Buffer.from(value)) }).toEqual({ what, found: false });

  // The encrypted history replays with the codec.
  const codec = new EncryptionCodec(installationKeys({ sealing: { key: process.env.HERALD_SEALING_KEY, previous: [] }, dataDir: '' }).current);
  await Worker.runReplayHistory({ workflowBundle: { codePath: readTestServers().workflowBundlePath }, dataConverter: { payloadCodecs: [codec] } }, history, run.workflow_id);
}, 120_000);

function b64map(m: Record<string, Uint8Array | null | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]));
}

/** Every payload in a history event (inputs, results, signals, memos), wherever it sits, search attributes aside. */
function collectPayloads(value: unknown, out: Array<{ metadata?: Record<string, Uint8Array>; data?: Uint8Array }> = []) {
  if (!value || typeof value !== 'object') return out;
  if (ArrayBuffer.isView(value)) return out;
  const v = value as Record<string, unknown>;
  if (v.metadata && typeof v.metadata === 'object' && 'encoding' in (v.metadata as object) && 'data' in v) {
    out.push(v as never);
    return out;
  }
  for (const [key, child] of Object.entries(v)) {
    // Search attributes are indexed in clear by design (ids only); headers are not payload data;
    // a local activity marker's `data` detail is the SDK's own bookkeeping (seq, attempt, type).
    if (key === 'searchAttributes' || key === 'header' || (key === 'data' && 'result' in v)) continue;
    if (Array.isArray(child)) child.forEach((c) => collectPayloads(c, out));
    else collectPayloads(child, out);
  }
  return out;
}
