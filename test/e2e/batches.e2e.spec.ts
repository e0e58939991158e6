import { createHash } from 'node:crypto';
import { addToBatchStep } from '../../src/automations/engine/steps/add-to-batch.step';
import { BatchesService } from '../../src/automations/runs/batches.service';
import { RunsRepository } from '../../src/automations/runs/runs.repository';
import { TemporalClientService } from '../../src/temporal/temporal-client.service';
import type { AddToBatchStep } from '../../workflows/shared/step-schema';
import { publishedTemplate, runReaches, runSteps } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * add-to-batch keeps each run's place in Postgres: a batch is never lost and never waits
 * forever — not on a join retried after its batch was flushed, not on a lost batch window,
 * not on a leader canceled while it waited.
 */
type Auth = Record<string, string>;

const windowId = (workspaceId: string, key: string) => `batch:${workspaceId}:${createHash('sha256').update(`${workspaceId}\n${key}`).digest('hex').slice(0, 32)}`;

async function invoke(herald: TestHerald, auth: Auth, templateId: string, recipient: string, data: Record<string, unknown>): Promise<string> {
  const res = await herald.http.post(`/automations/${templateId}/invoke`).set(auth).send({ recipient, data });
  expect(res.status).toBe(202);
  return res.body.runId;
}

async function itemsJoined(herald: TestHerald, workspaceId: string, n: number) {
  await waitUntil(async () => {
    const [row] = await herald.db.query('SELECT count(*)::int AS n FROM automation_batch_items WHERE workspace_id = $1', [workspaceId]);
    return row.n >= n;
  }, { what: `${n} runs to join the batch` });
}

describe('add-to-batch', () => {
  let herald: TestHerald;
  beforeAll(async () => {
    herald = await startTestHerald();
  });
  afterAll(async () => herald?.stop());

  it('a join retried after its batch was flushed finds its place: no fresh batch, no leader of nothing', async () => {
    const ws = await herald.newWorkspace();
    const step: AddToBatchStep = { action: 'add-to-batch', wait_period: '1 second', max_wait_period: '10 seconds' };
    const tpl = await publishedTemplate(herald, ws.auth, { name: 'Digest', steps: [step, { action: 'update-profile', recipient_id: 'b1', profile: { digested: true } }] });
    const a = await invoke(herald, ws.auth, tpl, 'b1', { n: 1 });
    const b = await invoke(herald, ws.auth, tpl, 'b1', { n: 2 });
    for (const id of [a, b]) await runReaches(herald, ws.auth, id, ['PROCESSED']);
    const key = `${tpl}:0:b1`;
    const window = herald.temporal.client.workflow.getHandle(windowId(ws.id, key));
    const closed = await window.describe();
    expect(closed.status.name).toBe('COMPLETED');

    // What a retried advanceRun does when its first attempt joined but never recorded the wait.
    const row = (await herald.app.get(RunsRepository).load(ws.id, a))!;
    const handler = addToBatchStep(herald.app.get(TemporalClientService), herald.app.get(BatchesService));
    const retried = await handler.run({ run: row, context: { ...row.context, data: { n: 1 } }, refs: {}, step, path: '0', scope: {} as never, resolved: step });

    const steps = await runSteps(herald, ws.auth, a);
    const role = steps[0].result.role;
    expect(retried).toMatchObject({ kind: 'done', result: { role } });
    if (role === 'leader') expect(retried).toMatchObject({ result: { count: 2 }, context: { data: { batch: { count: 2, items: [{ n: 1 }, { n: 2 }] } } } });
    // No fresh batch window was started for the retry.
    const after = await window.describe();
    expect(after.runId).toBe(closed.runId);
    expect(after.status.name).toBe('COMPLETED');
    const batches = await herald.db.query('SELECT DISTINCT batch_id FROM automation_batch_items WHERE workspace_id = $1', [ws.id]);
    expect(batches).toHaveLength(1);
  });

  it('a lost batch window loses nothing: the runs flush their batch themselves at their timeout', async () => {
    const ws = await herald.newWorkspace();
    const tpl = await publishedTemplate(herald, ws.auth, {
      name: 'Digest', steps: [{ action: 'add-to-batch', wait_period: '2 seconds', max_wait_period: '2 seconds' }, { action: 'update-profile', recipient_id: 'b2', profile: { digested: true } }],
    });
    const runs = [await invoke(herald, ws.auth, tpl, 'b2', { n: 1 }), await invoke(herald, ws.auth, tpl, 'b2', { n: 2 }), await invoke(herald, ws.auth, tpl, 'b2', { n: 3 })];
    await itemsJoined(herald, ws.id, 3);
    await herald.temporal.client.workflow.getHandle(windowId(ws.id, `${tpl}:0:b2`)).terminate('lost');

    for (const id of runs) await runReaches(herald, ws.auth, id, ['PROCESSED'], 60_000);
    const results = await Promise.all(runs.map(async (id) => (await runSteps(herald, ws.auth, id))[0].result));
    expect(results.filter((r) => r.role === 'leader')).toEqual([{ role: 'leader', count: 3 }]);
    expect(results.filter((r) => r.role === 'member')).toHaveLength(2);
  }, 90_000);

  it('a run canceled while it waited does not lead and is not in the batch; the next run carries it', async () => {
    const ws = await herald.newWorkspace();
    const tpl = await publishedTemplate(herald, ws.auth, {
      name: 'Digest', cancelation_token: 'digest-${data.n}',
      steps: [{ action: 'add-to-batch', wait_period: '3 seconds', max_wait_period: '10 seconds' }, { action: 'update-profile', recipient_id: 'b3', profile: { digested: true } }],
    });
    const first = await invoke(herald, ws.auth, tpl, 'b3', { n: 1 });
    await itemsJoined(herald, ws.id, 1);
    const second = await invoke(herald, ws.auth, tpl, 'b3', { n: 2 });
    const third = await invoke(herald, ws.auth, tpl, 'b3', { n: 3 });
    await itemsJoined(herald, ws.id, 3);
    await herald.http.post('/automations/cancel').set(ws.auth).send({ cancelation_token: 'digest-1' }).expect(202);

    for (const id of [second, third]) await runReaches(herald, ws.auth, id, ['PROCESSED']);
    expect((await herald.http.get(`/automations/runs/${first}`).set(ws.auth)).body.status).toBe('CANCELED');
    const [leader] = await herald.db.query("SELECT run_id FROM automation_batch_items WHERE workspace_id = $1 AND role = 'leader'", [ws.id]);
    expect(leader.run_id).toBe(second);
    const steps = await runSteps(herald, ws.auth, second);
    expect(steps[0].result).toEqual({ role: 'leader', count: 2 });
    const profile = await herald.http.get('/profiles/b3').set(ws.auth);
    expect(profile.body.profile.digested).toBe(true);
  });
});
