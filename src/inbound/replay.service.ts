import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EventRunsService } from '../automations/runs/event-runs.service';
import { RunsService } from '../automations/runs/runs.service';
import { notFound } from '../common/errors/api-error';

/** Replays a logged event through today's mappings: new, explicit runs; the original log entry stays as it was. */
@Injectable()
export class ReplayService {
  constructor(private readonly eventRuns: EventRunsService, private readonly runs: RunsService) {}

  async replay(workspaceId: string, eventLogId: string) {
    if (!/^\d{1,18}$/.test(eventLogId)) throw notFound(`event log entry ${JSON.stringify(eventLogId)} not found`);
    const plan = await this.eventRuns.prepareForEvent(workspaceId, eventLogId, randomUUID());
    for (const run of plan.prepared) await this.runs.start(run);
    return {
      event_log_id: eventLogId,
      run_ids: plan.prepared.filter((r) => !r.ignored).map((r) => r.runId),
      ignored: plan.prepared.filter((r) => r.ignored).map((r) => ({ run_id: r.runId, reason: r.ignored })),
      problems: plan.problems,
    };
  }
}
