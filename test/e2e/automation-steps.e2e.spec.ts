import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { invokeAdHoc, publishedTemplate, runReaches, runSteps } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

let herald: TestHerald;
beforeAll(async () => {
  // Loopback is allowed explicitly, and only 127.0.0.1: 127.0.0.2 stays refused.
  herald = await startTestHerald({ env: { HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.1/32' } });
});
afterAll(() => herald?.stop());

const statuses = (steps: Array<Record<string, any>>) => steps.map((s) => `${s.path}:${s.action}:${s.status}`);

describe('send, if, refs, references and interpolation', () => {
  it('skips a step whose if is false, exposes results as refs, resolves $ref, refs.* and ${...}', async () => {
    const ws = await herald.newWorkspace();
    const runId = await invokeAdHoc(herald, ws.auth, {
      recipient: 'u1',
      data: { plan: 'pro', user: { tier: 'gold' }, userId: 'u1' },
      profile: { email: 'u1@example.com' },
      automation: {
        steps: [
          { action: 'send', template: 'never', if: "data.plan == 'free'" },
          { action: 'send', ref: 'hello', template: 'hello-${data.user.tier}', if: ['data.plan', 'is equal', 'pro'] },
          { action: 'send', template: { $ref: 'data.plan' }, recipient: 'refs.data.userId', if: "refs.hello.status == 'UNMAPPED'" },
          { action: 'send', template: 'step-data', data: { extra: 1 }, if: { AND: [['data.extra', 'exists'], ['profile.email', 'ends with', '@example.com']] } },
          { action: 'send', template: 'no-extra', if: ['data.extra', 'exists'] },
        ],
      },
    });
    await runReaches(herald, ws.auth, runId, ['PROCESSED']);
    const steps = await runSteps(herald, ws.auth, runId);
    expect(statuses(steps)).toEqual(['0:send:SKIPPED', '1:send:PROCESSED', '2:send:PROCESSED', '3:send:PROCESSED', '4:send:SKIPPED']);
    expect(steps[1].result).toEqual({ messageId: `${runId}:1`, status: 'UNMAPPED' });
    expect(steps[1].message_id).toBe(`${runId}:1`);
  });
});

describe('delay', () => {
  it('shows the run WAITING during a delay, then PROCESSED', async () => {
    const ws = await herald.newWorkspace();
    const runId = await invokeAdHoc(herald, ws.auth, { automation: { steps: [{ action: 'delay', duration: 'PT2S' }, { action: 'send', template: 'after' }] } });
    await runReaches(herald, ws.auth, runId, ['WAITING']);
    const waiting = await runSteps(herald, ws.auth, runId);
    expect(statuses(waiting)).toEqual(['0:delay:WAITING', '1:send:NOT PROCESSED']);
    await runReaches(herald, ws.auth, runId, ['PROCESSED']);
    expect(statuses(await runSteps(herald, ws.auth, runId))).toEqual(['0:delay:PROCESSED', '1:send:PROCESSED']);
  });

  it('until in the past continues at once', async () => {
    const ws = await herald.newWorkspace();
    const runId = await invokeAdHoc(herald, ws.auth, { automation: { steps: [{ action: 'delay', until: '2020-01-01T00:00:00Z' }] } });
    await runReaches(herald, ws.auth, runId, ['PROCESSED'], 10_000);
  });
});

describe('wait-for', () => {
  it('is matched by the recipient\'s track event routed by the ingest workflow (match filters)', async () => {
    const ws = await herald.newWorkspace();
    const runId = await invokeAdHoc(herald, ws.auth, {
      recipient: 'waiter',
      automation: {
        steps: [
          { action: 'wait-for', ref: 'upgrade', event: 'Upgraded', timeout: '1 minute', match: "properties.plan == 'pro'" },
          { action: 'send', template: 'thanks-${refs.upgrade.event.properties.plan}', if: 'refs.upgrade.matched' },
        ],
      },
    });
    await runReaches(herald, ws.auth, runId, ['WAITING']);
    const post = (userId: string, plan: string) =>
      herald.http.post('/inbound/rudderstack').set(ws.auth).send({ type: 'track', userId, event: 'Upgraded', messageId: randomUUID(), properties: { plan } }).expect(202);
    await post('someone-else', 'pro');
    await post('waiter', 'basic');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await herald.http.get(`/automations/runs/${runId}`).set(ws.auth)).body.status).toBe('WAITING');
    await post('waiter', 'pro');
    await runReaches(herald, ws.auth, runId, ['PROCESSED']);
    const steps = await runSteps(herald, ws.auth, runId);
    expect(steps[0].result.matched).toBe(true);
    expect(steps[0].result.event.properties).toEqual({ plan: 'pro' });
    expect(steps[1]).toMatchObject({ status: 'PROCESSED', result: { messageId: `${runId}:1`, status: 'UNMAPPED' } });
  });

  it('continues with matched: false when the timeout passes', async () => {
    const ws = await herald.newWorkspace();
    const runId = await invokeAdHoc(herald, ws.auth, {
      recipient: 'lonely',
      automation: { steps: [{ action: 'wait-for', ref: 'w', event: 'Never', timeout: '2 seconds' }, { action: 'send', template: 'nudge', if: '!refs.w.matched' }] },
    });
    await runReaches(herald, ws.auth, runId, ['PROCESSED']);
    const steps = await runSteps(herald, ws.auth, runId);
    expect(steps[0].result).toEqual({ matched: false, event: null });
    expect(steps[1].status).toBe('PROCESSED');
  });
});

describe('fetch-data', () => {
  let server: http.Server;
  let calls: Array<{ url: string; auth?: string }> = [];
  let failuresLeft = 0;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      calls.push({ url: req.url ?? '', auth: req.headers.authorization });
      if (failuresLeft > 0) {
        failuresLeft--;
        res.writeHead(500).end('boom');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ plan: 'enterprise', seats: { used: 3 } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    calls = [];
  });

  it('retries a 500, then merges the JSON response into data', async () => {
    const ws = await herald.newWorkspace();
    failuresLeft = 1;
    const runId = await invokeAdHoc(herald, ws.auth, {
      data: { userId: 'f1', seats: { total: 10 } },
      automation: {
        steps: [
          { action: 'fetch-data', webhook: { url: `http://127.0.0.1:${port}/users/\${data.userId}`, headers: { Authorization: 'Bearer s3cret' }, params: { full: true } }, merge_strategy: 'overwrite' },
          { action: 'send', template: 'plan-${data.plan}-${data.seats.used}-of-${data.seats.total}' },
        ],
      },
    });
    await runReaches(herald, ws.auth, runId, ['PROCESSED']);
    expect(calls).toEqual([
      { url: '/users/f1?full=true', auth: 'Bearer s3cret' },
      { url: '/users/f1?full=true', auth: 'Bearer s3cret' },
    ]);
    const run = (await herald.http.get(`/automations/runs/${runId}`).set(ws.auth)).body;
    expect(run.status).toBe('PROCESSED');
    const steps = await runSteps(herald, ws.auth, runId);
    expect(steps[0].result).toEqual({ status: 200 });
  });

  it('refuses a destination in a private range that is not allowed, without connecting', async () => {
    const ws = await herald.newWorkspace();
    const runId = await invokeAdHoc(herald, ws.auth, { automation: { steps: [{ action: 'fetch-data', webhook: { url: `http://127.0.0.2:${port}/x` }, merge_strategy: 'replace' }] } });
    const run = await runReaches(herald, ws.auth, runId, ['ERROR']);
    expect(run.error).toMatch(/127\.0\.0\.2/);
    expect(run.error).toMatch(/HERALD_ALLOW_PRIVATE_NETWORKS/);
    expect(calls).toEqual([]);
    const [step] = await runSteps(herald, ws.auth, runId);
    expect(step).toMatchObject({ action: 'fetch-data', status: 'ERROR' });
  });
});

