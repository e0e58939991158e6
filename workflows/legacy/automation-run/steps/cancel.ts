import type { CancelStep } from '../../../shared/step-schema';
import { effects } from '../activities';
import type { RunSession, StepOutcome } from '../session';

/** cancel: cancels every other running run of the workspace holding the token. */
export async function runCancel(session: RunSession, step: CancelStep): Promise<StepOutcome> {
  const s = session.resolve(step, session.scope(step));
  const result = await effects.cancelRunsByToken({
    workspaceId: session.workspaceId,
    token: String(s.cancelation_token),
    exceptRunId: session.runId,
  });
  return { result };
}
