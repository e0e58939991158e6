import { DataSource } from 'typeorm';
import type { InvokeStep } from '../../../../workflows/shared/step-schema';
import { ApiError } from '../../../common/errors/api-error';
import { derivedUuid } from '../../../common/ids';
import type { RunPlanner } from '../../runs/run-planner.service';
import type { RunStarter } from '../../runs/run-starter.service';
import { StepFailed, StepHandler } from '../engine.types';

/**
 * invoke: records and starts another template as a child run that outlives this one. The
 * child's id derives from this run and step, so a retried call starts it once; cycles are refused.
 */
export function invokeStep(db: DataSource, planner: RunPlanner, starter: RunStarter): StepHandler<InvokeStep> {
  return {
    async run({ run, path, scope, resolved: s, context }) {
      let planned;
      try {
        planned = await db.transaction((tx) =>
          planner.planOne(tx, run.workspace_id, {
            target: { kind: 'template', ref: String(s.template) },
            context: {
              data: (s.context?.data as Record<string, unknown> | undefined) ?? (scope.data as Record<string, unknown>),
              profile: (s.context?.profile as Record<string, unknown> | undefined) ?? undefined,
              recipient: (s.context?.recipient as string | undefined) ?? context.recipient,
              brand: (s.context?.brand as string | undefined) ?? context.brand,
            },
            source: `invoke/${String(s.template)}`,
            runId: derivedUuid(run.workspace_id, 'invoke', run.id, path),
            parentRunId: run.id,
          }),
        );
      } catch (err) {
        if (err instanceof ApiError) throw new StepFailed(`invoke ${String(s.template)}: ${(err.getResponse() as { message: string }).message}`, 'InvokeFailed');
        throw err;
      }
      if (!planned.notStarted && !planned.alreadyStarted) await starter.start([planned.prepared]);
      return { kind: 'done', result: { run_id: planned.prepared.runId } };
    },
  };
}
