import { mapWithConcurrency } from '../../src/common/concurrency';
import { invokeAdHoc, runReaches, runSteps } from '../support/automations';
import { startTestHerald, TestHerald } from '../support/test-herald';
import { waitUntil } from '../support/wait-until';

/**
 * A cancel step over a large token set is one SQL statement: it finishes in one short
 * activity, however many runs hold the token; their workflows are closed afterwards in the
 * background. (It used to wait for every workflow inside a 60 s activity, and repeat forever.)
 */
const RUNS = 300;

describe('a cancel step over many runs', () => {
  let herald: TestHerald;
  beforeAll(async () => {
    herald = await startTestHerald();
  });
  afterAll(async () => herald?.stop());

  it(`cancels ${RUNS} waiting runs in one step, and their workflows close`, async () => {
    const ws = await herald.newWorkspace();
    const ids = await mapWithConcurrency(Array.from({ length: RUNS }, (_, i) => i), 8, (i) =>
      invokeAdHoc(herald, ws.auth, { automation: { cancelation_token: 'mass', steps: [{ action: 'delay', duration: '3 days' }] }, recipient: `m${i}` }),
    );
    await waitUntil(async () => {
      const [row] = await herald.db.query("SELECT count(*)::int AS n FROM automation_runs WHERE workspace_id = $1 AND status = 'WAITING'", [ws.id]);
      return row.n === RUNS;
    }, { timeoutMs: 120_000, what: `${RUNS} runs to park` });

    const canceler = await invokeAdHoc(herald, ws.auth, { automation: { steps: [{ action: 'cancel', cancelation_token: 'mass' }] }, recipient: 'boss' });
    await runReaches(herald, ws.auth, canceler, ['PROCESSED'], 30_000);
    const [step] = await runSteps(herald, ws.auth, canceler);
    expect(step).toMatchObject({ action: 'cancel', status: 'PROCESSED' });
    expect(step.result.canceled).toHaveLength(RUNS);
    const [counts] = await herald.db.query(
      "SELECT count(*) FILTER (WHERE status = 'CANCELED')::int AS canceled, count(*)::int AS total FROM automation_runs WHERE workspace_id = $1 AND id = ANY($2::uuid[])",
      [ws.id, ids],
    );
    expect(counts).toEqual({ canceled: RUNS, total: RUNS });
    // Background termination closes every workflow.
    await waitUntil(async () => {
      const statuses = await mapWithConcurrency(ids, 16, async (id) => (await herald.temporal.client.workflow.getHandle(`run:${ws.id}:${id}`).describe()).status.name);
      return statuses.every((s) => s === 'TERMINATED');
    }, { timeoutMs: 120_000, what: 'every canceled workflow to close' });
  }, 300_000);
});
