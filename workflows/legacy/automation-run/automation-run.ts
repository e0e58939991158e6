import type { LegacyRunInput, RunResult } from '../../shared/run-types';
import { RunSession } from './session';

/**
 * The interpreter as it ran before the batched pipeline: the steps execute inside the workflow,
 * each with its own activities. Kept so recorded histories and runs started by that code replay.
 */
export async function legacyAutomationRun(input: LegacyRunInput): Promise<RunResult> {
  const session = new RunSession(input);
  return session.execute(() => session.runSteps(input.steps, ''));
}
