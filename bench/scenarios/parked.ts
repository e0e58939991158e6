import { mapWithConcurrency } from '../../src/common/concurrency';
import { Api, check, Ctx, fmt, forceGc, goal, mb, newWorkspace, Row, secondsSince, times, waitFor } from '../common';
import { rssMb } from '../procs';
import { settings } from '../settings';
import { workerRss } from '../topology';

const TOKEN = 'bench-park';

/**
 * 4. Parked runs: BENCH_RUNS ad-hoc runs (`delay 1 hour`, then `send`) via POST /automations/invoke
 * at concurrency 32 (an Idempotency-Key per run, so a 503/429 is retried without a second run).
 * Start rate = runs / time until all are WAITING; worker RSS while they wait; then one cancel by
 * token: the HTTP answer time, how many it canceled, and the time until Temporal shows none of
 * those workflows running.
 */
export async function parkedScenario(ctx: Ctx): Promise<Row[]> {
  const n = settings.runs;
  const api = new Api(ctx.apiUrl, 32);
  try {
    const ws = await newWorkspace(ctx, 'parked');
    await api.call('PUT', '/notifications/note', ws.key, { name: 'Note', channels: { inbox: { title: 'Hi {{ recipient }}', body: 'b' } } });
    let refused = 0;
    forceGc();
    const rssBefore = ctx.inProcessWorker ? [{ pid: process.pid, rssMb: mb(process.memoryUsage().rss) }] : workerRss(ctx.watched.workers);
    console.log(`    invoking ${n} runs at concurrency 32…`);
    const t0 = Date.now();
    await mapWithConcurrency(Array.from({ length: n }, (_, i) => i), 32, (i) =>
      api.postRetrying('/automations/invoke', ws.key, { recipient: `p${i % 100}`, automation: { cancelation_token: TOKEN, steps: [{ action: 'delay', duration: '1 hour' }, { action: 'send', template: 'note' }] } }, {
        shortWaitMs: 500,
        honourRetryAfter: false,
        onRefused: () => refused++,
        headers: { 'idempotency-key': `park-${i}` },
      }),
    );
    const answeredSeconds = secondsSince(t0);
    const waiting = await waitFor('parked: runs WAITING', async () => {
      const [{ c }] = (await ctx.db.query(`SELECT count(*)::int AS c FROM automation_runs WHERE workspace_id = $1 AND status = 'WAITING'`, [ws.id])) as Array<{ c: number }>;
      return { done: c >= n, progress: c, note: `${c}/${n} WAITING` };
    }, 500);
    const waitingSeconds = secondsSince(t0, waiting.at);
    const startRate = n / waitingSeconds;
    console.log(`    all answered after ${answeredSeconds.toFixed(1)} s (${refused}× 429/503), all WAITING after ${waitingSeconds.toFixed(1)} s: ${startRate.toFixed(1)} runs/s`);

    const gc = forceGc();
    const rss = ctx.inProcessWorker
      ? { where: `bench process (API + worker + bench${gc ? ', after gc' : ''})`, perProcess: [{ pid: process.pid, rssMb: mb(process.memoryUsage().rss) }] }
      : { where: 'herald worker processes (VmRSS)', perProcess: workerRss(ctx.watched.workers) };
    const maxRss = Math.max(...rss.perProcess.map((p) => p.rssMb));
    const temporalRss = ctx.watched.temporal ? rssMb(ctx.watched.temporal) : NaN;
    console.log(`    RSS while parked: ${rss.perProcess.map((p) => `${p.pid}: ${p.rssMb} MB`).join(', ')} (${rss.where}); Temporal server ${fmt(temporalRss)} MB`);

    const countRunning = async () =>
      (await ctx.temporal.client.workflow.count(`HeraldWorkspace = '${ws.id}' AND ExecutionStatus = 'Running' AND WorkflowType = 'automationRun'`)).count;
    const runningBefore = await countRunning().catch(() => NaN);
    const c0 = Date.now();
    const res = await api.request('POST', '/automations/cancel', ws.key, { cancelation_token: TOKEN });
    const answerSeconds = secondsSince(c0);
    if (res.status >= 300) throw new Error(`cancel answered ${res.status}: ${res.text.slice(0, 200)}`);
    const canceled = (JSON.parse(res.text) as { canceled: unknown[] }).canceled.length;
    console.log(`    cancel by token answered in ${answerSeconds.toFixed(2)} s: ${canceled} canceled (Temporal showed ${runningBefore} running before)`);
    const closed = await waitFor('parked: workflows closed in Temporal', async () => {
      const running = await countRunning();
      return { done: running === 0, progress: running, note: `${running} still running` };
    }, 500);
    const closedSeconds = secondsSince(c0, closed.at);
    console.log(`    all closed in Temporal ${closedSeconds.toFixed(1)} s after the cancel${closed.timedOut ? ` — TIMEOUT: ${closed.reason}` : ''}`);

    const oneLa = ctx.baselines.oneLocalActivityPerSec;
    const base = { workspace: ws.id, runs: n, refused };
    return [
      {
        scenario: `4 parked runs: start ${n} (delay 1 hour, concurrency 32)`,
        herald: `${fmt(startRate, 1)} runs/s (all WAITING in ${waitingSeconds.toFixed(1)} s; answers in ${answeredSeconds.toFixed(1)} s, ${refused}× 429/503)${waiting.timedOut ? ` — TIMEOUT (${waiting.reason})` : ''}`,
        baseline: `${fmt(oneLa, 1)} bare one-LA workflows/s`,
        ratio: times(startRate / oneLa),
        goal: '—',
        detail: { ...base, answeredSeconds, waitingSeconds, startRate, timedOut: waiting.timedOut, reason: waiting.reason },
      },
      {
        scenario: `4 parked runs: worker RSS with ${n} waiting`,
        herald: `${rss.perProcess.map((p) => `${p.rssMb} MB`).join(' + ')} (${rss.where}; before the runs ${rssBefore.map((p) => `${p.rssMb} MB`).join(' + ')})`,
        baseline: `Temporal server ${fmt(temporalRss)} MB`,
        ratio: '—',
        goal: goal('≤ 512 MB', check(maxRss, (v) => v <= 512)),
        detail: { ...base, rss, rssBefore, maxRssMb: maxRss, gc, temporalRssMb: temporalRss },
      },
      {
        scenario: '4 parked runs: one cancel by token, HTTP answer',
        herald: `${answerSeconds.toFixed(2)} s, ${canceled} canceled`,
        baseline: '—',
        ratio: '—',
        goal: goal('< 5 s', canceled === n ? answerSeconds < 5 : false),
        detail: { ...base, answerSeconds, canceled, runningBefore },
      },
      {
        scenario: '4 parked runs: until all closed in Temporal',
        herald: `${closedSeconds.toFixed(1)} s (${fmt(canceled / closedSeconds)} terminations/s)${closed.timedOut ? ` — TIMEOUT (${closed.reason})` : ''}`,
        baseline: '—',
        ratio: '—',
        goal: goal('< 2 min', closed.timedOut ? false : closedSeconds < 120),
        detail: { ...base, closedSeconds, timedOut: closed.timedOut, reason: closed.reason },
      },
    ];
  } finally {
    await api.close();
  }
}
