import { evaluateCondition } from '../../../../workflows/shared/expressions';
import type { BranchStep } from '../../../../workflows/shared/step-schema';
import type { StepHandler } from '../engine.types';

/** branch: the first path whose `if` holds is entered, else the default. */
export function branchStep(): StepHandler<BranchStep> {
  return {
    async run({ step, scope }) {
      for (let i = 0; i < step.paths.length; i++) {
        if (evaluateCondition(step.paths[i].if as never, scope)) return { kind: 'done', result: { path: i }, enter: `paths[${i}]` };
      }
      if (step.default) return { kind: 'done', result: { path: 'default' }, enter: 'default' };
      return { kind: 'done', result: { path: null } };
    },
  };
}
