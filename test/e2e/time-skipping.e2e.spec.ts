import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { RunPlanner, RunRequest } from '../../src/automations/runs/run-planner.service';
import { WaitsService } from '../../src/automations/runs/waits.service';
import { LedgerWriter } from '../../src/inbound/ledger-writer';
import { resolveTemporalBinary } from '../../src/temporal/temporal-binary';
import pino from 'pino';
import { installTemporalRuntime, WorkerHostService } from '../../src/temporal/worker-host.service';
import { runWakeSignal } from '../../workflows/automation-run/messages';
import type { PreparedRun } from '../../workflows/shared/run-types';
import { DateTime } from 'luxon';
import { MessagesService } from '../../src/messages/messages.service';
import { readTestServers } from '../setup/test-env';
import { runSteps } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';

/**
 * Long timers in Temporal's time-skipping test server: the workflows and activities are the
 * production ones (activities write to the real Postgres); only time is fast-forwarded.
 */
let env: TestWorkflowEnvironment;
let herald: TestHerald;
const taskQueue = `time-skipping-${randomUUID()}`;
const DAY = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  installTemporalRuntime(pino({ level: 'silent' }), 'silent');
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: resolveTemporalBinary(undefined, 'temporal-test-server') } },
  });
  herald = await startTestHerald({ worker: false });
}, 120_000);
afterAll(async () => {
  await herald?.stop();
  await env?.teardown();
});

/** A worker is good for one runUntil; each test makes its own, wired like production. */
async function withWorker<R>(fn: () => Promise<R>): Promise<R> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: readTestServers().workflowBundlePath },
    activities: herald.app.get(WorkerHostService).activities(),
  });
  return worker.runUntil(fn);
}

/** Records a run as the API or a dispatcher would (the workflow is then started in the test environment). */
async function planRun(workspaceId: string, request: Omit<RunRequest, 'runId' | 'source'>): Promise<PreparedRun> {
  const planner = herald.app.get(RunPlanner);
  const planned = await herald.db.transaction((tx) => planner.planOne(tx, workspaceId, { ...request, runId: randomUUID(), source: 'test' }));
  return planned.prepared;
}

async function startInTestEnv(prepared: PreparedRun) {
  // No search attributes: the time-skipping server does not know Herald's custom ones.
  return env.client.workflow.start(prepared.workflowType, { workflowId: prepared.workflowId, taskQueue, args: [prepared.input] });
}

