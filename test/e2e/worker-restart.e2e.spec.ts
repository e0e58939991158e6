import { randomUUID } from 'node:crypto';
import { publishedTemplate, runReaches, runSteps } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';

/**
 * Throttle and add-to-batch keep their state outside the worker (Postgres; a collector
 * workflow), so a worker that stops mid-way and a new one that takes over change nothing.
 */
describe('state that survives a worker restart', () => {
  const taskQueue = `restart-${randomUUID()}`;
  let first: TestHerald | undefined;
  let second: TestHerald | undefined;
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
  });

  it('a batch collected across a worker restart is handed out once; a throttle window is still counted', async () => {
    first = await startTestHerald({ taskQueue });
    const ws = await first.newWorkspace();
    const digest = await publishedTemplate(first, ws.auth, {
      name: 'Digest', steps: [{ action: 'add-to-batch', wait_period: '4 seconds', max_wait_period: '30 seconds' }, { action: 'send', template: 'digest' }],
    });
    const limited = await publishedTemplate(first, ws.auth, {
      name: 'Limited', steps: [{ action: 'throttle', max_allowed: 1, period: '1 hour', scope: 'global' }, { action: 'send', template: 'once' }],
    });
    const batchRuns = [];
    for (const n of [1, 2]) batchRuns.push((await first.http.post(`/automations/${digest}/invoke`).set(ws.auth).send({ recipient: 'r', data: { n } })).body.runId);
    for (const id of batchRuns) await runReaches(first, ws.auth, id, ['WAITING']);
    const throttled1 = (await first.http.post(`/automations/${limited}/invoke`).set(ws.auth).send({})).body.runId;
    await runReaches(first, ws.auth, throttled1, ['PROCESSED']);

    // The first worker goes away while two runs wait in the batch; a new one takes over the queue.
    await first.stop();
    first = undefined;
    second = await startTestHerald({ taskQueue });
    batchRuns.push((await second.http.post(`/automations/${digest}/invoke`).set(ws.auth).send({ recipient: 'r', data: { n: 3 } })).body.runId);
    for (const id of batchRuns) await runReaches(second, ws.auth, id, ['PROCESSED']);
    const results = await Promise.all(batchRuns.map(async (id) => (await runSteps(second!, ws.auth, id))[0].result));
    expect(results.filter((r) => r.role === 'leader')).toEqual([{ role: 'leader', count: 3 }]);
    expect(results.filter((r) => r.role === 'member')).toHaveLength(2);

    const throttled2 = (await second.http.post(`/automations/${limited}/invoke`).set(ws.auth).send({})).body.runId;
    await runReaches(second, ws.auth, throttled2, ['PROCESSED']);
    expect((await runSteps(second, ws.auth, throttled2)).map((s) => `${s.action}:${s.status}`)).toEqual(['throttle:PROCESSED', 'send:NOT PROCESSED']);
  }, 90_000);
});
