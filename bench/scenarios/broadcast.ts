import { Api, Ctx, fmt, forceGc, mb, newWorkspace, Row, secondsSince, times, waitFor } from '../common';
import { settings } from '../settings';
import { workerRss } from '../topology';

/**
 * 7. Broadcast: BENCH_BROADCAST recipients (default 100,000) on one list, subscribed 1,000 per
 * POST /lists/{id}/subscriptions, then one broadcast of an inbox template with no rate limit.
 * Recipients per second from start to COMPLETED, against the bare one-local-activity workflow
 * rate (a workflow per recipient could go no faster than that); the worker's RSS at the end; and
 * the broadcast's Temporal history events (all its runs, continue-as-new included) per recipient.
 */
export async function broadcastScenario(ctx: Ctx): Promise<Row[]> {
  const n = settings.broadcast;
  const api = new Api(ctx.apiUrl, 4);
  const ws = await newWorkspace(ctx, 'broadcast');
  await api.call('PUT', '/notifications/note', ws.key, { name: 'Note', channels: { inbox: { title: 'Hi {{ recipient }}', body: 'b' } } });
  const s0 = Date.now();
  for (let i = 0; i < n; i += 1000) {
    const recipients = Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ recipientId: `b${i + j}` }));
    await api.call('POST', '/lists/everyone/subscriptions', ws.key, { recipients });
  }
  console.log(`    ${n} subscribed in ${secondsSince(s0).toFixed(1)} s`);
  forceGc();
  const t0 = Date.now();
  const created = (await api.call('POST', '/broadcasts', ws.key, { name: 'bench', list_id: 'everyone', template: 'note', start: true })) as { id: string };
  const done = await waitFor('broadcast: COMPLETED', async () => {
    const [b] = (await ctx.db.query(`SELECT status, sent + filtered + failed AS done FROM broadcasts WHERE workspace_id = $1 AND id = $2`, [ws.id, created.id])) as Array<{ status: string; done: number }>;
    return { done: b?.status === 'COMPLETED', progress: b?.done ?? 0, note: `${b?.done ?? 0}/${n} (${b?.status})` };
  }, 1000);
  const seconds = secondsSince(t0, done.at);
  const rate = n / seconds;
  const rss = ctx.inProcessWorker ? mb(process.memoryUsage().rss) : Math.max(...workerRss(ctx.watched.workers).map((p) => p.rssMb));
  const [{ sent, delivered }] = (await ctx.db.query(
    `SELECT (SELECT sent FROM broadcasts WHERE workspace_id = $1 AND id = $2) AS sent,
       (SELECT count(*)::int FROM messages WHERE workspace_id = $1 AND request_id = $2 AND status = 'DELIVERED') AS delivered`,
    [ws.id, created.id],
  )) as Array<{ sent: number; delivered: number }>;
  let events = 0;
  let executions = 0;
  for await (const info of ctx.temporal.client.workflow.list({ query: `WorkflowId = 'broadcast:${ws.id}:${created.id}'` })) {
    executions++;
    events += ((await ctx.temporal.client.workflow.getHandle(info.workflowId, info.runId).fetchHistory()).events ?? []).length;
  }
  console.log(`    ${n} recipients in ${seconds.toFixed(1)} s: ${rate.toFixed(0)}/s; ${sent} sent, ${delivered} messages DELIVERED; ${executions} workflow runs, ${events} history events; RSS ${rss} MB`);
  const oneLa = ctx.baselines.oneLocalActivityPerSec;
  return [
    {
      scenario: `7 broadcast: ${n} recipients (inbox, no rate limit)`,
      herald: `${fmt(rate, 0)} recipients/s (COMPLETED in ${seconds.toFixed(1)} s; ${delivered} DELIVERED)${done.timedOut ? ` — TIMEOUT (${done.reason})` : ''}`,
      baseline: `${fmt(oneLa, 1)} bare one-LA workflows/s`,
      ratio: times(rate / oneLa),
      goal: '—',
      detail: { workspace: ws.id, broadcast: created.id, n, seconds, rate, sent, delivered, rssMb: rss },
    },
    {
      scenario: '7 broadcast: Temporal history events per recipient',
      herald: `${fmt(events / n, 4)} (${events} events in ${executions} runs)`,
      baseline: `${ctx.baselines.oneLocalActivityHistory.events} per bare one-LA workflow`,
      ratio: times(events / n / ctx.baselines.oneLocalActivityHistory.events),
      goal: '—',
      detail: { events, executions, rssMb: rss },
    },
    {
      scenario: '7 broadcast: worker RSS at the end',
      herald: `${rss} MB`,
      baseline: '—',
      ratio: '—',
      goal: '—',
      detail: { rssMb: rss },
    },
  ];
}
