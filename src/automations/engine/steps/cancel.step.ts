import type { CancelStep } from '../../../../workflows/shared/step-schema';
import type { CancelService } from '../../runs/cancel.service';
import type { StepHandler } from '../engine.types';

/** cancel: cancels every other active run of the workspace holding the token. */
export function cancelStep(cancels: CancelService): StepHandler<CancelStep> {
  return {
    async run({ run, resolved: s }) {
      const canceled = await cancels.cancelByToken(run.workspace_id, String(s.cancelation_token), run.id);
      return { kind: 'done', result: { canceled } };
    },
  };
}
