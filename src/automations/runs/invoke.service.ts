import { Injectable } from '@nestjs/common';
import { badRequest } from '../../common/errors/api-error';
import { derivedUuid } from '../../common/ids';
import { AdHocInvokeDto, CancelDto, TemplateInvokeDto } from './dto/runs.dto';
import { CancelService } from './cancel.service';
import { RunsService } from './runs.service';

/**
 * Invoke endpoints. An Idempotency-Key makes the run id a function of (workspace, path, key),
 * so a repeat finds the run already recorded and started, and starts nothing new.
 */
@Injectable()
export class InvokeService {
  constructor(private readonly runs: RunsService, private readonly cancels: CancelService) {}

  async invokeAdHoc(workspaceId: string, body: AdHocInvokeDto, idempotencyKey?: string): Promise<{ runId: string }> {
    const automation = body.automation;
    const prepared = await this.runs.prepare({
      workspaceId,
      target: {
        kind: 'adhoc',
        steps: automation.steps,
        cancelationToken: automation.cancelation_token ?? automation.cancelationToken ?? automation.cancellation_token ?? null,
      },
      context: body,
      source: 'api',
      runId: idempotencyKey ? derivedUuid(workspaceId, 'POST /automations/invoke', idempotencyKey) : undefined,
    });
    await this.runs.start(prepared);
    return { runId: prepared.runId };
  }

  async invokeTemplate(workspaceId: string, templateRef: string, body: TemplateInvokeDto, idempotencyKey?: string): Promise<{ runId: string }> {
    const prepared = await this.runs.prepare({
      workspaceId,
      target: { kind: 'template', ref: templateRef },
      context: body,
      source: 'api',
      runId: idempotencyKey ? derivedUuid(workspaceId, `POST /automations/${templateRef}/invoke`, idempotencyKey) : undefined,
    });
    await this.runs.start(prepared);
    return { runId: prepared.runId };
  }

  async cancel(workspaceId: string, body: CancelDto) {
    const token = body.cancelation_token ?? body.cancelationToken ?? body.cancellation_token;
    if (!token && !body.run_id) throw badRequest('cancelation_token or run_id is required');
    const runs = token ? await this.cancels.cancelByToken(workspaceId, token) : await this.cancels.cancelByRunId(workspaceId, body.run_id!);
    return { canceled: runs };
  }
}