describe('profiles', () => {
  it('update-profile writes with a merge strategy and get-profile loads into the run', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/profiles/p1').set(ws.auth).send({ profile: { name: 'Ada', prefs: { tz: 'UTC' } } }).expect(200);
    const runId = await invokeAdHoc(herald, ws.auth, {
      recipient: 'p1',
      automation: {
        steps: [
          { action: 'update-profile', recipient_id: '${recipient}', profile: { prefs: { lang: 'nb' }, name: 'Ignored' }, merge: 'soft-merge' },
          { action: 'update-profile', recipient_id: 'p2', profile: { created: true }, merge: 'none' },
          { action: 'update-profile', recipient_id: 'p2', profile: { created: 'again' }, merge: 'none' },
          { action: 'get-profile', user_id: 'p2', merge_strategy: 'overwrite' },
          { action: 'send', template: 'created', if: 'profile.created == true' },
        ],
      },
    });
    await runReaches(herald, ws.auth, runId, ['PROCESSED']);
    expect((await herald.http.get('/profiles/p1').set(ws.auth)).body.profile).toEqual({ name: 'Ada', prefs: { tz: 'UTC' } });
    expect((await herald.http.get('/profiles/p2').set(ws.auth)).body.profile).toEqual({ created: true });
    expect(statuses(await runSteps(herald, ws.auth, runId)).at(-1)).toBe('4:send:PROCESSED');

    const overwrite = await invokeAdHoc(herald, ws.auth, {
      automation: { steps: [{ action: 'update-profile', recipient_id: 'p1', profile: { prefs: { lang: 'en' } }, merge: 'overwrite' }, { action: 'update-profile', recipient_id: 'p3', profile: { a: 1 }, merge: 'replace' }] },
    });
    await runReaches(herald, ws.auth, overwrite, ['PROCESSED']);
    expect((await herald.http.get('/profiles/p1').set(ws.auth)).body.profile).toEqual({ name: 'Ada', prefs: { tz: 'UTC', lang: 'en' } });
    expect((await herald.http.get('/profiles/p3').set(ws.auth)).body.profile).toEqual({ a: 1 });
  });
});

