import { SweepService } from '../../src/maintenance/sweep.service';
import { freePort } from '../support/ports';
import { invokeAdHoc, runReaches } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * Rows that drift from their workflows are settled by the maintenance sweep's reconciler:
 * a workflow terminated (or deleted) in Temporal, a run the API recorded but could not start,
 * a queued message whose workflow is gone. Each case sets up the drift for real and lets the
 * sweep (what the Temporal Schedule runs) find it.
 */
type Auth = Record<string, string>;

async function workflowIdOf(herald: TestHerald, workspaceId: string, runId: string): Promise<string> {
  const [row] = await herald.db.query('SELECT workflow_id FROM automation_runs WHERE workspace_id = $1 AND id = $2', [workspaceId, runId]);
  return row.workflow_id;
}

/** Sweeps until the run reaches a status (each sweep is what one schedule tick does). */
async function sweepUntilRun(herald: TestHerald, auth: Auth, runId: string, status: string) {
  const sweep = herald.app.get(SweepService);
  return waitUntil(async () => {
    await sweep.sweep();
    const res = await herald.http.get(`/automations/runs/${runId}`).set(auth);
    return res.body.status === status ? res.body : undefined;
  }, { timeoutMs: 30_000, what: `the sweep to settle run ${runId} ${status}` });
}

