import type { ExitStep } from '../../../../workflows/shared/step-schema';
import type { StepHandler } from '../engine.types';

/** exit: ends the run PROCESSED; the steps after it are NOT PROCESSED. */
export function exitStep(): StepHandler<ExitStep> {
  return {
    async run() {
      return { kind: 'done', result: null, flow: 'stop' };
    },
  };
}