describe('branch, exit and invoke', () => {
  it('runs the first matching path, else the default; exit ends the run', async () => {
    const ws = await herald.newWorkspace();
    const steps = [
      {
        action: 'branch',
        paths: [
          { if: "data.tier == 'gold'", steps: [{ action: 'send', template: 'gold' }] },
          { if: ['data.tier', 'is equal', 'silver'], steps: [{ action: 'send', template: 'silver' }, { action: 'exit' }] },
        ],
        default: { steps: [{ action: 'send', template: 'other' }] },
      },
      { action: 'send', template: 'after-branch' },
    ];
    const gold = await invokeAdHoc(herald, ws.auth, { data: { tier: 'gold' }, automation: { steps } });
    const silver = await invokeAdHoc(herald, ws.auth, { data: { tier: 'silver' }, automation: { steps } });
    const none = await invokeAdHoc(herald, ws.auth, { data: {}, automation: { steps } });
    for (const id of [gold, silver, none]) await runReaches(herald, ws.auth, id, ['PROCESSED']);
    expect(statuses(await runSteps(herald, ws.auth, gold))).toEqual(['0:branch:PROCESSED', '0.paths[0].0:send:PROCESSED', '1:send:PROCESSED']);
    expect(statuses(await runSteps(herald, ws.auth, silver))).toEqual(['0:branch:PROCESSED', '0.paths[1].0:send:PROCESSED', '0.paths[1].1:exit:PROCESSED', '1:send:NOT PROCESSED']);
    expect(statuses(await runSteps(herald, ws.auth, none))).toEqual(['0:branch:PROCESSED', '0.default.0:send:PROCESSED', '1:send:PROCESSED']);
  });

  it('invoke starts the template as a child run with its own context', async () => {
    const ws = await herald.newWorkspace();
    await publishedTemplate(herald, ws.auth, { name: 'Child', alias: 'child', steps: [{ action: 'send', template: 'child-${data.n}' }] });
    const parent = await invokeAdHoc(herald, ws.auth, { recipient: 'kid', data: { n: 1 }, automation: { steps: [{ action: 'invoke', template: 'child', context: { data: { n: 2 } } }] } });
    await runReaches(herald, ws.auth, parent, ['PROCESSED']);
    const childId = (await runSteps(herald, ws.auth, parent))[0].result.run_id;
    const child = await runReaches(herald, ws.auth, childId, ['PROCESSED']);
    expect(child).toMatchObject({ parent_run_id: parent, source: 'invoke/child', recipient: 'kid', context: expect.objectContaining({ data: { n: 2 } }) });
  });
});

