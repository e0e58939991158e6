import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventRunsService, LedgerEvent } from '../automations/runs/event-runs.service';
import { RunPlanner } from '../automations/runs/run-planner.service';
import { RunStarter } from '../automations/runs/run-starter.service';
import { conflict, notFound } from '../common/errors/api-error';

/** Replays a logged event through today's mappings: new, explicit runs (a fresh nonce); the original log entry stays as it was. */
@Injectable()
export class ReplayService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly eventRuns: EventRunsService,
    private readonly planner: RunPlanner,
    private readonly starter: RunStarter,
  ) {}

  async replay(workspaceId: string, eventLogId: string) {
    if (!/^\d{1,18}$/.test(eventLogId)) throw notFound(`event log entry ${JSON.stringify(eventLogId)} not found`);
    const nonce = randomUUID();
    const { planned, problems } = await this.db.transaction(async (tx) => {
      const [event] = (await tx.query('SELECT id, type, event_id, user_id, body FROM inbound_events WHERE workspace_id = $1 AND id = $2', [
        workspaceId, eventLogId,
      ])) as LedgerEvent[];
      if (!event) throw notFound(`event log entry ${JSON.stringify(eventLogId)} not found`);
      if (event.body === null) throw conflict(`event log entry ${eventLogId} can no longer be replayed: its body was pruned by retention (HERALD_RETAIN_EVENT_BODIES)`);
      const requests = (await this.eventRuns.requestsFor(tx, workspaceId, [event], nonce)).get(event.id)!;
      const planned = await this.planner.plan(tx, workspaceId, requests.requests);
      return { planned, problems: [...requests.problems, ...planned.flatMap((p) => (p.ok ? [] : [p.problem]))] };
    });
    const ok = planned.flatMap((p) => (p.ok ? [p] : []));
    await this.starter.start(ok.filter((p) => !p.notStarted && !p.alreadyStarted).map((p) => p.prepared));
    return {
      event_log_id: eventLogId,
      run_ids: ok.filter((p) => !p.notStarted).map((p) => p.prepared.runId),
      ignored: ok.filter((p) => p.notStarted).map((p) => ({ run_id: p.prepared.runId, reason: p.notStarted })),
      problems,
    };
  }
}