describe('in the time-skipping environment', () => {
  it('upgrade-nudge: with no Upgraded in 3 days, the nudge is sent', async () => {
    const ws = await herald.newWorkspace();
    const prepared = await planRun(ws.id, { target: { kind: 'sequence', name: 'upgrade-nudge' }, context: { recipient: 'slow-user' } });
    const startedAt = await env.currentTimeMs();
    const wallStart = Date.now();
    const result = await withWorker(async () => (await startInTestEnv(prepared)).result());
    expect(result).toEqual({ status: 'PROCESSED' });
    expect((await env.currentTimeMs()) - startedAt).toBeGreaterThanOrEqual(3 * DAY);
    console.log(`upgrade-nudge: 3 days of workflow time in ${Date.now() - wallStart} ms of wall time`);
    const steps = await runSteps(herald, ws.auth, prepared.runId);
    expect(steps.map((s) => `${s.action}:${s.status}`)).toEqual(['wait-for:PROCESSED', 'send:PROCESSED']);
    expect(steps[0].result).toEqual({ matched: false, event: null });
    expect(steps[1].message_id).toBe(`${prepared.runId}:seq.1`);
  });

  it('upgrade-nudge: when Upgraded comes on day 2, no nudge is sent', async () => {
    const ws = await herald.newWorkspace();
    const prepared = await planRun(ws.id, { target: { kind: 'sequence', name: 'upgrade-nudge' }, context: { recipient: 'upgrader' } });
    const result = await withWorker(async () => {
      const handle = await startInTestEnv(prepared);
      await env.sleep('2 days');
      // What a dispatcher does when the user's Upgraded event arrives: match the wait in Postgres, wake the run.
      const messageId = randomUUID();
      const event = { type: 'track' as const, messageId, recipientId: 'upgrader', userId: 'upgrader', eventId: 'track/Upgraded', body: { type: 'track', event: 'Upgraded', userId: 'upgrader', messageId } };
      await herald.app.get(LedgerWriter).write([{ ...event, workspaceId: ws.id, shard: 0 }]);
      const [row] = await herald.db.query('SELECT id, type, event_id, user_id, body FROM inbound_events WHERE workspace_id = $1 AND message_id = $2', [ws.id, messageId]);
      const { wakes } = await herald.db.transaction((tx) => herald.app.get(WaitsService).match(tx, ws.id, [row]));
      expect(wakes).toHaveLength(1);
      await handle.signal(runWakeSignal, { key: wakes[0].key });
      return handle.result();
    });
    expect(result).toEqual({ status: 'PROCESSED' });
    const steps = await runSteps(herald, ws.auth, prepared.runId);
    expect(steps.map((s) => `${s.action}:${s.status}`)).toEqual(['wait-for:PROCESSED']);
    expect(steps[0].result.matched).toBe(true);
  });

  it('a JSON template with a 3-day delay runs to the end', async () => {
    const ws = await herald.newWorkspace();
    const prepared = await planRun(ws.id, {
      target: { kind: 'adhoc', steps: [{ action: 'send', template: 'day-0' }, { action: 'delay', duration: 'P3D' }, { action: 'send', template: 'day-3' }] },
      context: { recipient: 'patient' },
    });
    const startedAt = await env.currentTimeMs();
    await withWorker(async () => (await startInTestEnv(prepared)).result());
    expect((await env.currentTimeMs()) - startedAt).toBeGreaterThanOrEqual(3 * DAY);
    const steps = await runSteps(herald, ws.auth, prepared.runId);
    expect(steps.map((s) => `${s.action}:${s.status}`)).toEqual(['send:PROCESSED', 'delay:PROCESSED', 'send:PROCESSED']);
    expect(steps[1].result).toEqual({ delayed_ms: 3 * DAY });
  });
});

/** The next `month`/`day` at `hour`:00 in `zone` after now, as an ISO instant (luxon, the time zone database). */
function nextLocal(month: number, day: number, hour: number, zone: string): string {
  const now = DateTime.now().setZone(zone);
  let at = DateTime.fromObject({ year: now.year, month, day, hour }, { zone });
  if (at <= now) at = at.plus({ years: 1 });
  return at.toUTC().toISO()!;
}