describe('throttle and add-to-batch', () => {
  it('throttle lets max_allowed runs per period through per user; the rest of a throttled run is skipped', async () => {
    const ws = await herald.newWorkspace();
    const id = await publishedTemplate(herald, ws.auth, {
      name: 'Throttled', steps: [{ action: 'throttle', max_allowed: 2, period: '1 hour', scope: 'user' }, { action: 'send', template: 'limited' }],
    });
    const runs: string[] = [];
    for (const recipient of ['t1', 't1', 't1', 't2']) {
      runs.push((await herald.http.post(`/automations/${id}/invoke`).set(ws.auth).send({ recipient })).body.runId);
      await runReaches(herald, ws.auth, runs[runs.length - 1], ['PROCESSED']);
    }
    const sent = [];
    for (const runId of runs) sent.push((await runSteps(herald, ws.auth, runId))[1].status);
    expect(sent).toEqual(['PROCESSED', 'PROCESSED', 'NOT PROCESSED', 'PROCESSED']);
    expect((await runSteps(herald, ws.auth, runs[2]))[0].result.allowed).toBe(false);
  });

  it('add-to-batch: one run continues with data.batch, the others end', async () => {
    const ws = await herald.newWorkspace();
    const id = await publishedTemplate(herald, ws.auth, {
      name: 'Digest', steps: [{ action: 'add-to-batch', wait_period: '2 seconds', max_wait_period: '20 seconds' }, { action: 'send', template: 'digest-${data.batch.count}' }],
    });
    const runs: string[] = [];
    for (const n of [1, 2, 3]) runs.push((await herald.http.post(`/automations/${id}/invoke`).set(ws.auth).send({ recipient: 'b1', data: { n } })).body.runId);
    const other = (await herald.http.post(`/automations/${id}/invoke`).set(ws.auth).send({ recipient: 'b2', data: { n: 9 } })).body.runId;
    for (const r of [...runs, other]) await runReaches(herald, ws.auth, r, ['PROCESSED']);
    const batchSteps = await Promise.all(runs.map((r) => runSteps(herald, ws.auth, r)));
    const leaders = batchSteps.filter((s) => s[0].result.role === 'leader');
    expect(leaders).toHaveLength(1);
    expect(leaders[0][0].result.count).toBe(3);
    expect(leaders[0][1].status).toBe('PROCESSED');
    expect(batchSteps.filter((s) => s[0].result.role === 'member').map((s) => s[1].status)).toEqual(['NOT PROCESSED', 'NOT PROCESSED']);
    const leaderRun = (await herald.http.get(`/automations/runs/${runs[batchSteps.indexOf(leaders[0])]}`).set(ws.auth)).body;
    expect(leaderRun.status).toBe('PROCESSED');
    const otherSteps = await runSteps(herald, ws.auth, other);
    expect(otherSteps[0].result).toEqual({ role: 'leader', count: 1 });
  });
});

