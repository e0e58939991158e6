import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import pino from 'pino';
import { randomUUID } from 'node:crypto';
import { resolveTemporalBinary } from '../../src/temporal/temporal-binary';
import { installTemporalRuntime, WorkerHostService } from '../../src/temporal/worker-host.service';
import type { ScheduledFiringResult } from '../../activities/schedule.activities';
import { readTestServers } from '../setup/test-env';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Schedules in Temporal's time-skipping test server. That server does not implement Schedules
 * (CreateSchedule answers UNIMPLEMENTED), so the test does what a Temporal Schedule does at each
 * of the schedule's next run times: skips to it and starts `scheduledTargetWorkflow` under the
 * id Temporal would give it (`schedule:<ws>:<id>-<scheduled time>`). The workflow and its
 * activity are the production ones (Postgres, SendService); the schedule itself is created
 * through the API on the dev server, whose next run times are the ones skipped to.
 */
let env: TestWorkflowEnvironment;
let herald: TestHerald;
const taskQueue = `schedules-time-skipping-${randomUUID()}`;

beforeAll(async () => {
  installTemporalRuntime(pino({ level: 'silent' }), 'silent');
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: resolveTemporalBinary(undefined, 'temporal-test-server') } },
  });
  herald = await startTestHerald();
}, 120_000);
afterAll(async () => {
  await herald?.stop();
  await env?.teardown();
});

/** Temporal's name for the workflow a schedule starts at `scheduledAt` (second precision). */
const firingWorkflowId = (ws: string, id: string, scheduledAt: string) => `schedule:${ws}:${id}-${scheduledAt.replace(/\.\d{3}Z$/, 'Z')}`;

describe('schedules in the time-skipping environment', () => {
  it('a schedule fires at its local time in the schedule zone, in winter and in summer (daylight saving)', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/notifications/digest').set(ws.auth).send({ name: 'Digest', channels: { inbox: { title: 'Digest', body: 'For {{ data.schedule.local_time }}' } } }).expect(200);
    // 15 January and 15 July at 09:00 in Oslo: CET (UTC+1) and CEST (UTC+2).
    const schedule = (await herald.http.put('/schedules/mid-month').set(ws.auth).send({
      rrule: 'FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=15;BYHOUR=9;BYMINUTE=0', timezone: 'Europe/Oslo', target: { template: 'digest', to: { user_id: 'oslo-reader' } },
    }).expect(200)).body;
    expect(schedule.next_runs_source).toBe('temporal');
    const [first, second] = schedule.next_runs as string[];
    const expectedUtcHour = (iso: string) => (DateTime.fromISO(iso, { zone: 'utc' }).month === 1 ? 8 : 7);
    for (const run of [first, second]) expect(DateTime.fromISO(run, { zone: 'utc' }).hour).toBe(expectedUtcHour(run));

    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: readTestServers().workflowBundlePath },
      activities: herald.app.get(WorkerHostService).activities(),
    });
    const results = await worker.runUntil(async () => {
      const out: Array<{ run: string; result: ScheduledFiringResult; firedAt: number }> = [];
      for (const run of [first, second]) {
        const wait = Date.parse(run) - (await env.currentTimeMs());
        if (wait > 0) await env.sleep(wait);
        const handle = await env.client.workflow.start('scheduledTargetWorkflow', {
          workflowId: firingWorkflowId(ws.id, 'mid-month', run),
          taskQueue,
          args: [{ workspaceId: ws.id, scheduleId: 'mid-month' }],
        });
        const result = (await handle.result()) as ScheduledFiringResult;
        out.push({ run, result, firedAt: await env.currentTimeMs() });
      }
      return out;
    });

    for (const { run, result, firedAt } of results) {
      expect(firedAt).toBeGreaterThanOrEqual(Date.parse(run));
      expect(result.status).toBe('COMPLETED');
      const local = DateTime.fromISO(result.local_time!, { setZone: true });
      expect([local.day, local.hour, local.minute]).toEqual([15, 9, 0]);
      expect(local.offset).toBe(DateTime.fromISO(run, { zone: 'utc' }).month === 1 ? 60 : 120);
    }
    expect(results.map((r) => r.result.local_time)).toEqual(
      [first, second].map((run) => DateTime.fromISO(run, { zone: 'Europe/Oslo' }).toISO({ suppressMilliseconds: true })),
    );

    // Each firing sent one message, with the firing's time and local time in its data.
    const items = await waitUntil(async () => {
      const res = await herald.http.get('/messages?recipient=oslo-reader').set(ws.auth);
      return res.body.items?.length === 2 && res.body.items.every((m: any) => m.status === 'DELIVERED') ? res.body.items : undefined;
    }, { what: 'two delivered messages', timeoutMs: 30_000 });
    const rows = await herald.db.query(`SELECT request->'data'->'schedule' AS s FROM messages WHERE workspace_id = $1 ORDER BY request->'data'->'schedule'->>'scheduled_at'`, [ws.id]);
    expect(rows.map((r: any) => r.s)).toEqual(results.map(({ run, result }) => ({ id: 'mid-month', scheduled_at: run, timezone: 'Europe/Oslo', local_time: result.local_time })));
    expect(items.map((m: any) => m.request_id).sort()).toEqual(results.map((r) => r.result.result!.request_id).sort());

    const after = (await herald.http.get('/schedules/mid-month').set(ws.auth).expect(200)).body;
    expect(after.last_run).toMatchObject({ at: second, status: 'COMPLETED', workflow_id: firingWorkflowId(ws.id, 'mid-month', second) });
    await herald.http.delete('/schedules/mid-month').set(ws.auth).expect(204);
  });
});
