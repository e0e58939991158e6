import type { InvokeStep } from '../../../shared/step-schema';
import { startChildRun } from '../../start-child-run';
import { effects } from '../activities';
import type { RunSession, StepOutcome } from '../session';

/** invoke: starts another template as a child run that outlives this one; cycles are refused. */
export async function runInvoke(session: RunSession, step: InvokeStep, path: string): Promise<StepOutcome> {
  const scope = session.scope(step);
  const s = session.resolve(step, scope);
  const prepared = await effects.prepareInvokedRun({
    workspaceId: session.workspaceId,
    parentRunId: session.runId,
    stepPath: path,
    template: s.template,
    context: {
      data: (s.context?.data as Record<string, unknown> | undefined) ?? (scope.data as Record<string, unknown>),
      profile: (s.context?.profile as Record<string, unknown> | undefined) ?? undefined,
      recipient: (s.context?.recipient as string | undefined) ?? session.context.recipient,
      brand: (s.context?.brand as string | undefined) ?? session.context.brand,
    },
    invokeChain: session.input.invokeChain,
  });
  await startChildRun(prepared);
  return { result: { run_id: prepared.runId } };
}
