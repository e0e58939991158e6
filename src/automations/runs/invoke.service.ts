import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { badRequest } from '../../common/errors/api-error';
import { derivedUuid } from '../../common/ids';
import { AdHocInvokeDto, CancelDto, TemplateInvokeDto } from './dto/runs.dto';
import { CancelService } from './cancel.service';
import { RunPlanner, RunRequest } from './run-planner.service';
import { RunStarter } from './run-starter.service';

/**
 * Invoke endpoints. An Idempotency-Key makes the run id a function of (workspace, path, key),
 * so a repeat finds the run already recorded and started, and starts nothing new. A run whose
 * start failed (503) is recorded but not started: a retry with the same key starts it; without
 * one, the maintenance sweep settles it as never started.
 */
@Injectable()
export class InvokeService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly planner: RunPlanner,
    private readonly starter: RunStarter,
    private readonly cancels: CancelService,
  ) {}

  invokeAdHoc(workspaceId: string, body: AdHocInvokeDto, idempotencyKey?: string): Promise<{ runId: string }> {
    const automation = body.automation;
    return this.invoke(workspaceId, {
      target: {
        kind: 'adhoc',
        steps: automation.steps,
        cancelationToken: automation.cancelation_token ?? automation.cancelationToken ?? automation.cancellation_token ?? null,
      },
      context: body,
      source: 'api',
      runId: idempotencyKey ? derivedUuid(workspaceId, 'POST /automations/invoke', idempotencyKey) : randomUUID(),
    });
  }

  invokeTemplate(workspaceId: string, templateRef: string, body: TemplateInvokeDto, idempotencyKey?: string, source = 'api'): Promise<{ runId: string }> {
    return this.invoke(workspaceId, {
      target: { kind: 'template', ref: templateRef },
      context: body,
      source,
      runId: idempotencyKey ? derivedUuid(workspaceId, `POST /automations/${templateRef}/invoke`, idempotencyKey) : randomUUID(),
    });
  }

  /** Runs a code sequence (workflows/sequences) for a recipient; used by schedules. */
  invokeSequence(workspaceId: string, name: string, body: TemplateInvokeDto, idempotencyKey?: string): Promise<{ runId: string }> {
    return this.invoke(workspaceId, {
      target: { kind: 'sequence', name },
      context: body,
      source: 'schedule',
      runId: idempotencyKey ? derivedUuid(workspaceId, `invoke sequence:${name}`, idempotencyKey) : randomUUID(),
    });
  }

  async cancel(workspaceId: string, body: CancelDto) {
    const token = body.cancelation_token ?? body.cancelationToken ?? body.cancellation_token;
    if (!token && !body.run_id) throw badRequest('cancelation_token or run_id is required');
    const runs = token ? await this.cancels.cancelByToken(workspaceId, token) : await this.cancels.cancelByRunId(workspaceId, body.run_id!);
    return { canceled: runs };
  }

  private async invoke(workspaceId: string, request: RunRequest): Promise<{ runId: string }> {
    const planned = await this.db.transaction((tx) => this.planner.planOne(tx, workspaceId, request));
    if (!planned.notStarted && !planned.alreadyStarted) await this.starter.start([planned.prepared]);
    return { runId: planned.prepared.runId };
  }
}