describe('the reconciler', () => {
  let herald: TestHerald;
  beforeAll(async () => {
    herald = await startTestHerald({ env: { HERALD_RECONCILE_AFTER: '1 second' } });
  });
  afterAll(async () => herald?.stop());

  it('settles a run whose workflow was terminated in Temporal CANCELED, and drops its wait', async () => {
    const ws = await herald.newWorkspace();
    const runId = await invokeAdHoc(herald, ws.auth, { automation: { steps: [{ action: 'wait-for', event: 'Never', timeout: '3 days' }] }, recipient: 'u1' });
    await runReaches(herald, ws.auth, runId, ['WAITING']);
    expect(await herald.db.query('SELECT count(*)::int AS n FROM automation_run_waits WHERE workspace_id = $1 AND run_id = $2', [ws.id, runId])).toEqual([{ n: 1 }]);
    await herald.temporal.client.workflow.getHandle(await workflowIdOf(herald, ws.id, runId)).terminate('operator in the Temporal UI');

    const run = await sweepUntilRun(herald, ws.auth, runId, 'CANCELED');
    expect(run.error).toMatch(/terminated in Temporal/);
    expect(await herald.db.query('SELECT count(*)::int AS n FROM automation_run_waits WHERE workspace_id = $1 AND run_id = $2', [ws.id, runId])).toEqual([{ n: 0 }]);
  });

  it('settles a run whose workflow is not in Temporal at all ERROR', async () => {
    const ws = await herald.newWorkspace();
    const runId = await invokeAdHoc(herald, ws.auth, { automation: { steps: [{ action: 'delay', duration: '3 days' }] }, recipient: 'u2' });
    await runReaches(herald, ws.auth, runId, ['WAITING']);
    const workflowId = await workflowIdOf(herald, ws.id, runId);
    await herald.temporal.client.workflowService.deleteWorkflowExecution({ namespace: herald.config.temporal.namespace, workflowExecution: { workflowId } });
    await waitUntil(async () => {
      try {
        await herald.temporal.client.workflow.getHandle(workflowId).describe();
        return false;
      } catch {
        return true;
      }
    }, { what: 'Temporal to delete the workflow' });

    const run = await sweepUntilRun(herald, ws.auth, runId, 'ERROR');
    expect(run.error).toMatch(/not in Temporal/);
  });

  it('leaves a healthy parked run alone', async () => {
    const ws = await herald.newWorkspace();
    const runId = await invokeAdHoc(herald, ws.auth, { automation: { steps: [{ action: 'delay', duration: '3 days' }] }, recipient: 'u3' });
    await runReaches(herald, ws.auth, runId, ['WAITING']);
    // Older than HERALD_RECONCILE_AFTER, so the reconciler describes its workflow.
    await herald.db.query("UPDATE automation_runs SET updated_at = now() - interval '1 minute' WHERE workspace_id = $1 AND id = $2", [ws.id, runId]);
    await herald.app.get(SweepService).sweep();
    const [row] = await herald.db.query('SELECT status, checked_at FROM automation_runs WHERE workspace_id = $1 AND id = $2', [ws.id, runId]);
    expect(row.status).toBe('WAITING');
    expect(row.checked_at).not.toBeNull();
  });

  it('a run in wait-for canceled by its token leaves no wait row, and a later matching event wakes nothing', async () => {
    const ws = await herald.newWorkspace();
    const runId = await invokeAdHoc(herald, ws.auth, {
      automation: { cancelation_token: 'drift-tok', steps: [{ action: 'wait-for', event: 'Upgraded', timeout: '3 days' }] }, recipient: 'u4',
    });
    await runReaches(herald, ws.auth, runId, ['WAITING']);
    await herald.http.post('/automations/cancel').set(ws.auth).send({ cancelation_token: 'drift-tok' }).expect(202);
    await runReaches(herald, ws.auth, runId, ['CANCELED']);
    expect(await herald.db.query('SELECT count(*)::int AS n FROM automation_run_waits WHERE workspace_id = $1', [ws.id])).toEqual([{ n: 0 }]);
    const accepted = await herald.http.post('/inbound/rudderstack').set(ws.auth).send({ type: 'track', event: 'Upgraded', userId: 'u4', messageId: 'after-cancel' });
    expect(accepted.status).toBe(202);
    await waitUntil(async () => {
      const log = await herald.http.get('/inbound/events/log').set(ws.auth);
      return log.body.items.find((e: { message_id: string; status: string }) => e.message_id === 'after-cancel' && e.status !== 'pending');
    }, { what: 'the event to be processed' });
    expect((await herald.http.get(`/automations/runs/${runId}`).set(ws.auth)).body.status).toBe('CANCELED');
  });

  it('settles a queued /send message whose workflow was terminated UNDELIVERABLE', async () => {
    const ws = await herald.newWorkspace();
    await herald.http.put('/profiles/later').set(ws.auth).send({ profile: { email: 'later@example.com' } }).expect(200);
    const sendAt = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const res = await herald.http.post('/send').set(ws.auth).send({ message: { to: { user_id: 'later' }, content: { title: 'x', body: 'y' }, delay: { until: sendAt } } });
    expect(res.status).toBe(202);
    const id = res.body.requestId;
    const [msg] = await waitUntil(async () => {
      const rows = await herald.db.query("SELECT workflow_id FROM messages WHERE workspace_id = $1 AND id = $2 AND status = 'ENQUEUED'", [ws.id, id]);
      return rows.length ? rows : undefined;
    }, { what: 'the message row' });
    await herald.temporal.client.workflow.getHandle(msg.workflow_id).terminate('operator');
    await herald.db.query("UPDATE messages SET enqueued_at = now() - interval '1 minute' WHERE workspace_id = $1 AND id = $2", [ws.id, id]);
    const sweep = herald.app.get(SweepService);
    const settled = await waitUntil(async () => {
      await sweep.sweep();
      const m = await herald.http.get(`/messages/${id}`).set(ws.auth);
      return m.body.status === 'UNDELIVERABLE' ? m.body : undefined;
    }, { what: 'the sweep to settle the message' });
    expect(`${settled.reason} ${settled.error}`).toMatch(/terminated/);
  });
});

describe('a run the API recorded but could not start', () => {
  let healthy: TestHerald;
  let down: TestHerald;
  beforeAll(async () => {
    healthy = await startTestHerald({ env: { HERALD_RECONCILE_AFTER: '1 second' } });
    down = await startTestHerald({ worker: false, temporalAddress: `127.0.0.1:${await freePort()}` });
  });
  afterAll(async () => {
    await down?.stop();
    await healthy?.stop();
  });

  it('is settled ERROR after HERALD_RECONCILE_AFTER when the client never retried, so a singleton sequence takes the user again', async () => {
    const ws = await down.newWorkspace();
    const res = await down.http.post('/automations/invoke').set(ws.auth).send({ automation: { steps: [{ action: 'delay', duration: '1 hour' }] }, recipient: 'never' });
    expect(res.status).toBe(503);
    const [row] = await healthy.db.query('SELECT id, status, started_at FROM automation_runs WHERE workspace_id = $1', [ws.id]);
    expect(row).toMatchObject({ status: 'PROCESSING', started_at: null });

    const run = await sweepUntilRun(healthy, ws.auth, row.id, 'ERROR');
    expect(run.error).toMatch(/never started/);
  });
});
