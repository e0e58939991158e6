import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SA_WORKSPACE } from '../../workflows/shared/search-attributes';
import { dispatcherWorkflowId } from '../../workflows/shared/workflow-ids';
import { toPrepared } from '../automations/runs/run-planner.service';
import { RunStarter } from '../automations/runs/run-starter.service';
import { RunsRepository } from '../automations/runs/runs.repository';
import { WaitsService } from '../automations/runs/waits.service';
import { mapWithConcurrency } from '../common/concurrency';
import { OutboxService } from '../outbox/outbox.service';
import { WorkflowWaker } from '../temporal/workflow-waker.service';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { DashboardStatsRepository } from '../dashboard/dashboard-stats.repository';
import { PushReceiptsService } from '../messages/push-receipts.service';
import { ReconcilerService } from './reconciler.service';
import { RetentionService } from './retention.service';

/** Work younger than this is left alone: its own process is most likely still on it. */
const GRACE = { inbound: '2 seconds', runStart: '10 seconds', outbox: '5 seconds', wake: '10 seconds' };
const LIMIT = 1000;

/**
 * The maintenance sweep (a Temporal Schedule runs it every HERALD_SWEEP_INTERVAL): finds work
 * that a crash left behind, where the durable part committed but the Temporal part was lost,
 * and finishes it; settles rows that drifted from their workflows (ReconcilerService); and runs
 * the pruning job when it is due (RetentionService); folds the dashboard's deltas; reads push
 * receipts (PushReceiptsService). Every fix is idempotent: a wake, a start
 * ("already started" is success), a re-sent signal, a settle that only moves an active row.
 */
@Injectable()
export class SweepService {
  private readonly logger = new Logger('Sweep');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly waker: WorkflowWaker,
    private readonly outbox: OutboxService,
    private readonly repo: RunsRepository,
    private readonly starter: RunStarter,
    private readonly waits: WaitsService,
    private readonly reconciler: ReconcilerService,
    private readonly retention: RetentionService,
    private readonly dashboard: DashboardStatsRepository,
    private readonly pushReceipts: PushReceiptsService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async sweep(): Promise<Record<string, number>> {
    const result: Record<string, number> = {
      dispatchersWoken: await this.wakeDispatchers(),
      ...(await this.startLostRuns()),
      emittersWoken: await this.wakeEmitters(),
      waitsWoken: await this.rewakeWaits(),
      ...(await this.reconciler.reconcile()),
    };
    // Routine, not a repair (so not logged): the dashboard triggers' deltas into its buckets (a dashboard read folds too).
    await this.dashboard.fold();
    const pruned = await this.retention.pruneIfDue();
    if (pruned) for (const [table, n] of Object.entries(pruned)) result[`pruned_${table}`] = n;
    // Last: the one step that calls out (a provider's receipts API), so a slow provider holds up no repair.
    Object.assign(result, await this.pushReceipts.poll());
    if (Object.values(result).some((n) => n > 0)) this.logger.log(`sweep: ${JSON.stringify(result)}`);
    return result;
  }

  /** Ledger rows no dispatcher is on (the API died between the commit and the wake, or the wake failed). */
  private async wakeDispatchers(): Promise<number> {
    const shards = (await this.db.query(
      `SELECT DISTINCT workspace_id, shard FROM inbound_events
       WHERE outcome IS NULL AND shard IS NOT NULL AND received_at < now() - interval '${GRACE.inbound}' LIMIT ${LIMIT}`,
    )) as Array<{ workspace_id: string; shard: number }>;
    await mapWithConcurrency(shards, 8, ({ workspace_id: workspaceId, shard }) =>
      this.waker.wake({
        workflowType: 'dispatcher',
        workflowId: dispatcherWorkflowId(workspaceId, shard),
        args: [{ workspaceId, shard }],
        signal: 'wake',
        typedSearchAttributes: [{ key: SA_WORKSPACE, value: workspaceId }],
      }),
    );
    return shards.length;
  }

  /**
   * Runs recorded but never started. Those an accepted event or a parent run asked for must run:
   * they are started. One the API recorded and answered 503 for is settled ERROR once a retry had
   * time to start it (the client was told it failed).
   */
  private async startLostRuns(): Promise<{ runsStarted: number; runsSettled: number }> {
    const rows = (await this.db.query(
      `SELECT r.*, e.event_id FROM automation_runs r LEFT JOIN inbound_events e ON e.id = r.event_log_id
       WHERE r.started_at IS NULL AND r.status IN ('PROCESSING', 'WAITING') AND r.created_at < now() - interval '${GRACE.runStart}'
       ORDER BY r.created_at LIMIT ${LIMIT}`,
    )) as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const owed = rows.filter((r) => r.event_log_id !== null || r.parent_run_id !== null);
    const fromApi = rows.filter((r) => r.event_log_id === null && r.parent_run_id === null && Date.now() - new Date(r.created_at).getTime() > this.config.reconcileAfterMs);
    try {
      await this.starter.start(owed.map((r) => toPrepared({
        workspaceId: r.workspace_id, runId: r.id, workflowId: r.workflow_id, kind: r.kind, templateId: r.template_id, templateVersion: r.template_version,
        templateName: r.template_name, sequence: r.sequence, steps: r.steps, source: r.source, recipient: r.recipient, cancelationToken: r.cancelation_token,
        singletonKey: null, status: 'PROCESSING', error: null, context: r.context, parentRunId: r.parent_run_id, eventLogId: r.event_log_id, eventId: r.event_id,
      })));
    } catch (err) {
      this.logger.warn(`could not start ${owed.length} lost runs: ${(err as Error).message}`);
    }
    for (const r of fromApi) await this.repo.finish(r.workspace_id, r.id, 'ERROR', 'never started: the API answered 503 and the request was not retried');
    return { runsStarted: owed.length, runsSettled: fromApi.length };
  }

  /** Outbox rows of enabled integrations that no emitter was woken for. */
  private async wakeEmitters(): Promise<number> {
    const rows = (await this.db.query(
      `SELECT DISTINCT o.workspace_id FROM outbound_events o
       JOIN rudderstack_integrations i ON i.workspace_id = o.workspace_id AND i.enabled
       WHERE o.sent_at IS NULL AND o.created_at < now() - interval '${GRACE.outbox}' LIMIT ${LIMIT}`,
    )) as Array<{ workspace_id: string }>;
    await mapWithConcurrency(rows, 8, (r) => this.outbox.wake(r.workspace_id));
    return rows.length;
  }

  /** Waits matched in Postgres whose run did not take the match (its signal was lost). */
  private async rewakeWaits(): Promise<number> {
    const rows = (await this.db.query(
      `SELECT workflow_id, path FROM automation_run_waits WHERE matched_at IS NOT NULL AND matched_at < now() - interval '${GRACE.wake}' LIMIT ${LIMIT}`,
    )) as Array<{ workflow_id: string; path: string }>;
    await this.waits.wake({ wakes: rows.map((r) => ({ workflowId: r.workflow_id, key: r.path })), legacy: [] });
    return rows.length;
  }
}
