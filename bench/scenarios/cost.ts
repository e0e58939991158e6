import { mapWithConcurrency } from '../../src/common/concurrency';
import { Ctx, fmt, Row, times } from '../common';

const RUN_SAMPLE = 20;

interface HistoryCount {
  executions: number;
  events: number;
  workflowTasks: number;
}

/**
 * 6. Temporal cost: history events per identify (every dispatcher execution of the scenario-1
 * workspace, closed and continued-as-new runs included, over the identify events), per mapped
 * track (dispatcher events per event + one run workflow's events) and per one-step run (events
 * and workflow tasks in a run workflow's history, averaged over a sample), next to the bare
 * one-local-activity workflow's history.
 */
export async function costScenario(ctx: Ctx): Promise<Row[]> {
  const { identify, sustained, burst } = ctx.shared;
  const bare = ctx.baselines.oneLocalActivityHistory;
  const bareText = `bare one-LA workflow: ${bare.events} events, ${bare.workflowTasks} workflow tasks`;
  const rows: Row[] = [];

  if (identify) {
    const d = await histories(ctx, `HeraldWorkspace = '${identify.workspaceId}' AND WorkflowType = 'dispatcher'`);
    const per = d.events / identify.events;
    console.log(`    identify: ${d.events} dispatcher events in ${d.executions} executions for ${identify.events} events: ${per.toFixed(3)}/event`);
    rows.push({
      scenario: '6 Temporal cost: history events per identify',
      herald: `${fmt(per, 3)} events/identify (${d.events} in ${d.executions} dispatcher executions / ${identify.events} events)`,
      baseline: bareText,
      ratio: times(per / bare.events),
      goal: '—',
      detail: { workspace: identify.workspaceId, identifies: identify.events, dispatcher: d, perEvent: per },
    });
  }

  if (sustained) {
    const run = await histories(ctx, `HeraldWorkspace = '${sustained.workspaceId}' AND WorkflowType = 'automationRun' AND ExecutionStatus = 'Completed'`, RUN_SAMPLE);
    const runEvents = run.events / run.executions;
    const runTasks = run.workflowTasks / run.executions;
    console.log(`    one-step run: ${runEvents.toFixed(1)} events, ${runTasks.toFixed(1)} workflow tasks (mean of ${run.executions})`);
    rows.push({
      scenario: '6 Temporal cost: one-step run workflow',
      herald: `${fmt(runEvents, 1)} history events, ${fmt(runTasks, 1)} workflow tasks (mean of ${run.executions} runs)`,
      baseline: bareText,
      ratio: times(runEvents / bare.events),
      goal: '—',
      detail: { workspace: sustained.workspaceId, sample: run, eventsPerRun: runEvents, workflowTasksPerRun: runTasks },
    });
    for (const [label, s] of [['single events', sustained], ['burst, batches of 100', burst]] as const) {
      if (!s) continue;
      const d = await histories(ctx, `HeraldWorkspace = '${s.workspaceId}' AND WorkflowType = 'dispatcher'`);
      const per = d.events / s.events;
      console.log(`    mapped track (${label}): dispatcher ${per.toFixed(3)}/event + run ${runEvents.toFixed(1)}`);
      rows.push({
        scenario: `6 Temporal cost: history events per mapped track (${label})`,
        herald: `${fmt(per + runEvents, 2)} events/track (dispatcher ${fmt(per, 3)} + run ${fmt(runEvents, 1)})`,
        baseline: bareText,
        ratio: times((per + runEvents) / bare.events),
        goal: '—',
        detail: { workspace: s.workspaceId, events: s.events, dispatcher: d, dispatcherPerEvent: per, runEvents },
      });
    }
  }
  if (!rows.length) throw new Error('no earlier scenario left a workspace to count');
  return rows;
}

/** Lists executions by a visibility query (every run, continued-as-new ones included) and counts their history events. */
async function histories(ctx: Ctx, query: string, limit = Infinity): Promise<HistoryCount> {
  const client = ctx.temporal.client;
  const executions: Array<{ workflowId: string; runId: string }> = [];
  for await (const info of client.workflow.list({ query })) {
    executions.push({ workflowId: info.workflowId, runId: info.runId });
    if (executions.length >= limit) break;
  }
  const counts = await mapWithConcurrency(executions, 8, async (e) => {
    const events = (await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory()).events ?? [];
    return { events: events.length, workflowTasks: events.filter((ev) => ev.workflowTaskCompletedEventAttributes).length };
  });
  return {
    executions: executions.length,
    events: counts.reduce((s, c) => s + c.events, 0),
    workflowTasks: counts.reduce((s, c) => s + c.workflowTasks, 0),
  };
}