describe('delivery windows and quiet hours, in the time-skipping environment', () => {
  it('a window delay lands at the next opening in the recipient zone, across a daylight-saving change', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/spring').set(ws.auth).send({ name: 'Spring', channels: { inbox: { title: 'Spring', body: 'x' } } }).expect(200);
    await herald.http.put('/profiles/oslo-user').set(ws.auth).send({ profile: { timezone: 'Europe/Oslo' } }).expect(200);
    await herald.http.put('/profiles/tokyo-user').set(ws.auth).send({ profile: { zoneinfo: 'Asia/Tokyo', timezone: 'Europe/Oslo' } }).expect(200);
    const cases = [
      // 5 April is always after the last Sunday of March: 08:00 in Oslo is CEST (UTC+2) then, CET (UTC+1) now in winter.
      { recipient: 'oslo-user', window: 'Apr 05 08:00-09:00', expected: nextLocal(4, 5, 8, 'Europe/Oslo') },
      // 20 October is before the last Sunday of October: still CEST.
      { recipient: 'oslo-user', window: 'Oct 20 08:00-09:00', expected: nextLocal(10, 20, 8, 'Europe/Oslo') },
      // zoneinfo wins over timezone; Tokyo has no daylight saving.
      { recipient: 'tokyo-user', window: 'Apr 05 08:00-09:00', expected: nextLocal(4, 5, 8, 'Asia/Tokyo') },
    ];
    expect(cases[0].expected).toMatch(/T06:00:00\.000Z$/);
    expect(cases[1].expected).toMatch(/T06:00:00\.000Z$/);
    expect(cases[2].expected).toMatch(/T23:00:00\.000Z$/);
    for (const c of cases) {
      const prepared = await planRun(ws.id, {
        target: { kind: 'adhoc', steps: [{ action: 'delay', until: c.window }, { action: 'send', template: 'spring' }] },
        context: { recipient: c.recipient },
      });
      await withWorker(async () => (await startInTestEnv(prepared)).result());
      expect(await env.currentTimeMs()).toBeGreaterThanOrEqual(Date.parse(c.expected));
      const steps = await runSteps(herald, ws.auth, prepared.runId);
      expect(steps.map((s) => `${s.action}:${s.status}`)).toEqual(['delay:PROCESSED', 'send:PROCESSED']);
      expect(steps[0].result).toMatchObject({ window: c.window, zone: c.recipient === 'tokyo-user' ? 'Asia/Tokyo' : 'Europe/Oslo' });
      // The timer was set for exactly the opening (the step saw it as a wake time while it waited).
      const wakesAt = Date.now() + (steps[0].result.delayed_ms as number);
      expect(Math.abs(wakesAt - Date.parse(c.expected))).toBeLessThan(5 * 60_000);
      expect((await herald.http.get(`/messages/${steps[1].message_id}`).set(ws.auth)).body.status).toBe('DELIVERED');
    }
  });

  it('quiet hours hold an automation send and a /send message until they open, then release them', async () => {
    const ws = await herald.newWorkspace();
    const zone = 'Europe/Oslo';
    const now = DateTime.now().setZone(zone);
    // A one-hour window starting two hours from now (local): closed now, open later today or tomorrow.
    const opens = now.plus({ hours: 2 }).startOf('hour');
    const window = `Mo-Su ${opens.toFormat('HH:mm')}-${opens.plus({ hours: 1 }).toFormat('HH:mm')}`;
    await herald.http.put('/settings/delivery').set(ws.auth).send({ default_timezone: zone, quiet_hours: window }).expect(200);
    await herald.http.put('/notifications/nudge').set(ws.auth).send({ name: 'Nudge', channels: { inbox: { title: 'Nudge', body: 'x' } } }).expect(200);

    const prepared = await planRun(ws.id, { target: { kind: 'adhoc', steps: [{ action: 'send', template: 'nudge' }] }, context: { recipient: 'night-owl' } });
    // A /send message recorded as the API does; its workflow is started in the test environment.
    const messageId = randomUUID();
    await herald.app.get(MessagesService).enqueue({
      workspaceId: ws.id, messageId, requestId: messageId, recipient: 'night-owl', notification: 'nudge', to: { user_id: 'night-owl' },
      request: { workspaceId: ws.id, messageId, requestId: messageId, runId: null, recipient: 'night-owl', template: 'nudge', message: null, brand: null, channels: null, data: {}, profile: {}, to: { user_id: 'night-owl' }, routing: null, content: null, tenantId: null, topic: null },
    });
    const startedAt = await env.currentTimeMs();
    await withWorker(async () => {
      const run = await startInTestEnv(prepared);
      const message = await env.client.workflow.start('messageWorkflow', { workflowId: `qh-${messageId}`, taskQueue, args: [{ workspaceId: ws.id, messageId, delay: null }] });
      // One result() at a time: each unlocks time skipping while it waits, and concurrent ones upset its count.
      await message.result();
      await run.result();
    });
    expect((await env.currentTimeMs()) - startedAt).toBeGreaterThanOrEqual(opens.toMillis() - Date.now() - 60_000);
    const steps = await runSteps(herald, ws.auth, prepared.runId);
    expect(steps.map((s) => `${s.action}:${s.status}`)).toEqual(['send:PROCESSED']);
    for (const id of [steps[0].message_id, messageId]) {
      const m = (await herald.http.get(`/messages/${id}`).set(ws.auth)).body;
      expect(m.status).toBe('DELIVERED');
      expect(m.scheduled_for).toBe(opens.toUTC().toISO());
    }
  });
});