describe('cancel', () => {
  it('a delay canceled by token ends at once; the cancel returns each final state', async () => {
    const ws = await herald.newWorkspace();
    const a = await invokeAdHoc(herald, ws.auth, { data: { u: 'x' }, automation: { cancelation_token: 'tok-${data.u}', steps: [{ action: 'delay', duration: '1 hour' }, { action: 'send', template: 'late' }] } });
    const b = await invokeAdHoc(herald, ws.auth, { automation: { cancelation_token: 'tok-x', steps: [{ action: 'wait-for', event: 'Never', timeout: '3 days' }] }, recipient: 'r' });
    const unrelated = await invokeAdHoc(herald, ws.auth, { automation: { cancelation_token: 'tok-y', steps: [{ action: 'delay', duration: '1 hour' }] } });
    for (const id of [a, b, unrelated]) await runReaches(herald, ws.auth, id, ['WAITING']);
    const started = Date.now();
    const res = await herald.http.post('/automations/cancel').set(ws.auth).send({ cancelation_token: 'tok-x' });
    expect(res.status).toBe(202);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(res.body.canceled.sort((x: any, y: any) => x.run_id.localeCompare(y.run_id))).toEqual(
      [{ run_id: a, status: 'CANCELED' }, { run_id: b, status: 'CANCELED' }].sort((x, y) => x.run_id.localeCompare(y.run_id)),
    );
    expect(statuses(await runSteps(herald, ws.auth, a))).toEqual(['0:delay:CANCELED', '1:send:NOT PROCESSED']);
    expect((await herald.http.get(`/automations/runs/${unrelated}`).set(ws.auth)).body.status).toBe('WAITING');
    // The row decided; the Temporal workflow is closed afterwards, in the background, by termination (no workflow task).
    const handle = herald.temporal.client.workflow.getHandle(`run:${ws.id}:${a}`);
    await waitUntil(async () => (await handle.describe()).status.name === 'TERMINATED', { what: 'the canceled run\'s workflow to close' });
    await expect(handle.result()).rejects.toThrow(/canceled by token/);
    // By run id; and canceling a finished run returns its state unchanged.
    expect((await herald.http.post('/automations/cancel').set(ws.auth).send({ run_id: unrelated })).body).toEqual({ canceled: [{ run_id: unrelated, status: 'CANCELED' }] });
    expect((await herald.http.post('/automations/cancel').set(ws.auth).send({ run_id: unrelated })).body).toEqual({ canceled: [{ run_id: unrelated, status: 'CANCELED' }] });
    expect((await herald.http.post('/automations/cancel').set(ws.auth).send({})).status).toBe(400);
  });

  it('a run starting with a token canceled moments before is canceled at start (tombstone)', async () => {
    const ws = await herald.newWorkspace();
    const cancel = await herald.http.post('/automations/cancel').set(ws.auth).send({ cancelationToken: 'early-bird' });
    expect(cancel.body).toEqual({ canceled: [] });
    const runId = await invokeAdHoc(herald, ws.auth, { automation: { cancelation_token: 'early-bird', steps: [{ action: 'send', template: 'x' }] } });
    const run = await runReaches(herald, ws.auth, runId, ['CANCELED', 'PROCESSED']);
    expect(run.status).toBe('CANCELED');
    expect(run.error).toMatch(/^canceled at start: token "early-bird" was canceled at /);
    expect(statuses(await runSteps(herald, ws.auth, runId))).toEqual(['0:send:NOT PROCESSED']);
  });

  it('a cancel step cancels the other runs holding the token', async () => {
    const ws = await herald.newWorkspace();
    const waiting = await invokeAdHoc(herald, ws.auth, { automation: { cancelation_token: 'job-1', steps: [{ action: 'delay', duration: '1 day' }] } });
    await runReaches(herald, ws.auth, waiting, ['WAITING']);
    const canceller = await invokeAdHoc(herald, ws.auth, { automation: { cancelation_token: 'job-1', steps: [{ action: 'cancel', cancelation_token: 'job-1' }, { action: 'send', template: 'still-here' }] } });
    await runReaches(herald, ws.auth, waiting, ['CANCELED']);
    // The run executing the cancel step holds the token too, but a cancel step never cancels its own run.
    const done = await runReaches(herald, ws.auth, canceller, ['PROCESSED', 'CANCELED']);
    expect(done.status).toBe('PROCESSED');
    expect((await runSteps(herald, ws.auth, canceller))[0].result).toEqual({ canceled: [{ run_id: waiting, status: 'CANCELED' }] });
  });
});

describe('isolation', () => {
  it("another workspace's key cannot read or cancel a run", async () => {
    const a = await herald.newWorkspace();
    const b = await herald.newWorkspace();
    const runId = await invokeAdHoc(herald, a.auth, { automation: { cancelation_token: 'shared', steps: [{ action: 'delay', duration: '1 hour' }] } });
    await runReaches(herald, a.auth, runId, ['WAITING']);
    await herald.http.get(`/automations/runs/${runId}`).set(b.auth).expect(404);
    await herald.http.get(`/automations/runs/${runId}/steps`).set(b.auth).expect(404);
    await herald.http.post('/automations/cancel').set(b.auth).send({ run_id: runId }).expect(404);
    expect((await herald.http.post('/automations/cancel').set(b.auth).send({ cancelation_token: 'shared' })).body).toEqual({ canceled: [] });
    expect((await herald.http.get('/automations/runs').set(b.auth)).body.items).toEqual([]);
    expect((await herald.http.get(`/automations/runs/${runId}`).set(a.auth)).body.status).toBe('WAITING');
    await herald.http.post('/automations/cancel').set(a.auth).send({ run_id: runId }).expect(202);
    await waitUntil(async () => (await herald.http.get(`/automations/runs/${runId}`).set(a.auth)).body.status === 'CANCELED');
  });
});
