import type { BranchStep } from '../../../shared/step-schema';
import { evaluateCondition } from '../../../shared/expressions';
import type { RunSession, StepOutcome } from '../session';

/** branch: runs the steps of the first path whose `if` holds, else the default. */
export async function runBranch(session: RunSession, step: BranchStep, path: string): Promise<StepOutcome> {
  const scope = session.scope(step);
  for (let i = 0; i < step.paths.length; i++) {
    if (evaluateCondition(step.paths[i].if as never, scope)) {
      const flow = await session.runSteps(step.paths[i].steps, `${path}.paths[${i}].`);
      return { result: { path: i }, flow };
    }
  }
  if (step.default) {
    const flow = await session.runSteps(step.default.steps, `${path}.default.`);
    return { result: { path: 'default' }, flow };
  }
  return { result: { path: null } };
}
