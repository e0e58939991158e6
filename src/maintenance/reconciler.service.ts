import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { RunsRepository } from '../automations/runs/runs.repository';
import { mapWithConcurrency } from '../common/concurrency';
import { HERALD_CONFIG, HeraldConfig } from '../config/herald-config';
import { DeliveryService } from '../messages/delivery.service';
import { TemporalClientService } from '../temporal/temporal-client.service';

/** Rows checked against Temporal per sweep (one DescribeWorkflowExecution each): bounded, round-robin by checked_at. */
const CHECKS_PER_SWEEP = 100;
/**
 * A row found healthy is checked again only after this many reconcile intervals (2 min → 1 h):
 * 10,000 parked runs cost Temporal about 3 describes a second, not 80.
 */
const RECHECK_FACTOR = 30;

type Verdict = { settle: false } | { settle: true; status: 'CANCELED' | 'ERROR'; reason: string };

/**
 * Settles rows that drifted from their workflows: an active run (or a queued /send message)
 * whose workflow has closed without recording its end (terminated or timed out in Temporal),
 * or is not there at all (a start that never reached Temporal, a lost namespace). Postgres
 * says what a run is; this makes it true again when Temporal and Postgres disagree.
 */
@Injectable()
export class ReconcilerService {
  private readonly logger = new Logger('Reconciler');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly temporal: TemporalClientService,
    private readonly repo: RunsRepository,
    private readonly delivery: DeliveryService,
  ) {}

  async reconcile(): Promise<{ runsReconciled: number; messagesReconciled: number }> {
    return { runsReconciled: await this.runs(), messagesReconciled: await this.messages() };
  }

  /** Active, started runs not moved for a while, oldest check first. */
  private async runs(): Promise<number> {
    const after = this.config.reconcileAfterMs;
    const rows = (await this.db.query(
      `UPDATE automation_runs r SET checked_at = now() FROM (
         SELECT workspace_id, id FROM automation_runs
         WHERE status IN ('PROCESSING', 'WAITING') AND started_at IS NOT NULL
           AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
           AND (checked_at IS NULL OR checked_at < now() - make_interval(secs => $1::double precision * ${RECHECK_FACTOR} / 1000))
         ORDER BY checked_at NULLS FIRST LIMIT $2) c
       WHERE r.workspace_id = c.workspace_id AND r.id = c.id RETURNING r.workspace_id, r.id, r.workflow_id`,
      [after, CHECKS_PER_SWEEP],
    ).then((r: [Array<{ workspace_id: string; id: string; workflow_id: string }>, number]) => r[0])) as Array<{ workspace_id: string; id: string; workflow_id: string }>;
    let settled = 0;
    await mapWithConcurrency(rows, 8, async (row) => {
      const verdict = await this.verdict(row.workflow_id);
      if (!verdict.settle) return;
      const status = await this.repo.finish(row.workspace_id, row.id, verdict.status, verdict.reason);
      if (status === verdict.status) settled++;
      this.logger.warn(`run ${row.id} settled ${verdict.status}: ${verdict.reason}`);
    });
    return settled;
  }

  /** Messages sent through /send still ENQUEUED long after they were recorded. */
  private async messages(): Promise<number> {
    const after = this.config.reconcileAfterMs;
    const [rows] = (await this.db.query(
      `UPDATE messages m SET checked_at = now() FROM (
         SELECT workspace_id, id FROM messages
         WHERE status = 'ENQUEUED' AND workflow_id IS NOT NULL AND enqueued_at < now() - make_interval(secs => $1::double precision / 1000)
           AND (checked_at IS NULL OR checked_at < now() - make_interval(secs => $1::double precision * ${RECHECK_FACTOR} / 1000))
         ORDER BY checked_at NULLS FIRST LIMIT $2) c
       WHERE m.workspace_id = c.workspace_id AND m.id = c.id RETURNING m.workspace_id, m.id, m.workflow_id`,
      [after, CHECKS_PER_SWEEP],
    )) as [Array<{ workspace_id: string; id: string; workflow_id: string }>, number];
    let settled = 0;
    await mapWithConcurrency(rows, 8, async (row) => {
      const verdict = await this.verdict(row.workflow_id);
      if (!verdict.settle) return;
      const { canceled } = await this.delivery.cancelIfUnsent(row.workspace_id, row.id, `not sent: ${verdict.reason}`, 'UNDELIVERABLE');
      if (canceled) settled++;
    });
    return settled;
  }

  /** What the workflow's state says about its row. Temporal unreachable: leave it for the next sweep. */
  private async verdict(workflowId: string): Promise<Verdict> {
    try {
      const { status } = await this.temporal.withDeadline(() => this.temporal.client.workflow.getHandle(workflowId).describe());
      switch (status.name) {
        case 'RUNNING':
        case 'CONTINUED_AS_NEW':
          return { settle: false };
        case 'TERMINATED':
        case 'CANCELLED':
          return { settle: true, status: 'CANCELED', reason: `its workflow was ${status.name.toLowerCase()} in Temporal` };
        default:
          return { settle: true, status: 'ERROR', reason: `its workflow ended (${status.name.toLowerCase()}) without recording the end` };
      }
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { settle: true, status: 'ERROR', reason: 'its workflow is not in Temporal (never started, or past retention)' };
      return { settle: false };
    }
  }
}
